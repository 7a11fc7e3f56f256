import Foundation
import Testing

@testable import TwinDMP

struct DataManagementPlanTests {
  @Test func examplePlanLoadsWithItsStepsAndExtensions() throws {
    let plan = try DataManagementPlan.load(path: examplePlanPath)
    #expect(plan.datasets.count == 3)
    #expect(plan.steps.map(\.name) == ["simulate", "secure-simulate"])
    #expect(plan.allowedGeoLocations == ["DE", "AT"])
    let cohort = try #require(plan.dataset(withIdentifier: plan.steps[1].reads[0]))
    #expect(cohort.needsProtection)
    #expect(
      cohort.retention
        == RetentionRule(
          keepDays: 3650, afterExpiry: .archive,
          archiveLocation: "/archive/twin-sim/cohort"))
    #expect(plan.datasets[1].ioIntensity?.level == .high)
    #expect(plan.datasets[1].ioIntensity?.writeBytesPerRun == 50_000_000)
  }

  @Test func pointerEscapesSlashAndTildeAsRFC6901() {
    // RFC 6901 section 5: "/a~1b" names key "a/b", "/m~0n" names key "m~n".
    #expect(JSONPointer(["a/b", "m~n", "0"]).description == "/a~1b/m~0n/0")
  }

  @Test func unknownPersonalDataValueIsReportedWithPointerAndAllowedValues() throws {
    let document = replacing(
      try examplePlanDocument(), at: ["dmp", "dataset", "1", "personal_data"], with: "maybe")
    let errors = validationErrors(document)
    #expect(errors.count == 1)
    #expect(errors.first?.pointer.description == "/dmp/dataset/1/personal_data")
    #expect(errors.first?.expected == "one of yes, no, unknown")
    #expect(errors.first?.found == "\"maybe\"")
  }

  @Test func everyProblemIsReportedAtOnce() throws {
    var document = try examplePlanDocument()
    document = replacing(document, at: ["dmp", "title"], with: nil)
    document = replacing(document, at: ["dmp", "created"], with: "2026-11-01T09:00:00")
    document = replacing(
      document, at: ["dmp", "dataset", "0", "distribution", "0", "data_access"], with: "public")
    document = replacing(
      document, at: ["dmp", "dataset", "0", "distribution", "0", "host", "geo_location"],
      with: "Germany")
    document = replacing(
      document, at: ["dmp", "dataset", "2", "twin_sim:retention", "keep_days"], with: .number(0))
    let pointers = Set(validationErrors(document).map(\.pointer.description))
    #expect(
      pointers == [
        "/dmp/title", "/dmp/created", "/dmp/dataset/0/distribution/0/data_access",
        "/dmp/dataset/0/distribution/0/host/geo_location",
        "/dmp/dataset/2/twin_sim:retention/keep_days",
      ])
  }

  @Test func stepNamingAnUndeclaredDatasetIsAnError() throws {
    let document = replacing(
      try examplePlanDocument(), at: ["dmp", "twin_sim:workflow", "steps", "0", "writes"],
      with: .array(["urn:uuid:not-in-this-dmp"]))
    let errors = validationErrors(document)
    #expect(errors.map(\.pointer.description) == ["/dmp/twin_sim:workflow/steps/0/writes/0"])
    #expect(errors.first?.expected == "the dataset_id.identifier of a dataset of this DMP")
  }

  @Test func workflowWithoutAllowListIsAnError() throws {
    let document = replacing(
      try examplePlanDocument(), at: ["dmp", "twin_sim:allowed_geo_locations"], with: nil)
    #expect(
      validationErrors(document).map(\.pointer.description) == [
        "/dmp/twin_sim:allowed_geo_locations"
      ])
  }

  @Test func fractionalByteSizeIsAnError() throws {
    let document = replacing(
      try examplePlanDocument(), at: ["dmp", "dataset", "1", "distribution", "0", "byte_size"],
      with: .number(10.5))
    #expect(
      validationErrors(document).map(\.pointer.description) == [
        "/dmp/dataset/1/distribution/0/byte_size"
      ])
  }

  @Test func timesCarryAnExplicitUTCOffset() throws {
    // 2025-01-15T11:00:00Z is 1,736,938,800 s after the Unix epoch (Python datetime).
    #expect(
      CrateTime.string(Date(timeIntervalSince1970: 1_736_938_800)) == "2025-01-15T11:00:00+00:00")
    #expect(CrateTime.parse("2025-01-15T11:00:00Z") == Date(timeIntervalSince1970: 1_736_938_800))
  }
}
