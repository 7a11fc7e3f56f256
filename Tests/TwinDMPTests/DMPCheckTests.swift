import Foundation
import Testing

@testable import TwinDMP

struct DMPCheckTests {
  let plan: DataManagementPlan
  let syntheticResult = repositoryRoot.appendingPathComponent(
    "runs/dmp-example/simulate/results.h5"
  ).path
  let cohortResult = repositoryRoot.appendingPathComponent(
    "runs/dmp-example/secure-simulate/results.h5"
  ).path
  let cohortTable = repositoryRoot.appendingPathComponent("scenarios/data/cohort-example.csv").path

  init() throws {
    plan = try DataManagementPlan.load(path: examplePlanPath)
  }

  private func pointers(_ violations: [Violation]) -> [String] {
    violations.map(\.pointer.description)
  }

  @Test func declaredOutputAtAllowedSitePasses() {
    let violations = DMPCheck.check(
      plan: plan, step: "simulate",
      outputs: [PlannedOutput(path: syntheticResult, encrypted: false)], inputs: [],
      location: "DE")
    #expect(violations.isEmpty)
  }

  @Test func siteOutsideAllowListCitesTheAllowList() {
    let violations = DMPCheck.check(
      plan: plan, step: "simulate",
      outputs: [PlannedOutput(path: syntheticResult, encrypted: false)], inputs: [],
      location: "US")
    #expect(pointers(violations) == ["/dmp/twin_sim:allowed_geo_locations"])
  }

  @Test func unknownSiteLocationIsAViolation() {
    let violations = DMPCheck.check(
      plan: plan, step: "simulate",
      outputs: [PlannedOutput(path: syntheticResult, encrypted: false)], inputs: [],
      location: nil)
    #expect(pointers(violations) == ["/dmp/twin_sim:allowed_geo_locations"])
  }

  @Test func undeclaredOutputIsAViolation() {
    let violations = DMPCheck.check(
      plan: plan, step: "simulate",
      outputs: [PlannedOutput(path: "/tmp/elsewhere/results.h5", encrypted: false)], inputs: [],
      location: "DE")
    #expect(pointers(violations) == ["/dmp/dataset"])
  }

  @Test func outputOfAnotherStepsDatasetCitesTheStepsWrites() {
    let violations = DMPCheck.check(
      plan: plan, step: "simulate",
      outputs: [PlannedOutput(path: cohortResult, encrypted: true)], inputs: [],
      location: "DE")
    #expect(pointers(violations) == ["/dmp/twin_sim:workflow/steps/0/writes"])
  }

  @Test func sensitiveOutputWithoutEncryptionCitesPersonalData() {
    let violations = DMPCheck.check(
      plan: plan, step: "secure-simulate",
      outputs: [PlannedOutput(path: cohortResult, encrypted: false)], inputs: [cohortTable],
      location: "DE")
    #expect(pointers(violations) == ["/dmp/dataset/2/personal_data"])
  }

  @Test func encryptedSensitiveOutputWithPermittedInputPasses() {
    let violations = DMPCheck.check(
      plan: plan, step: "secure-simulate",
      outputs: [PlannedOutput(path: cohortResult, encrypted: true)], inputs: [cohortTable],
      location: "AT")
    #expect(violations.isEmpty)
  }

  @Test func openAccessToSensitiveDatasetCitesItsDataAccess() throws {
    let document = replacing(
      try examplePlanDocument(), at: ["dmp", "dataset", "2", "distribution", "0", "data_access"],
      with: "open")
    let base = URL(fileURLWithPath: examplePlanPath).deletingLastPathComponent()
    let openPlan = try DataManagementPlan.validate(document, baseDirectory: base).get()
    let violations = DMPCheck.check(
      plan: openPlan, step: "secure-simulate",
      outputs: [PlannedOutput(path: cohortResult, encrypted: true)], inputs: [cohortTable],
      location: "DE")
    #expect(pointers(violations) == ["/dmp/dataset/2/distribution/0/data_access"])
  }

  @Test func inputTheStepMayNotReadCitesTheStepsReads() {
    let violations = DMPCheck.check(
      plan: plan, step: "simulate",
      outputs: [PlannedOutput(path: syntheticResult, encrypted: false)], inputs: [cohortTable],
      location: "DE")
    #expect(pointers(violations) == ["/dmp/twin_sim:workflow/steps/0/reads"])
  }

  @Test func hostOutsideAllowListCitesItsGeoLocation() throws {
    let document = replacing(
      try examplePlanDocument(),
      at: ["dmp", "dataset", "1", "distribution", "0", "host", "geo_location"], with: "US")
    let base = URL(fileURLWithPath: examplePlanPath).deletingLastPathComponent()
    let movedPlan = try DataManagementPlan.validate(document, baseDirectory: base).get()
    let violations = DMPCheck.check(
      plan: movedPlan, step: "simulate",
      outputs: [PlannedOutput(path: syntheticResult, encrypted: false)], inputs: [],
      location: "DE")
    #expect(pointers(violations) == ["/dmp/dataset/1/distribution/0/host/geo_location"])
  }

  @Test func missingStepCitesTheStepList() {
    let violations = DMPCheck.check(
      plan: plan, step: "analyse", outputs: [], inputs: [], location: "DE")
    #expect(pointers(violations) == ["/dmp/twin_sim:workflow/steps"])
  }

  @Test func siteLocationComesFromEnvironmentBeforeFile() throws {
    #expect(try SiteLocation.current(environment: ["TWIN_SIM_SITE_LOCATION": "AT"]) == "AT")
    #expect(throws: SiteLocation.Failure.self) {
      try SiteLocation.current(environment: ["TWIN_SIM_SITE_LOCATION": "Germany"])
    }
    let file = FileManager.default.temporaryDirectory.appendingPathComponent(
      "twin-dmp-site-\(UUID().uuidString).json")
    defer { try? FileManager.default.removeItem(at: file) }
    try Data(#"{"geo_location": "DE"}"#.utf8).write(to: file)
    #expect(try SiteLocation.current(environment: ["TWIN_SIM_SITE_CONFIG": file.path]) == "DE")
  }
}
