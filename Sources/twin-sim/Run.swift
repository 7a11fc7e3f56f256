import ArgumentParser
import MPIKit
import TwinRun

/// `twin-sim run SCENARIO.yaml` (also `twin-sim SCENARIO.yaml`).
struct Run: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "run",
    abstract: "Simulate a scenario and write results.h5 (the default command).",
    discussion: """
      Runs every arm and realisation of the scenario and writes one HDF5 file,
      collectively from all MPI ranks. These are the same:

        twin-sim run scenarios/quickstart.yaml
        twin-sim scenarios/quickstart.yaml
        mpirun -n 4 twin-sim scenarios/quickstart.yaml      (or srun in Slurm)

      The run folder (--output, else the scenario's output.dir) receives
      results.h5, scenario.yaml (a copy) and run.log. While running, the result
      is results.h5.partial with status "running"; it becomes results.h5 with
      status "complete" only when the run finished.

      Rank 0 prints progress on standard error: a live line on a terminal, a line
      every 5 seconds otherwise (Slurm logs). Exit codes: 0 done; 2 invalid input
      (nothing simulated); 1 failure during the run (the job is aborted, no file
      marked complete). Layout of results.h5: docs/hdf5-layout.md.
      """)

  @Argument(help: "Scenario file (YAML); see docs/scenario.md.")
  var scenario: String

  @Option(help: ArgumentHelp("Run folder (default: the scenario's output.dir).", valueName: "dir"))
  var output: String?

  @Flag(help: "Print no progress.")
  var quiet = false

  func run() throws {
    let communicator = try Communicator.world()
    let driver = RunDriver(
      scenarioPath: scenario, options: RunOptions(outputDirectory: output, quiet: quiet),
      communicator: communicator)
    do {
      _ = try driver.run()
    } catch .invalidInput(let lines) {
      if communicator.isRoot {
        for line in lines { printError(line) }
        printError("twin-sim: error: \(scenario): not run (\(lines.count) problem(s))")
      }
      throw ExitCode(exitCodeInvalidInput)
    } catch .failed(let message) {
      communicator.abort(message: "run failed: \(message)")
    }
  }
}
