import ArgumentParser
import Foundation
import TwinAnalysis

/// `twin-sim summary RESULTS.h5`: the what-if answer per arm and versus the
/// baseline. Parses arguments and prints; the numbers come from TwinAnalysis.
struct Summary: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "summary",
    abstract:
      "Per arm and versus the baseline: survival time, CVD events, NNT, with uncertainty.",
    discussion: """
      Reads a result file (docs/hdf5-layout.md) and prints, for every arm:
        persons, person-years, the restricted mean survival time over the
        horizon (RMST: person-years / persons, the mean time lived between the
        start and the horizon; JSON key rmst_years, also still written as
        life_expectancy_years for this release), cardiovascular events and
        deaths per 1,000 persons,
      and for every arm other than the baseline (root attribute baseline_arm),
      within the same realisation (common random numbers):
        CVD events averted and life-years gained per 1,000 persons, and the
        number needed to treat (persons / events averted, n/a when none).
      Each comes with a 95 % interval and the Monte Carlo standard error (MCSE):
      over realisations (2.5 and 97.5 percentiles, sd / sqrt(R)) when the run
      has replicates or parameter draws; with one realisation, within-run
      standard errors from per-person outcomes (events table, read in blocks of
      65,536 rows) and the interval estimate +- 1.96 MCSE.

      Formats: a table (default), --json (one object), --csv (one row per arm
      and measure). Keys, columns and definitions: docs/analysis.md.

      Examples:
        twin-sim summary runs/quickstart/results.h5
        twin-sim summary runs/quickstart/results.h5 --json > summary.json

      Exit status: 0; 2 when the file is missing, not a twin-sim result, from a
      run that did not finish (unless --allow-incomplete), inconsistent or
      damaged (a checksum mismatch, or HDF5 crashed reading it: the file is
      read in a child process, docs/operations.md).
      """)

  @Argument(help: "Result file (results.h5 of a run folder).")
  var results: String

  @Flag(help: "Print one JSON object (keys in docs/analysis.md).")
  var json = false

  @Flag(help: "Print CSV: arm,measure,unit,mean,lower95,upper95,mcse,interval_method.")
  var csv = false

  @Flag(help: "Read a file whose run did not finish (status not 'complete'), with a warning.")
  var allowIncomplete = false

  @Flag(help: "Do not check the datasets' SHA-256 digests (faster on large files).")
  var noVerify = false

  func validate() throws {
    if json && csv { throw ValidationError("Give at most one of --json and --csv.") }
  }

  func run() throws {
    try AnalysisCommand.isolate(results)
    let file = try AnalysisCommand.open(
      results, allowIncomplete: allowIncomplete, verify: !noVerify)
    let summary = try AnalysisCommand.analysing(results) { () throws(AnalysisError) in
      try ResultSummary.compute(file: file)
    }
    let format: SummaryFormat = json ? .json : (csv ? .csv : .text)
    print(summary.rendered(format), terminator: "")
  }
}

/// What `summary`, `report` and `export` share: opening a result file and
/// turning analysis errors into messages and exit codes.
enum AnalysisCommand {
  /// Opens a result file; invalid input exits with status 2 and a message. A
  /// file of an unfinished run, when allowed, gets a warning on standard error.
  static func open(_ path: String, allowIncomplete: Bool, verify: Bool) throws -> ResultFile {
    let file = try analysing(path) { () throws(AnalysisError) in
      try ResultFile.open(path: path, allowIncomplete: allowIncomplete, verify: verify)
    }
    if ProcessInfo.processInfo.environment["TWIN_SIM_TEST_CRASH_AFTER_OPEN"] == "1",
      ProcessInfo.processInfo.environment[childVariable] == "1"
    {
      raise(SIGSEGV)  // tests: a crash inside HDF5 (Tests/python/test_damaged_results.py)
    }
    if !file.isComplete {
      printError(
        "twin-sim: warning: \(path): the run did not finish (status '\(file.provenance.status)'); "
          + "numbers may be partial or unwritten")
    }
    return file
  }

  /// Runs an analysis step of the file `path`: invalid input (including an
  /// inconsistent or damaged file) exits with status 2, failures with 1. The
  /// message names the file.
  static func analysing<T>(_ path: String, _ body: () throws(AnalysisError) -> T) throws -> T {
    do {
      return try body()
    } catch {
      var message = error.description
      if !message.contains(path) { message = "\(path): \(message)" }
      if error.isInvalidInput { throw reportInvalidInput(message) }
      printError("twin-sim: error: \(message)")
      throw ExitCode.failure
    }
  }

  /// The reading child's address space: 16 GiB. Analysis reads in bounded
  /// blocks (a few hundred MB at most); a damaged variable-length string can
  /// make HDF5 allocate and clear terabytes, which then fails at once instead
  /// of running for hours. A lower limit set by the user is kept.
  static let childAddressSpace: rlim_t = 16 << 30

  private static func limitAddressSpace() {
    var limit = rlimit()
    guard getrlimit(Int32(RLIMIT_AS.rawValue), &limit) == 0 else { return }
    if limit.rlim_cur > childAddressSpace {
      limit.rlim_cur = childAddressSpace
      _ = setrlimit(Int32(RLIMIT_AS.rawValue), &limit)
    }
  }

  /// Set in the child that does the reading.
  static let childVariable = "TWIN_SIM_ANALYSIS_CHILD"

  /// Runs this command again in a child process (`/proc/self/exe`, the same
  /// arguments, `TWIN_SIM_ANALYSIS_CHILD=1`) and ends with its exit status:
  /// HDF5 itself crashes on some malformed files (out-of-bounds reads in
  /// object-header decoding), and a child that dies of a signal becomes exit
  /// 2 with a sentence instead of taking the command down. Returns in the
  /// child, or where no child can be started (then the command runs here).
  static func isolate(_ path: String) throws {
    let environment = ProcessInfo.processInfo.environment
    if environment[childVariable] == "1" {
      limitAddressSpace()
      return
    }
    guard FileManager.default.isExecutableFile(atPath: "/proc/self/exe") else { return }
    var childEnvironment = environment
    childEnvironment[childVariable] = "1"
    // No crash backtrace from the Swift runtime: the parent reports the signal.
    childEnvironment["SWIFT_BACKTRACE"] = "enable=no"
    let arguments = CommandLine.arguments.map { strdup($0) } + [nil]
    let variables = childEnvironment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer {
      for pointer in arguments + variables { free(pointer) }
    }
    var child: pid_t = 0
    guard posix_spawn(&child, "/proc/self/exe", nil, nil, arguments, variables) == 0 else {
      return
    }
    var status: Int32 = 0
    while waitpid(child, &status, 0) < 0 {
      guard errno == EINTR else { return }
    }
    let signal = status & 0x7f
    if signal == 0 { throw ExitCode((status >> 8) & 0xff) }
    throw reportInvalidInput(
      "\(path): cannot be read safely: HDF5 crashed while reading it (signal \(signal)); "
        + "the file is damaged")
  }
}
