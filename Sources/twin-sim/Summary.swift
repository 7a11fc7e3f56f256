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

      Exit status: 0; 2 when the file is missing, not a twin-sim result, or
      from a run that did not finish (unless --allow-incomplete); 1 when
      reading fails.
      """)

  @Argument(help: "Result file (results.h5 of a run folder).")
  var results: String

  @Flag(help: "Print one JSON object (keys in docs/analysis.md).")
  var json = false

  @Flag(help: "Print CSV: arm,measure,unit,mean,lower95,upper95,mcse,interval_method.")
  var csv = false

  @Flag(help: "Read a file whose run did not finish (status not 'complete'), with a warning.")
  var allowIncomplete = false

  func validate() throws {
    if json && csv { throw ValidationError("Give at most one of --json and --csv.") }
  }

  func run() throws {
    let file = try AnalysisCommand.open(results, allowIncomplete: allowIncomplete)
    let summary = try AnalysisCommand.analysing { () throws(AnalysisError) in
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
  static func open(_ path: String, allowIncomplete: Bool) throws -> ResultFile {
    let file = try analysing { () throws(AnalysisError) in
      try ResultFile.open(path: path, allowIncomplete: allowIncomplete)
    }
    if !file.isComplete {
      printError(
        "twin-sim: warning: \(path): the run did not finish (status '\(file.provenance.status)'); "
          + "numbers may be partial or unwritten")
    }
    return file
  }

  /// Runs an analysis step: invalid input exits with status 2, failures with 1.
  static func analysing<T>(_ body: () throws(AnalysisError) -> T) throws -> T {
    do {
      return try body()
    } catch {
      if error.isInvalidInput { throw reportInvalidInput(error.description) }
      printError("twin-sim: error: \(error.description)")
      throw ExitCode.failure
    }
  }
}
