import ArgumentParser
import Foundation
import MPIKit
import TwinRun

/// `twin-sim selftest`: checks that MPI and parallel HDF5 work here.
struct SelfTest: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "selftest",
    abstract: "Check that MPI and parallel HDF5 work on this machine.",
    discussion: """
      Runs MPI collectives and a collective, chunked, deflate-compressed write of
      one HDF5 file by all ranks (the way twin-sim writes results), then reads
      every value back. With more than one rank the last rank holds no rows, to
      exercise empty selections. Run it after installing or on a new cluster:

        twin-sim selftest
        mpirun -n 4 twin-sim selftest --output /scratch/$USER/selftest.h5

      Exit code 0 when everything works; 1 with the failing check otherwise.
      """)

  @Option(help: "HDF5 file to write (on the file system you will run on).")
  var output: String = "twin-sim-selftest.h5"

  @Option(help: "Total rows of the check datasets.")
  var rows: Int = 1000

  @Option(
    help: ArgumentHelp(
      "Rows written by each rank, comma-separated (one entry per rank).",
      valueName: "n0,n1,..."))
  var rowsPerRank: String?

  @Flag(help: "Keep the file after a successful check.")
  var keep = false

  func validate() throws {
    guard rows >= 0 else { throw ValidationError("--rows must be 0 or more, found \(rows)") }
  }

  func run() throws {
    // The installation check exercises MPI even when started without mpirun.
    let communicator = try Communicator.mpiWorld()
    var split = InstallationCheck.defaultRowsPerRank(rows: rows, ranks: communicator.size)
    if let rowsPerRank {
      let parsed = rowsPerRank.split(separator: ",").map {
        Int($0.trimmingCharacters(in: .whitespaces))
      }
      guard parsed.allSatisfy({ ($0 ?? -1) >= 0 }), parsed.count == communicator.size else {
        if communicator.isRoot {
          printError(
            "twin-sim: error: --rows-per-rank needs \(communicator.size) non-negative "
              + "integers (one per rank), found '\(rowsPerRank)'")
        }
        throw ExitCode(exitCodeInvalidInput)
      }
      split = parsed.map { $0 ?? 0 }
    }
    let check = InstallationCheck(path: output, rowsPerRank: split)
    do {
      let report = try check.run(communicator: communicator)
      if communicator.isRoot {
        for line in report.lines { print(line) }
        print("selftest: ok")
        if !keep { try? FileManager.default.removeItem(atPath: output) }
      }
    } catch {
      communicator.abort(message: "selftest failed: \(error)")
    }
  }
}
