import ArgumentParser
import Foundation
import TwinAnalysis

/// `twin-sim export RESULTS.h5 --arm NAME --format csv`: tidy tables for tools
/// that do not read HDF5.
struct Export: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "export",
    abstract: "Write an arm's series, events and summary, and the persons, as tidy CSV tables.",
    discussion: """
      Writes four CSV files (header line, empty field for a missing value) into
      the output folder, streaming in blocks of persons:
        <arm>_series.csv   person,time,variable,value   every recorded series
                           (realisation 0), one row per person, time point and
                           variable; float series are empty after death
        <arm>_events.csv   person,time,kind             one row per event
                           (realisation 0), kind by name
        <arm>_summary.csv  realisation,time,variable,value   every summary dataset
        persons.csv        person,sex,age,sbp,total_cholesterol,hdl,bmi,smoking,
                           diabetes,bp_treated,<condition>...   one row per person
                           at the start (the same in every arm), to stratify by:
                           sex female or male; flags and conditions 0/1
      person is the identifier of /person; time is in years since the start.
      Units of each variable: docs/hdf5-layout.md.

      Example:
        twin-sim export runs/quickstart/results.h5 --arm statin -o tables/

      Exit status: 0; 2 for a missing, foreign, unfinished, inconsistent or
      damaged file or an unknown arm (the message lists the arms); 1 when
      writing fails.
      """)

  enum Format: String, ExpressibleByArgument, CaseIterable {
    case csv
  }

  @Argument(help: "Result file (results.h5 of a run folder).")
  var results: String

  @Option(help: ArgumentHelp("Arm to export (see the root attribute arms).", valueName: "name"))
  var arm: String

  @Option(help: "Table format.")
  var format: Format = .csv

  @Option(
    name: [.short, .long], help: ArgumentHelp("Folder for the files (created).", valueName: "dir"))
  var output: String = "."

  @Flag(help: "Export a file whose run did not finish (status not 'complete').")
  var allowIncomplete = false

  @Flag(help: "Do not check the datasets' SHA-256 digests (faster on large files).")
  var noVerify = false

  func run() throws {
    try AnalysisCommand.isolate(results)
    let file = try AnalysisCommand.open(
      results, allowIncomplete: allowIncomplete, verify: !noVerify)
    let tables = try AnalysisCommand.analysing(results) { () throws(AnalysisError) in
      try CSVExport.export(file: file, arm: arm, directory: output)
    }
    for table in tables {
      print("\(table.path)\t\(table.rows) rows")
    }
  }
}
