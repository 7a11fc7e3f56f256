import ArgumentParser
import Foundation
import TwinAnalysis
import TwinCore

/// `twin-sim report RESULTS.h5 -o report.html`: one self-contained HTML page.
struct Report: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "report",
    abstract: "Write a self-contained HTML report with plots of a result file.",
    discussion: """
      Writes one HTML file that needs no network (inline CSS and SVG, no
      script) with:
        - the arm-versus-baseline table of `twin-sim summary`
        - survival (fraction alive) per arm, with a 95 % band
        - cumulative cardiovascular events per 1,000 persons per arm, with a
          95 % band (over realisations; within-run with one realisation)
        - trajectories by arm of sbp, total_cholesterol, hdl, bmi, risk10 and
          the physiology outputs (sbp_model, dbp_model, pulse_pressure,
          cardiac_output, ejection_fraction, pwv) that the arms record: mean,
          median, 25th-75th and 10th-90th percentiles of the persons alive,
          one panel per arm, computed in blocks of persons (bounded memory)
        - provenance: scenario text, seed, software version, run id, and the
          DMP dataset and Slurm job when the file records them.

      Example:
        twin-sim report runs/quickstart/results.h5 -o runs/quickstart/report.html

      Exit status: 0; 2 for a missing, foreign, unfinished (see
      --allow-incomplete), inconsistent or damaged file; 1 when writing fails. Details:
      docs/analysis.md.
      """)

  @Argument(help: "Result file (results.h5 of a run folder).")
  var results: String

  @Option(name: [.short, .long], help: ArgumentHelp("HTML file to write.", valueName: "file"))
  var output: String = "report.html"

  @Flag(help: "Report on a file whose run did not finish (status not 'complete').")
  var allowIncomplete = false

  @Flag(help: "Do not check the datasets' SHA-256 digests (faster on large files).")
  var noVerify = false

  func run() throws {
    try AnalysisCommand.isolate(results)
    let file = try AnalysisCommand.open(
      results, allowIncomplete: allowIncomplete, verify: !noVerify)
    let html = try AnalysisCommand.analysing(results) { () throws(AnalysisError) in
      try HTMLReport.render(file: file, generator: "twin-sim \(SoftwareVersion.string) report")
    }
    do {
      try Data(html.utf8).write(to: URL(fileURLWithPath: output), options: .atomic)
    } catch {
      printError("twin-sim: error: cannot write \(output): \(error.localizedDescription)")
      throw ExitCode.failure
    }
    print(output)
  }
}
