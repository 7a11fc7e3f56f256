import ArgumentParser
import Foundation
import TwinCatalog
import TwinDMP

/// Options shared by the catalog commands.
struct CatalogLocation: ParsableArguments {
  @Option(
    help: ArgumentHelp(
      "Catalog database (default: $TWIN_SIM_CATALOG, else runs/catalog.sqlite).",
      valueName: "file"))
  var catalog: String?

  func open() throws -> Catalog {
    let path = catalog ?? Catalog.defaultPath(environment: ProcessInfo.processInfo.environment)
    do {
      return try Catalog(path: path)
    } catch {
      throw reportInvalidInput("\(path): cannot open the catalog: \(error)")
    }
  }
}

/// `twin-sim catalog ...`: the data products of runs (docs/dmp.md, "Catalog").
struct CatalogCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "catalog",
    abstract: "Record, list and verify the data products of runs (SQLite catalog).",
    discussion: """
      The catalog records runs and their files: path, SHA-256, size, DMP dataset,
      workflow step, Slurm job, creation time, retention date, encrypted or not.
      Guide: docs/dmp.md.
      """,
    subcommands: [CatalogAdd.self, CatalogList.self, CatalogShow.self, CatalogVerify.self])
}

/// `twin-sim catalog add RUN_FOLDER [--dmp FILE] [--step NAME] [--encrypted]`.
struct CatalogAdd: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "add",
    abstract: "Record a run folder and its files (again: checksums taken anew).",
    discussion: """
      With --dmp, the run's dataset is the one its result file belongs to
      (twin_sim:path) and the files get that dataset's retention date
      (twin_sim:retention, counted from the run's start). The Slurm job comes from
      the run folder's crate, else SLURM_JOB_ID.

      A secure job's results folder (output-manifest.json and .age files,
      fetched or results/ of the bundle) is verified first (--node-signers,
      --bundle, as 'secure fetch'), then its ciphertexts are recorded, marked
      encrypted, with job, times and checksums of the ciphertexts; the dataset
      is the one results.h5.age belongs to.
      """)

  @Argument(help: "A run folder.")
  var runFolder: String

  @Option(help: ArgumentHelp("The maDMP the run obeys.", valueName: "file"))
  var dmp: String?

  @Option(
    help: ArgumentHelp(
      "The run's workflow step (default: the step writing its dataset).",
      valueName: "name"))
  var step: String?

  @Flag(help: "The files are ciphertexts written by the secure layer.")
  var encrypted = false

  @OptionGroup var location: CatalogLocation

  @OptionGroup var sealedResults: SealedResultsOptions

  func run() throws {
    var plan: DataManagementPlan?
    if let dmp {
      do {
        plan = try DataManagementPlan.load(path: dmp)
      } catch let failure as DMPValidationFailure {
        printError(failure.description)
        throw reportInvalidInput("\(dmp): invalid DMP")
      }
    }
    let sealed = try sealedResults.sealedRun(folder: runFolder)
    let catalog = try location.open()
    do {
      if let sealed {
        let products = try catalog.register(
          sealed: sealed, plan: plan,
          planFile: dmp.map { URL(fileURLWithPath: $0).standardizedFileURL.path }, step: step)
        for product in products { print("\(product.id)\t\(product.path)") }
        return
      }
      let products = try catalog.register(
        runFolder: URL(fileURLWithPath: runFolder), plan: plan,
        planFile: dmp.map { URL(fileURLWithPath: $0).standardizedFileURL.path }, step: step,
        encrypted: encrypted, environment: ProcessInfo.processInfo.environment)
      for product in products { print("\(product.id)\t\(product.path)") }
    } catch let error as ProvenanceError {
      throw reportInvalidInput(error.description)
    } catch let error as CatalogError {
      throw reportInvalidInput(error.description)
    }
  }
}

/// `twin-sim catalog list`.
struct CatalogList: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "list", abstract: "List the data products, one per line (tab-separated).")

  @OptionGroup var location: CatalogLocation

  func run() throws {
    print("id\tstate\tsize_bytes\tretention_until\tdataset\tstep\tslurm_job\tpath")
    for product in try location.open().products() {
      let fields = [
        String(product.id), product.state, String(product.sizeBytes),
        product.retentionUntil.map(CrateTime.string) ?? "-", product.dataset ?? "-",
        product.step ?? "-", product.slurmJob ?? "-", product.path,
      ]
      print(fields.joined(separator: "\t"))
    }
  }
}

/// `twin-sim catalog show ID|PATH`.
struct CatalogShow: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "show", abstract: "Show everything the catalog knows about one product.")

  @Argument(help: "Product id or file path.")
  var product: String

  @OptionGroup var location: CatalogLocation

  func run() throws {
    let catalog = try location.open()
    guard let found = try catalog.product(idOrPath: product) else {
      throw reportInvalidInput("\(product): no such product in \(catalog.path)")
    }
    let lines: [(String, String)] = [
      ("id", String(found.id)), ("path", found.path), ("sha256", found.sha256),
      ("size_bytes", String(found.sizeBytes)), ("run", found.runID),
      ("dataset", found.dataset ?? "-"), ("step", found.step ?? "-"),
      ("slurm_job", found.slurmJob ?? "-"), ("created", CrateTime.string(found.created)),
      ("retention_until", found.retentionUntil.map(CrateTime.string) ?? "-"),
      ("after_expiry", found.afterExpiry ?? "-"), ("encrypted", found.encrypted ? "yes" : "no"),
      ("state", found.state), ("archived_path", found.archivedPath ?? "-"),
    ]
    for (key, value) in lines { print("\(key): \(value)") }
    for action in try catalog.actions(productID: found.id) {
      print("action: \(CrateTime.string(action.time)) \(action.action) \(action.detail)")
    }
  }
}

/// `twin-sim catalog verify`.
struct CatalogVerify: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "verify",
    abstract: "Recompute checksums; report missing or changed files (exit 1 if any).")

  @OptionGroup var location: CatalogLocation

  func run() throws {
    let catalog = try location.open()
    let findings = try catalog.verify()
    for finding in findings { print(finding.description) }
    let checked = try catalog.products().filter { $0.state == "present" }.count
    if !findings.isEmpty {
      printError("twin-sim: \(findings.count) of \(checked) present product(s) missing or changed")
      throw ExitCode.failure
    }
    print("all \(checked) present product(s) match their checksums")
  }
}

/// `twin-sim dmp lifecycle [--apply] [--as-of DATE]`.
struct DMPLifecycle: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "lifecycle",
    abstract: "List data past its retention date; with --apply, delete or archive it.",
    discussion: """
      Lists the catalog's present products whose retention date (the DMP's
      twin_sim:retention at registration) is past. Without --apply nothing
      changes. With --apply each is deleted or moved to the archive location as
      the rule says, and the action is recorded in the catalog.
      """)

  @Flag(help: "Delete or archive the expired files.")
  var apply = false

  @Option(
    help: ArgumentHelp(
      "Judge expiry at this time (ISO 8601, e.g. 2030-01-01T00:00:00Z) instead of now.",
      valueName: "time"))
  var asOf: String?

  @OptionGroup var location: CatalogLocation

  func run() throws {
    var date = Date()
    if let asOf {
      guard let parsed = CrateTime.parse(asOf) else {
        throw reportInvalidInput("--as-of: expected an ISO 8601 time with offset, found \(asOf)")
      }
      date = parsed
    }
    let catalog = try location.open()
    if !apply {
      for product in try catalog.expired(asOf: date) {
        let until = product.retentionUntil.map(CrateTime.string) ?? "-"
        print("expired\t\(product.afterExpiry ?? "-")\t\(until)\t\(product.path)")
      }
      return
    }
    do {
      for product in try catalog.applyLifecycle(asOf: date) {
        print("\(product.state)\t\(product.path)\t\(product.archivedPath ?? "")")
      }
    } catch let error as CatalogError {
      throw reportInvalidInput(error.description)
    }
  }
}

/// `twin-sim dmp update --dmp FILE`.
struct DMPUpdateCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "update",
    abstract: "Write a new version of the DMP with what the catalog knows; keep the old one.",
    discussion: """
      Each distribution with catalogued files (twin_sim:path) gets byte_size (their
      total), format (their media types added) and twin_sim:files (path, sha256,
      byte_size, created, slurm_job per file); each such dataset gets issued (the
      first file's date) unless it has one, and, where it says
      twin_sim:checksum_identifiers: true, the checksums as alternate_identifier
      entries (sha256:<hex>). dmp.modified becomes now. The previous version is
      kept as FILE.vN; the new one is validated before it is written.
      """)

  @Option(help: ArgumentHelp("The maDMP file to update.", valueName: "file"))
  var dmp: String

  @OptionGroup var location: CatalogLocation

  func run() throws {
    let catalog = try location.open()
    do {
      let previous = try DMPUpdate.write(planFile: dmp, catalog: catalog)
      print("\(dmp): updated; previous version kept as \(previous)")
    } catch let failure as DMPValidationFailure {
      printError(failure.description)
      throw reportInvalidInput("\(dmp): invalid DMP")
    } catch let error as CatalogError {
      throw reportInvalidInput(error.description)
    }
  }
}
