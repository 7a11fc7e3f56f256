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
      every 5 seconds otherwise (Slurm logs).

      Checkpoints: --checkpoint-every 5 writes the full state every 5 steps (and/or
      --checkpoint-every-minutes 30) as checkpoint-NNNNNN.h5 in the run folder; the
      newest two are kept. --resume continues from the newest valid one, on any
      number of ranks, to the same result. SIGTERM or SIGUSR1 (sbatch
      --signal=B:USR1@120) make every rank finish its step, write a checkpoint and
      exit with code 3. Only one run may use a run folder at a time (a lock).

      Exit codes: 0 done; 1 failure during the run (the job is aborted, no file
      marked complete); 2 invalid input (nothing simulated); 3 stopped by a signal
      after a checkpoint (resume with --resume). Layout of results.h5:
      docs/hdf5-layout.md; operations: docs/operations.md.
      """)

  @Argument(help: "Scenario file (YAML); see docs/scenario.md.")
  var scenario: String

  @Option(help: ArgumentHelp("Run folder (default: the scenario's output.dir).", valueName: "dir"))
  var output: String?

  @Flag(help: "Print no progress.")
  var quiet = false

  @Option(help: ArgumentHelp("Write a checkpoint every this many steps.", valueName: "steps"))
  var checkpointEvery: Int?

  @Option(
    help: ArgumentHelp(
      "Write a checkpoint when this many minutes passed since the last.", valueName: "minutes"))
  var checkpointEveryMinutes: Double?

  @Option(help: "Complete checkpoints to keep (the newest).")
  var keepCheckpoints: Int = 2

  @Flag(help: "Continue from the newest valid checkpoint in the run folder.")
  var resume = false

  @Flag(help: "Log resident memory at every time point to run.log (soak tests).")
  var traceMemory = false

  func validate() throws {
    if let checkpointEvery, checkpointEvery < 1 {
      throw ValidationError("--checkpoint-every must be at least 1 step, found \(checkpointEvery)")
    }
    if let minutes = checkpointEveryMinutes, !(minutes > 0) || !minutes.isFinite {
      throw ValidationError("--checkpoint-every-minutes must be above 0, found \(minutes)")
    }
    if keepCheckpoints < 1 {
      throw ValidationError("--keep-checkpoints must be at least 1, found \(keepCheckpoints)")
    }
  }

  func run() throws {
    let communicator = try Communicator.world()
    var options = RunOptions(
      outputDirectory: output, quiet: quiet, checkpointEverySteps: checkpointEvery,
      checkpointEveryMinutes: checkpointEveryMinutes, resume: resume,
      keepCheckpoints: keepCheckpoints)
    options.traceMemory = traceMemory
    let driver = RunDriver(scenarioPath: scenario, options: options, communicator: communicator)
    let summary: RunSummary
    do {
      summary = try driver.run()
    } catch .invalidInput(let lines) {
      if communicator.isRoot {
        for line in lines { printError(line) }
        printError("twin-sim: error: \(scenario): not run (\(lines.count) problem(s))")
      }
      throw ExitCode(exitCodeInvalidInput)
    } catch .failed(let message) {
      communicator.abort(message: "run failed: \(message)")
    }
    if summary.stoppedForResume { throw ExitCode(RunExitCode.checkpointedForResume) }
  }
}
