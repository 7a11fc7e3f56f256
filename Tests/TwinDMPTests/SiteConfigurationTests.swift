import Foundation
import Testing

@testable import TwinDMP

/// The site file (`/etc/twin-sim/site.json` or `TWIN_SIM_SITE_CONFIG`, docs/dmp.md).
struct SiteConfigurationTests {
  private func parse(_ text: String) throws -> SiteConfiguration {
    try SiteConfiguration.parse(Data(text.utf8), path: "site.json")
  }

  /// Writes `text` to a temporary site file; returns it (remove it after use) and an
  /// environment naming it, with `extra` added.
  private func siteFile(_ text: String, _ extra: [String: String] = [:]) throws -> (
    file: URL, environment: [String: String]
  ) {
    let file = FileManager.default.temporaryDirectory.appendingPathComponent(
      "twin-dmp-site-\(UUID().uuidString).json")
    try Data(text.utf8).write(to: file)
    return (file, extra.merging([SiteLocation.configVariable: file.path]) { $1 })
  }

  private func reason(_ text: String) -> String {
    do {
      _ = try parse(text)
      return "accepted"
    } catch {
      return "\(error)"
    }
  }

  @Test func readsLocationSoftwareURLAndPublisher() throws {
    let site = try parse(
      """
      {"geo_location": "DE", "software_url": "https://hpc.example.org/twin-sim",
       "publisher": {"name": "Example HPC Centre", "url": "https://hpc.example.org/"}}
      """)
    #expect(
      site
        == SiteConfiguration(
          geoLocation: "DE", softwareURL: "https://hpc.example.org/twin-sim",
          publisher: Organization(name: "Example HPC Centre", url: "https://hpc.example.org/")))
  }

  @Test func everyKeyIsOptional() throws {
    #expect(try parse("{}") == SiteConfiguration())
    let (file, env) = try siteFile(#"{"software_url": "https://hpc.example.org/"}"#)
    defer { try? FileManager.default.removeItem(at: file) }
    // A site that declares only its identity has no location: the DMP check reports it.
    #expect(try SiteLocation.current(environment: env) == nil)
  }

  @Test func refusesWhatIsNotASiteFileNamingTheProblem() {
    #expect(reason("[]").contains("site.json: expected a JSON object"))
    #expect(reason(#"{"geo_location": "Germany"}"#).contains("ISO 3166-1 alpha-2"))
    #expect(reason(#"{"software_url": "hpc.example.org"}"#).contains("software_url: expected"))
    #expect(reason(#"{"software_url": "https://"}"#).contains("software_url: expected"))
    #expect(reason(#"{"publisher": "Example"}"#).contains("publisher: expected"))
    #expect(
      reason(#"{"publisher": {"name": "", "url": "https://hpc.example.org/"}}"#)
        .contains("publisher: expected"))
    #expect(
      reason(#"{"publisher": {"name": "X", "url": "https://x.example/", "ror": "y"}}"#)
        .contains("publisher: expected"))
    #expect(reason(#"{"geolocation": "DE"}"#).contains(#"unknown key "geolocation""#))
  }

  @Test func environmentWinsOverTheFile() throws {
    let file = """
      {"geo_location": "DE", "software_url": "https://hpc.example.org/twin-sim",
       "publisher": {"name": "Example HPC Centre", "url": "https://hpc.example.org/"}}
      """
    let (declared, env) = try siteFile(file)
    defer { try? FileManager.default.removeItem(at: declared) }
    #expect(try SiteLocation.current(environment: env) == "DE")
    #expect(
      try SiteConfiguration.softwareURL(environment: env) == "https://hpc.example.org/twin-sim")
    #expect(try Organization.publisher(env)?.name == "Example HPC Centre")
    let overrides = [
      "TWIN_SIM_SITE_LOCATION": "AT", "TWIN_SIM_SOFTWARE_URL": "https://example.org/twin-sim",
      "TWIN_SIM_PUBLISHER_NAME": "Other Centre", "TWIN_SIM_PUBLISHER_URL": "https://other.example/",
    ]
    let overridden = env.merging(overrides) { $1 }
    #expect(try SiteLocation.current(environment: overridden) == "AT")
    #expect(
      try SiteConfiguration.softwareURL(environment: overridden) == "https://example.org/twin-sim")
    #expect(try Organization.publisher(overridden)?.url == "https://other.example/")
  }

  @Test func invalidFileMakesThePublisherLookupAProvenanceError() throws {
    let (file, env) = try siteFile(#"{"software_url": 7}"#)
    defer { try? FileManager.default.removeItem(at: file) }
    do {
      _ = try Organization.publisher(env)
      Issue.record("an invalid site file was accepted")
    } catch let error as ProvenanceError {
      #expect(error.description.contains(file.path))
    }
  }

  @Test func agentTakesThePublisherAsAffiliationOnlyWhenItDeclaresNone() {
    let centre = Organization(name: "Example HPC Centre", url: "https://hpc.example.org/")
    let university = Organization(name: "Example University", url: "https://uni.example/")
    let plain = Agent(identifier: "#agent-jdoe", name: "jdoe")
    #expect(plain.affiliated(orDefault: centre).affiliation == centre)
    #expect(plain.affiliated(orDefault: nil).affiliation == nil)
    let declared = Agent(identifier: "#agent-jdoe", name: "jdoe", affiliation: university)
    #expect(declared.affiliated(orDefault: centre).affiliation == university)
  }
}
