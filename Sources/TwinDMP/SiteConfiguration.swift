import Foundation

/// What a computing centre declares once for every run on its machines, in the site file
/// (`/etc/twin-sim/site.json`, or the file `TWIN_SIM_SITE_CONFIG` names; docs/dmp.md):
///
///     {"geo_location": "DE",
///      "software_url": "https://hpc.example.org/software/twin-sim",
///      "publisher": {"name": "Example HPC Centre", "url": "https://hpc.example.org/"}}
///
/// `geo_location` is where the site is (for the DMP check); `software_url` and `publisher`
/// are the site's identity in the RO-Crates its runs get: where its twin-sim is described
/// and which organisation publishes the crates. Every key is optional; the environment wins
/// over the file (`TWIN_SIM_SITE_LOCATION`, `TWIN_SIM_SOFTWARE_URL`,
/// `TWIN_SIM_PUBLISHER_NAME` with `TWIN_SIM_PUBLISHER_URL`).
public struct SiteConfiguration: Sendable, Equatable {
  /// ISO 3166-1 alpha-2 code of the site's location.
  public var geoLocation: String?
  /// An http(s) URL describing the site's twin-sim (installation page, release, source).
  public var softwareURL: String?
  /// The organisation that publishes the crates of runs on this site.
  public var publisher: Organization?

  /// The keys a site file may have.
  public static let keys = ["geo_location", "software_url", "publisher"]
  /// Environment variable naming the software URL; wins over `software_url`.
  public static let softwareURLVariable = "TWIN_SIM_SOFTWARE_URL"
  /// Prefix of `..._NAME` and `..._URL` naming the publisher; wins over `publisher`.
  public static let publisherPrefix = "TWIN_SIM_PUBLISHER"

  public init(
    geoLocation: String? = nil, softwareURL: String? = nil, publisher: Organization? = nil
  ) {
    self.geoLocation = geoLocation
    self.softwareURL = softwareURL
    self.publisher = publisher
  }

  /// The site file's declarations: the file `TWIN_SIM_SITE_CONFIG` names (which must exist),
  /// else `/etc/twin-sim/site.json` (empty when it does not exist). Throws
  /// `SiteLocation.Failure` naming the file for a missing named file or invalid content.
  public static func file(environment: [String: String]) throws -> SiteConfiguration {
    let path = environment[SiteLocation.configVariable] ?? SiteLocation.defaultConfigPath
    guard FileManager.default.fileExists(atPath: path) else {
      if environment[SiteLocation.configVariable] != nil {
        throw SiteLocation.Failure.unreadableConfig(path: path, reason: "no such file")
      }
      return SiteConfiguration()
    }
    let data: Data
    do {
      data = try Data(contentsOf: URL(fileURLWithPath: path))
    } catch {
      throw SiteLocation.Failure.unreadableConfig(path: path, reason: "not readable (\(error))")
    }
    return try parse(data, path: path)
  }

  /// Parses a site file's bytes; `path` names it in messages.
  public static func parse(_ data: Data, path: String) throws -> SiteConfiguration {
    func failure(_ reason: String) -> SiteLocation.Failure {
      .unreadableConfig(path: path, reason: reason)
    }
    let document: JSONValue
    do {
      document = try JSONValue.parse(data)
    } catch {
      throw failure("not readable JSON (\(error))")
    }
    guard let object = document.objectValue else { throw failure("expected a JSON object") }
    for key in object.keys.sorted() where !keys.contains(key) {
      throw failure("unknown key \"\(key)\" (known: \(keys.joined(separator: ", ")))")
    }
    var site = SiteConfiguration()
    if let value = object["geo_location"] {
      guard let code = value.stringValue else { throw failure("expected a string geo_location") }
      guard DMPReader.isCountryCode(code) else {
        throw SiteLocation.Failure.invalidCode(source: "\(path): geo_location", found: code)
      }
      site.geoLocation = code
    }
    if let value = object["software_url"] {
      guard let url = value.stringValue, isWebAddress(url) else {
        throw failure("software_url: expected an http(s) URL such as https://example.org/twin-sim")
      }
      site.softwareURL = url
    }
    if let value = object["publisher"] {
      guard let publisher = value.objectValue,
        let name = publisher["name"]?.stringValue, !name.isEmpty,
        let url = publisher["url"]?.stringValue, isWebAddress(url),
        Set(publisher.keys).isSubset(of: ["name", "url"])
      else {
        throw failure(
          "publisher: expected {\"name\": \"...\", \"url\": \"https://...\"} (the organisation's"
            + " name and its ROR id or home page)")
      }
      site.publisher = Organization(name: name, url: url)
    }
    return site
  }

  /// The software URL crates name twin-sim by: `TWIN_SIM_SOFTWARE_URL`, else the site
  /// file's `software_url`, else nil (the caller falls back to the executable's file URL).
  public static func softwareURL(environment: [String: String]) throws -> String? {
    if let url = environment[softwareURLVariable], !url.isEmpty { return url }
    return try file(environment: environment).softwareURL
  }

  /// The publisher of crates: `TWIN_SIM_PUBLISHER_NAME` and `TWIN_SIM_PUBLISHER_URL`, else
  /// the site file's `publisher`, else nil.
  public static func publisher(environment: [String: String]) throws -> Organization? {
    if let publisher = Organization.fromEnvironment(environment, prefix: publisherPrefix) {
      return publisher
    }
    return try file(environment: environment).publisher
  }

  static func isWebAddress(_ text: String) -> Bool {
    guard text.hasPrefix("https://") || text.hasPrefix("http://"),
      let url = URL(string: text), let host = url.host, !host.isEmpty
    else { return false }
    return true
  }
}
