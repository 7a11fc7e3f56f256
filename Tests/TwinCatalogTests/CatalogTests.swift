import Foundation
import HDF5Kit
import Testing
import TwinDMP

@testable import TwinCatalog

/// A run folder with a result file carrying the root attributes of
/// docs/hdf5-layout.md (run started 2025-01-15T11:00:00Z), a scenario copy,
/// and a DMP whose dataset keeps the run's files 365 days, then deletes them.
struct CatalogFixture {
  let root: URL
  let runFolder: URL
  let plan: DataManagementPlan

  init() throws {
    root = FileManager.default.temporaryDirectory.appendingPathComponent(
      "twin-catalog-\(UUID().uuidString)")
    runFolder = root.appendingPathComponent("run-1")
    try FileManager.default.createDirectory(at: runFolder, withIntermediateDirectories: true)
    let file = try H5File.create(path: runFolder.appendingPathComponent("results.h5").path)
    let top = try file.root()
    try top.setAttribute("status", "complete")
    try top.setAttribute("created", "2025-01-15T11:00:00Z")
    try top.setAttribute("software_version", "0.1.0")
    try top.setAttribute("scenario_name", "catalog-test")
    try top.setAttribute("run_id", "1b4e28ba-2fa1-11d2-883f-0016d3cca427")
    try top.setAttribute("mpi_ranks", Int64(2))
    try file.close()
    try Data("name: catalog-test\n".utf8).write(
      to: runFolder.appendingPathComponent("scenario.yaml"))
    let document: JSONValue = .object([
      "dmp": .object([
        "title": "catalog test", "language": "eng", "created": "2025-01-01T00:00:00Z",
        "modified": "2025-01-01T00:00:00Z", "ethical_issues_exist": "no",
        "dmp_id": .object(["identifier": "urn:test", "type": "other"]),
        "contact": .object([
          "name": "A", "mbox": "a@example.org",
          "contact_id": .object(["identifier": "a", "type": "other"]),
        ]),
        "twin_sim:allowed_geo_locations": .array(["DE"]),
        "twin_sim:workflow": .object([
          "steps": .array([
            .object(["name": "simulate", "reads": .array([]), "writes": .array(["urn:results"])])
          ])
        ]),
        "dataset": .array([
          .object([
            "title": "results", "personal_data": "no", "sensitive_data": "no",
            "dataset_id": .object(["identifier": "urn:results", "type": "other"]),
            "distribution": .array([
              .object([
                "title": "run folders", "data_access": "shared",
                "twin_sim:path": .string(root.path + "/run-*/results.h5"),
              ])
            ]),
            "twin_sim:retention": .object(["keep_days": .number(365), "after_expiry": "delete"]),
          ])
        ]),
      ])
    ])
    plan = try DataManagementPlan.validate(document, baseDirectory: root).get()
  }

  func catalog() throws -> Catalog {
    try Catalog(path: root.appendingPathComponent("catalog.sqlite").path)
  }
}

struct CatalogTests {
  @Test func registeredRunCarriesDatasetStepAndRetentionDate() throws {
    let fixture = try CatalogFixture()
    defer { try? FileManager.default.removeItem(at: fixture.root) }
    let products = try fixture.catalog().register(
      runFolder: fixture.runFolder, plan: fixture.plan, planFile: nil, step: nil,
      encrypted: false, environment: ["SLURM_JOB_ID": "77"])
    #expect(
      products.map { URL(fileURLWithPath: $0.path).lastPathComponent } == [
        "results.h5", "scenario.yaml",
      ])
    // 2025-01-15T11:00:00Z + 365 days = 2026-01-15T11:00:00Z = 1,768,474,800 s (Python datetime).
    #expect(products.allSatisfy { $0.retentionUntil == Date(timeIntervalSince1970: 1_768_474_800) })
    #expect(products.allSatisfy { $0.dataset == "urn:results" && $0.step == "simulate" })
    #expect(products.allSatisfy { $0.slurmJob == "77" })
    // SHA-256 of "name: catalog-test\n" (Python hashlib).
    #expect(
      products[1].sha256 == "4089b668a329bfc818241584ce144ff3c20c65012675271ee388be0361461ec5")
  }

  @Test func verifyFindsChangedAndMissingFiles() throws {
    let fixture = try CatalogFixture()
    defer { try? FileManager.default.removeItem(at: fixture.root) }
    let catalog = try fixture.catalog()
    try catalog.register(
      runFolder: fixture.runFolder, plan: fixture.plan, planFile: nil, step: nil,
      encrypted: false, environment: [:])
    #expect(try catalog.verify().isEmpty)
    let scenario = fixture.runFolder.appendingPathComponent("scenario.yaml")
    try Data("name: edited\n".utf8).write(to: scenario)
    #expect(try catalog.verify().map(\.kind) == [.changed])
    try FileManager.default.removeItem(at: scenario)
    #expect(try catalog.verify().map(\.kind) == [.missing])
  }

  @Test func lifecycleDeletesOnlyAfterTheRetentionDate() throws {
    let fixture = try CatalogFixture()
    defer { try? FileManager.default.removeItem(at: fixture.root) }
    let catalog = try fixture.catalog()
    try catalog.register(
      runFolder: fixture.runFolder, plan: fixture.plan, planFile: nil, step: nil,
      encrypted: false, environment: [:])
    let dayBefore = Date(timeIntervalSince1970: 1_768_474_800 - 86_400)
    #expect(try catalog.expired(asOf: dayBefore).isEmpty)
    #expect(try catalog.applyLifecycle(asOf: dayBefore).isEmpty)
    let deleted = try catalog.applyLifecycle(asOf: Date(timeIntervalSince1970: 1_768_474_800))
    #expect(deleted.map(\.state) == ["deleted", "deleted"])
    #expect(!FileManager.default.fileExists(atPath: deleted[0].path))
    let actions = try catalog.actions(productID: deleted[0].id).map(\.action)
    #expect(actions == ["register", "delete"])
  }
}

struct DMPUpdateTests {
  @Test func updatedPlanCarriesSizeChecksumAndModificationTime() throws {
    let fixture = try CatalogFixture()
    defer { try? FileManager.default.removeItem(at: fixture.root) }
    let catalog = try fixture.catalog()
    let products = try catalog.register(
      runFolder: fixture.runFolder, plan: fixture.plan, planFile: nil, step: nil,
      encrypted: false, environment: [:])
    // 2026-11-27T00:00:00Z = 1,795,737,600 s after the epoch (Python datetime).
    let document = DMPUpdate.updated(
      plan: fixture.plan, products: products, now: Date(timeIntervalSince1970: 1_795_737_600))
    #expect(document["dmp"]?["modified"] == "2026-11-27T00:00:00Z")
    let dataset = try #require(document["dmp"]?["dataset"]?.arrayValue?.first)
    let distribution = try #require(dataset["distribution"]?.arrayValue?.first)
    let results = products[0]
    #expect(distribution["byte_size"] == .number(Double(results.sizeBytes)))
    let files = try #require(distribution[DMPUpdate.filesKey]?.arrayValue)
    #expect(files.count == 1)
    #expect(files.first?["sha256"] == .string(results.sha256))
    #expect(dataset["issued"] == "2025-01-15")
    let base = fixture.root
    #expect((try? DataManagementPlan.validate(document, baseDirectory: base).get()) != nil)
  }
}
