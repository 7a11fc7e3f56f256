import Foundation

/// Where this site (the machine a run is on) is, as an ISO 3166-1 alpha-2
/// code, for the DMP's `twin_sim:allowed_geo_locations`. A machine cannot know
/// its jurisdiction by itself, so the operator declares it once.
public enum SiteLocation {
  /// Environment variable with the code, e.g. `TWIN_SIM_SITE_LOCATION=DE`; wins over the file.
  public static let environmentVariable = "TWIN_SIM_SITE_LOCATION"
  /// Environment variable naming a site file instead of `defaultConfigPath`.
  public static let configVariable = "TWIN_SIM_SITE_CONFIG"
  /// Site file, JSON `{"geo_location": "DE", ...}` (`SiteConfiguration`), written by the
  /// centre's administrators.
  public static let defaultConfigPath = "/etc/twin-sim/site.json"

  public enum Failure: Error, CustomStringConvertible {
    case invalidCode(source: String, found: String)
    case unreadableConfig(path: String, reason: String)

    public var description: String {
      switch self {
      case .invalidCode(let source, let found):
        return "\(source): expected an ISO 3166-1 alpha-2 code such as DE, found \"\(found)\""
      case .unreadableConfig(let path, let reason):
        return "\(path): \(reason)"
      }
    }
  }

  /// The site's code from the environment or the site file's `geo_location`
  /// (`SiteConfiguration`); nil when neither declares one (the check then reports the
  /// location as unknown).
  public static func current(
    environment: [String: String] = ProcessInfo.processInfo.environment
  ) throws -> String? {
    if let code = environment[environmentVariable], !code.isEmpty {
      return try validated(code, source: environmentVariable)
    }
    return try SiteConfiguration.file(environment: environment).geoLocation
  }

  private static func validated(_ code: String, source: String) throws -> String {
    guard DMPReader.isCountryCode(code) else {
      throw Failure.invalidCode(source: source, found: code)
    }
    return code
  }
}
