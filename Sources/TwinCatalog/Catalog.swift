import Foundation
import GRDB
import TwinDMP

/// One file the catalog knows: a data product of a run (docs/dmp.md, "Catalog").
public struct DataProduct: Sendable, Hashable {
  public var id: Int64
  public var runID: String
  /// Absolute path where the file was registered.
  public var path: String
  /// SHA-256 (hex) of the bytes at registration.
  public var sha256: String
  public var sizeBytes: Int64
  /// `dataset_id.identifier` of the DMP dataset the run's result file belongs to.
  public var dataset: String?
  public var step: String?
  public var slurmJob: String?
  /// The run's start (the result file's `created`).
  public var created: Date
  /// When the DMP's `twin_sim:retention` lets the file expire; nil: kept.
  public var retentionUntil: Date?
  /// What happens after expiry: `delete` or `archive` (nil without a rule).
  public var afterExpiry: String?
  /// Folder archived files move to (absolute), for `archive`.
  public var archiveLocation: String?
  /// The file is ciphertext written by the secure layer.
  public var encrypted: Bool
  /// `present`, `deleted` or `archived`.
  public var state: String
  /// Where an archived file went.
  public var archivedPath: String?
}

/// One thing done to a product (registration, deletion, archiving).
public struct CatalogAction: Sendable, Hashable {
  public var productID: Int64
  public var action: String
  public var time: Date
  public var detail: String
}

/// A problem `verify` finds.
public struct VerificationFinding: Sendable, Hashable, CustomStringConvertible {
  public enum Kind: String, Sendable { case missing, changed }
  public var kind: Kind
  public var product: DataProduct
  /// For `changed`: the checksum of the bytes on disk now.
  public var foundSHA256: String?

  public var description: String {
    switch kind {
    case .missing:
      return "missing: \(product.path) (product \(product.id))"
    case .changed:
      return
        "changed: \(product.path) (product \(product.id)): expected sha256 \(product.sha256),"
        + " found \(foundSHA256 ?? "?")"
    }
  }
}

/// Failures of the catalog: the message names the file and the reason.
public struct CatalogError: Error, Sendable, CustomStringConvertible {
  public var description: String
  public init(_ description: String) { self.description = description }
}

/// The catalog of runs and data products: an SQLite database (GRDB).
/// Every change is one transaction; the schema is created by a migration.
public final class Catalog: Sendable {
  private let database: DatabaseQueue
  public let path: String

  /// `TWIN_SIM_CATALOG`, else `runs/catalog.sqlite` under the current folder.
  public static func defaultPath(environment: [String: String]) -> String {
    environment["TWIN_SIM_CATALOG"] ?? "runs/catalog.sqlite"
  }

  /// Opens (or creates) the catalog at `path`.
  public init(path: String) throws {
    self.path = path
    let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    database = try DatabaseQueue(path: path)
    var migrator = DatabaseMigrator()
    migrator.registerMigration("v1") { db in
      try db.execute(
        sql: """
          CREATE TABLE run (
            id TEXT PRIMARY KEY, folder TEXT NOT NULL, scenario TEXT NOT NULL,
            step TEXT, slurm_job TEXT, mpi_ranks INTEGER NOT NULL,
            start_time TEXT NOT NULL, end_time TEXT NOT NULL, completed INTEGER NOT NULL,
            dmp_file TEXT);
          CREATE TABLE product (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            run_id TEXT NOT NULL REFERENCES run(id), path TEXT NOT NULL UNIQUE,
            sha256 TEXT NOT NULL, size_bytes INTEGER NOT NULL, dataset TEXT, step TEXT,
            slurm_job TEXT, created TEXT NOT NULL, retention_until TEXT, after_expiry TEXT,
            archive_location TEXT, encrypted INTEGER NOT NULL, state TEXT NOT NULL,
            archived_path TEXT);
          CREATE TABLE action (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            product_id INTEGER NOT NULL REFERENCES product(id), action TEXT NOT NULL,
            time TEXT NOT NULL, detail TEXT NOT NULL);
          """)
    }
    try migrator.migrate(database)
  }

  /// Files of a run folder that are products: everything but the lock,
  /// checkpoints and temporary files.
  static func productFiles(in folder: URL) throws -> [URL] {
    let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
    return names.filter { name in
      !name.hasPrefix(".") && !name.hasPrefix("checkpoint-") && !name.hasSuffix(".tmp")
    }.map { folder.appendingPathComponent($0) }.filter { url in
      var isDirectory: ObjCBool = false
      return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory)
        && !isDirectory.boolValue
    }
  }

  /// Registers a run folder and its files. The run's DMP dataset is the one
  /// its result file belongs to (`twin_sim:path`); all files of the folder
  /// share it and its retention rule. Registering a run again replaces its
  /// products (their checksums are taken anew).
  @discardableResult
  public func register(
    runFolder: URL, plan: DataManagementPlan?, planFile: String?, step: String?,
    encrypted: Bool, environment: [String: String]
  ) throws -> [DataProduct] {
    let run = try RunRecord.inspect(folder: runFolder)
    let resultFile = run.folder.appendingPathComponent(run.resultFileName)
    let dataset = plan?.files(matching: resultFile.path).first?.dataset
    let inferredStep =
      step
      ?? plan?.steps.first { step in dataset.map { step.writes.contains($0.identifier) } ?? false }?
      .name
    let slurmJob =
      (try? CampaignCrate.slurmFacts(ofRunFolder: runFolder))?
      .first { $0.0 == "SLURM_JOB_ID" }?.1.stringValue ?? environment["SLURM_JOB_ID"]
    let (retentionUntil, archiveLocation) = retention(
      of: dataset, plan: plan, start: run.startTime)
    let files = try Self.productFiles(in: runFolder)
    var products: [DataProduct] = []
    for file in files {
      let attributes = try FileManager.default.attributesOfItem(atPath: file.path)
      products.append(
        DataProduct(
          id: 0, runID: run.runID, path: file.standardizedFileURL.path,
          sha256: try SHA256.hexDigest(ofFile: file),
          sizeBytes: (attributes[.size] as? NSNumber)?.int64Value ?? 0,
          dataset: dataset?.identifier, step: inferredStep, slurmJob: slurmJob,
          created: run.startTime, retentionUntil: retentionUntil,
          afterExpiry: dataset?.retention?.afterExpiry.rawValue, archiveLocation: archiveLocation,
          encrypted: encrypted, state: "present", archivedPath: nil))
    }
    return try store(
      run: RunRow(
        id: run.runID, folder: run.folder.standardizedFileURL.path, scenario: run.scenarioName,
        step: inferredStep, slurmJob: slurmJob, mpiRanks: run.mpiRanks, start: run.startTime,
        end: run.endTime, completed: run.completed, planFile: planFile),
      products: products)
  }

  /// Registers a secure job's results folder (fetched, or `results/` of the
  /// bundle): the ciphertexts the verified output manifest lists, marked
  /// encrypted, and the manifest and its signature (plain metadata). Never a
  /// plaintext checksum: the catalog records what is on disk. The dataset is
  /// the one the encrypted result (`results.h5.age`, else the first output)
  /// belongs to; retention counts from the job's start. Each file's SHA-256 is
  /// taken from its bytes and must equal the signed value.
  @discardableResult
  public func register(
    sealed run: SealedRun, plan: DataManagementPlan?, planFile: String?, step: String?
  ) throws -> [DataProduct] {
    let primary = run.primaryOutput.map { run.folder.appendingPathComponent($0.name) }
    let dataset = primary.flatMap { plan?.files(matching: $0.path).first?.dataset }
    let inferredStep =
      step
      ?? plan?.steps.first { step in dataset.map { step.writes.contains($0.identifier) } ?? false }?
      .name
    let (retentionUntil, archiveLocation) = retention(
      of: dataset, plan: plan, start: run.started)
    let signed = Dictionary(uniqueKeysWithValues: run.outputs.map { ($0.name, $0.sha256) })
    var products: [DataProduct] = []
    for name in run.outputs.map(\.name) + run.manifestFiles {
      let file = run.folder.appendingPathComponent(name)
      let attributes = try FileManager.default.attributesOfItem(atPath: file.path)
      let digest = try SHA256.hexDigest(ofFile: file)
      if let expected = signed[name], expected != digest {
        throw CatalogError("\(file.path): SHA-256 differs from the node-signed output manifest")
      }
      products.append(
        DataProduct(
          id: 0, runID: run.runID, path: file.standardizedFileURL.path, sha256: digest,
          sizeBytes: (attributes[.size] as? NSNumber)?.int64Value ?? 0,
          dataset: dataset?.identifier, step: inferredStep, slurmJob: run.jobID,
          created: run.started, retentionUntil: retentionUntil,
          afterExpiry: dataset?.retention?.afterExpiry.rawValue, archiveLocation: archiveLocation,
          encrypted: signed[name] != nil && name.hasSuffix(".age"), state: "present",
          archivedPath: nil))
    }
    return try store(
      run: RunRow(
        id: run.runID, folder: run.folder.standardizedFileURL.path,
        scenario: "secure job \(run.jobID)", step: inferredStep, slurmJob: run.jobID,
        mpiRanks: 0, start: run.started, end: run.finished, completed: run.succeeded,
        planFile: planFile),
      products: products)
  }

  /// The retention date and archive folder of a dataset's files, counted from `start`.
  private func retention(
    of dataset: DMPDataset?, plan: DataManagementPlan?, start: Date
  ) -> (until: Date?, archiveLocation: String?) {
    guard let rule = dataset?.retention else { return (nil, nil) }
    var archiveLocation: String?
    if let location = rule.archiveLocation, let plan {
      archiveLocation =
        location.hasPrefix("/")
        ? location : plan.baseDirectory.appendingPathComponent(location).standardizedFileURL.path
    }
    return (start.addingTimeInterval(Double(rule.keepDays) * 86_400), archiveLocation)
  }

  /// A row of the `run` table.
  private struct RunRow: Sendable {
    var id: String
    var folder: String
    var scenario: String
    var step: String?
    var slurmJob: String?
    var mpiRanks: Int64
    var start: Date
    var end: Date
    var completed: Bool
    var planFile: String?
  }

  /// Writes a run and its products in one transaction, replacing earlier
  /// entries of the same paths; records a `register` action for each.
  private func store(run: RunRow, products: [DataProduct]) throws -> [DataProduct] {
    let now = Date()
    return try database.write { db in
      try db.execute(
        sql: """
          INSERT OR REPLACE INTO run (id, folder, scenario, step, slurm_job, mpi_ranks,
            start_time, end_time, completed, dmp_file) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
          """,
        arguments: [
          run.id, run.folder, run.scenario, run.step, run.slurmJob, run.mpiRanks,
          CrateTime.string(run.start), CrateTime.string(run.end), run.completed, run.planFile,
        ])
      var stored: [DataProduct] = []
      for var product in products {
        try db.execute(
          sql: "DELETE FROM action WHERE product_id IN (SELECT id FROM product WHERE path = ?)",
          arguments: [product.path])
        try db.execute(sql: "DELETE FROM product WHERE path = ?", arguments: [product.path])
        try db.execute(
          sql: """
            INSERT INTO product (run_id, path, sha256, size_bytes, dataset, step, slurm_job,
              created, retention_until, after_expiry, archive_location, encrypted, state)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
          arguments: [
            product.runID, product.path, product.sha256, product.sizeBytes, product.dataset,
            product.step, product.slurmJob, CrateTime.string(product.created),
            product.retentionUntil.map(CrateTime.string), product.afterExpiry,
            product.archiveLocation, product.encrypted, product.state,
          ])
        product.id = db.lastInsertedRowID
        try Self.record(db, productID: product.id, action: "register", time: now, detail: "")
        stored.append(product)
      }
      return stored
    }
  }

  /// Every product, in registration order.
  public func products() throws -> [DataProduct] {
    try database.read { db in
      try Row.fetchAll(db, sql: "SELECT * FROM product ORDER BY id").map(Self.product)
    }
  }

  /// The product with this id or (absolute, normalised) path.
  public func product(idOrPath: String) throws -> DataProduct? {
    try database.read { db in
      let row: Row?
      if let id = Int64(idOrPath) {
        row = try Row.fetchOne(db, sql: "SELECT * FROM product WHERE id = ?", arguments: [id])
      } else {
        let path = URL(fileURLWithPath: idOrPath).standardizedFileURL.path
        row = try Row.fetchOne(
          db, sql: "SELECT * FROM product WHERE path = ?", arguments: [path])
      }
      return row.map(Self.product)
    }
  }

  /// What was done to a product, oldest first.
  public func actions(productID: Int64) throws -> [CatalogAction] {
    try database.read { db in
      try Row.fetchAll(
        db, sql: "SELECT * FROM action WHERE product_id = ? ORDER BY id", arguments: [productID]
      ).map { row in
        CatalogAction(
          productID: row["product_id"], action: row["action"],
          time: CrateTime.parse(row["time"]) ?? .distantPast, detail: row["detail"])
      }
    }
  }

  /// Recomputes the checksum of every present product; reports missing and
  /// changed files. Changes nothing.
  public func verify() throws -> [VerificationFinding] {
    var findings: [VerificationFinding] = []
    for product in try products() where product.state == "present" {
      guard FileManager.default.fileExists(atPath: product.path) else {
        findings.append(VerificationFinding(kind: .missing, product: product, foundSHA256: nil))
        continue
      }
      let digest = try SHA256.hexDigest(ofFile: URL(fileURLWithPath: product.path))
      if digest != product.sha256 {
        findings.append(VerificationFinding(kind: .changed, product: product, foundSHA256: digest))
      }
    }
    return findings
  }

  /// Present products whose retention date is at or before `date`.
  public func expired(asOf date: Date) throws -> [DataProduct] {
    try products().filter { product in
      product.state == "present" && (product.retentionUntil.map { $0 <= date } ?? false)
    }
  }

  /// Deletes or archives every product expired at `date`, as its dataset's
  /// `twin_sim:retention` says, and records each action. Returns the products
  /// acted on (with their new state). A file already gone is recorded as
  /// deleted with that detail.
  public func applyLifecycle(asOf date: Date) throws -> [DataProduct] {
    let manager = FileManager.default
    var changed: [DataProduct] = []
    for var product in try expired(asOf: date) {
      let detail: String
      switch product.afterExpiry {
      case "archive":
        guard let location = product.archiveLocation else {
          throw CatalogError("product \(product.id): archive rule without archive_location")
        }
        let runFolder = URL(fileURLWithPath: product.path).deletingLastPathComponent()
        let targetFolder = URL(fileURLWithPath: location).appendingPathComponent(
          runFolder.lastPathComponent)
        try manager.createDirectory(at: targetFolder, withIntermediateDirectories: true)
        let target = targetFolder.appendingPathComponent(
          URL(fileURLWithPath: product.path).lastPathComponent)
        if manager.fileExists(atPath: target.path) {
          throw CatalogError("\(target.path): exists already; not overwriting an archived file")
        }
        try manager.moveItem(atPath: product.path, toPath: target.path)
        product.state = "archived"
        product.archivedPath = target.path
        detail = "moved to \(target.path)"
      case "delete":
        if manager.fileExists(atPath: product.path) {
          try manager.removeItem(atPath: product.path)
          detail = "deleted"
        } else {
          detail = "already gone"
        }
        product.state = "deleted"
      default:
        continue
      }
      let now = Date()
      let updated = product
      try database.write { db in
        try db.execute(
          sql: "UPDATE product SET state = ?, archived_path = ? WHERE id = ?",
          arguments: [updated.state, updated.archivedPath, updated.id])
        try Self.record(
          db, productID: updated.id, action: updated.state == "archived" ? "archive" : "delete",
          time: now, detail: detail)
      }
      changed.append(product)
    }
    return changed
  }

  /// Points the entries of a run folder that moved as a whole (`twin-sim run --overwrite`
  /// moves a finished run aside) to its new place: the runs registered from `from` and
  /// every product whose file lies in it, each with a `move` action. Returns the products
  /// changed. Checksums stay: the bytes did not change.
  @discardableResult
  public func relocate(folder from: URL, to: URL) throws -> [DataProduct] {
    let oldFolder = from.standardizedFileURL.path
    let newFolder = to.standardizedFileURL.path
    let now = Date()
    return try database.write { db in
      try db.execute(
        sql: "UPDATE run SET folder = ? WHERE folder = ?", arguments: [newFolder, oldFolder])
      var moved: [DataProduct] = []
      let rows = try Row.fetchAll(db, sql: "SELECT * FROM product ORDER BY id")
      for var product in rows.map(Self.product)
      where URL(fileURLWithPath: product.path).deletingLastPathComponent().path == oldFolder {
        let newPath = URL(fileURLWithPath: newFolder).appendingPathComponent(
          URL(fileURLWithPath: product.path).lastPathComponent
        ).path
        try db.execute(
          sql: "UPDATE product SET path = ? WHERE id = ?", arguments: [newPath, product.id])
        try Self.record(
          db, productID: product.id, action: "move", time: now,
          detail: "run folder moved aside from \(oldFolder) to \(newFolder)")
        product.path = newPath
        moved.append(product)
      }
      return moved
    }
  }

  private static func record(
    _ db: Database, productID: Int64, action: String, time: Date, detail: String
  ) throws {
    try db.execute(
      sql: "INSERT INTO action (product_id, action, time, detail) VALUES (?, ?, ?, ?)",
      arguments: [productID, action, CrateTime.string(time), detail])
  }

  private static func product(_ row: Row) -> DataProduct {
    DataProduct(
      id: row["id"], runID: row["run_id"], path: row["path"], sha256: row["sha256"],
      sizeBytes: row["size_bytes"], dataset: row["dataset"], step: row["step"],
      slurmJob: row["slurm_job"], created: CrateTime.parse(row["created"]) ?? .distantPast,
      retentionUntil: (row["retention_until"] as String?).flatMap(CrateTime.parse),
      afterExpiry: row["after_expiry"], archiveLocation: row["archive_location"],
      encrypted: row["encrypted"], state: row["state"], archivedPath: row["archived_path"])
  }
}
