import ArgumentParser
import Foundation
import MPIKit
import TwinCatalog
import TwinCore
import TwinDMP
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

      A finished result is never overwritten: a run into a folder that holds a
      complete run (or checkpoints of another scenario) is refused with exit
      code 2. Choose another --output, or add --overwrite, which moves the old
      run folder aside to DIR.replaced-<run_id>/ (and the catalog's entries
      with it) before starting; deleting it stays your decision.

      Rank 0 prints progress on standard error: a live line where you watch a
      terminal (also under mpirun, whose ranks write to a pipe: twin-sim looks
      at mpirun's own standard error), otherwise a line at least every 5
      seconds (Slurm logs), also while a single step takes longer. Choose with
      --progress live|lines|none.

      Checkpoints: --checkpoint-every 5 writes the full state every 5 steps (and/or
      --checkpoint-every-minutes 30) as checkpoint-NNNNNN.h5 in the run folder; the
      newest two are kept. --resume continues from the newest valid one, on any
      number of ranks, to the same result. SIGTERM or SIGUSR1 (sbatch
      --signal=B:USR1@120) make every rank finish its step and the next, write a
      checkpoint and exit with code 3. Only one run may use a run folder at a time
      (a lock).

      MPI: a process started by mpirun or srun (PMI/PMIx) is one rank of the MPI
      job; a process started alone runs as one rank without initialising MPI
      (faster start; TWIN_SIM_MPI=init forces MPI_Init, skip never calls it).
      run.log records how long MPI_Init took. With Open MPI, twin-sim skips its
      Omni-Path and InfiniPath components on nodes without such a device (0.2 s
      per process with Debian's Open MPI) unless the environment or a parameter
      file chooses the transport; TWIN_SIM_MPI_PROBE=all keeps them. On one node
      or a workstation OMPI_MCA_pml=ob1 also skips the rest of the search
      (docs/operations.md, "MPI start-up time").

      Provenance: a complete run folder also gets ro-crate-metadata.json (an
      RO-Crate). With a data management plan (the scenario's dmp key, or --dmp
      and --step) the run is checked against it before anything starts and
      recorded in the catalog afterwards (docs/dmp.md). A secure job's run
      (--encrypted-output, set by the signed job script) is checked as a run
      whose output is encrypted and gets neither: the crate and the catalog
      entry are made from the ciphertexts (twin-sim provenance, catalog add).

      Exit codes: 0 done; 1 failure during the run (the job is aborted, no file
      marked complete); 2 invalid input (nothing simulated); 3 stopped by a signal
      after a checkpoint (resume with --resume). Layout of results.h5:
      docs/hdf5-layout.md; operations: docs/operations.md.
      """)

  @Argument(help: "Scenario file (YAML); see docs/scenario.md.")
  var scenario: String

  @Option(help: ArgumentHelp("Run folder (default: the scenario's output.dir).", valueName: "dir"))
  var output: String?

  @Flag(help: "Print no progress (the same as --progress none).")
  var quiet = false

  @Option(
    help: ArgumentHelp(
      "How rank 0 shows progress on standard error: auto (a live line where you watch a"
        + " terminal, also through mpirun; else lines), live, lines (one every 5 s at"
        + " least: Slurm logs) or none.", valueName: "mode"))
  var progress: ProgressDisplay = .auto

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

  @Flag(
    help: ArgumentHelp(
      "Start anew in a run folder that holds a complete run (or checkpoints of another"
        + " scenario): that run is moved aside to DIR.replaced-<run_id>/, never deleted."))
  var overwrite = false

  @Flag(help: "Log resident memory at every time point to run.log (soak tests).")
  var traceMemory = false

  @Option(
    help: ArgumentHelp(
      "Data management plan (maDMP JSON) the run must obey (default: the scenario's dmp.file).",
      valueName: "file"))
  var dmp: String?

  @Option(help: ArgumentHelp("Workflow step of the DMP this run is.", valueName: "name"))
  var step: String?

  @Option(
    help: ArgumentHelp(
      "Catalog a run under a plan is recorded in (default: $TWIN_SIM_CATALOG, else"
        + " runs/catalog.sqlite).", valueName: "file"))
  var catalog: String?

  @Flag(
    help: ArgumentHelp(
      "A secure job's run: the secure layer encrypts the result before it leaves the node."
        + " The DMP check treats the output as encrypted; no RO-Crate or catalog entry with"
        + " plaintext checksums is written."))
  var encryptedOutput = false

  @Option(
    help: ArgumentHelp(
      "With --encrypted-output: the file the result is published as (the ciphertext), which"
        + " the DMP check takes as the run's output instead of RUN_FOLDER/results.h5.",
      valueName: "file"))
  var publishedAs: String?

  func validate() throws {
    if overwrite && resume {
      throw ValidationError(
        "--overwrite starts a new run and --resume continues the folder's run: choose one")
    }
    if publishedAs != nil && !encryptedOutput {
      throw ValidationError("--published-as goes with --encrypted-output (a secure job's run)")
    }
    if let checkpointEvery, checkpointEvery < 1 {
      throw ValidationError("--checkpoint-every must be at least 1 step, found \(checkpointEvery)")
    }
    if let minutes = checkpointEveryMinutes, !(minutes > 0) || !minutes.isFinite {
      throw ValidationError("--checkpoint-every-minutes must be above 0, found \(minutes)")
    }
    if (dmp == nil) != (step == nil) {
      throw ValidationError("--dmp and --step go together (the plan and the workflow step)")
    }
    // Environment variables that choose how MPI starts: a value not listed is refused.
    let environment = ProcessInfo.processInfo.environment
    for (variable, values) in [
      ("TWIN_SIM_MPI", ["init", "skip", "auto"]),
      (OpenMPIFabricProbe.controlVariable, OpenMPIFabricProbe.controlValues),
    ] {
      if let value = environment[variable], !values.contains(value) {
        throw ValidationError(
          "environment variable \(variable) must be "
            + "\(values.dropLast().joined(separator: ", ")) or \(values.last!), found '\(value)'")
      }
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
    options.progress = progress
    options.overwrite = overwrite
    let catalogPath =
      catalog ?? Catalog.defaultPath(environment: ProcessInfo.processInfo.environment)
    options.movedAside = { from, to in
      // The catalog's entries of the moved run follow it (a catalog is not created for this).
      guard FileManager.default.fileExists(atPath: catalogPath) else { return }
      do {
        try Catalog(path: catalogPath).relocate(folder: from, to: to)
      } catch {
        printError(
          "twin-sim: warning: \(catalogPath): the entries of the run moved to \(to.path) "
            + "still name \(from.path): \(error)")
      }
    }
    let planned = plannedRun()
    if let planned, let plan = planned.plan {
      try checkPlan(plan, planned: planned, communicator: communicator)
    }
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
    // A secure job's plaintext result must not be described by checksums: its
    // crate and catalog entry come from the ciphertexts after publication.
    if communicator.isRoot && !encryptedOutput {
      recordProvenance(
        runFolder: URL(fileURLWithPath: summary.resultsPath).deletingLastPathComponent(),
        planned: planned)
    }
  }
}

extension Run {
  /// What a run will read and write, and the plan it obeys: --dmp/--step, else
  /// the scenario's `dmp` key (nil: no plan).
  struct PlannedRun {
    struct Plan {
      var file: String
      var step: String
    }
    var plan: Plan?
    var runFolder: String
    var inputs: [String]
    /// The file the DMP check takes as the run's output: the published
    /// ciphertext of a secure job, else `runFolder/results.h5`.
    var output: String
    var encryptedOutput: Bool
  }

  /// Nil when the scenario is invalid (the run driver reports that).
  func plannedRun() -> PlannedRun? {
    guard let loaded = try? ScenarioLoader.load(path: scenario) else { return nil }
    let folder = output ?? loaded.output.directory
    var inputs: [String] = []
    if case .table(let table) = loaded.population.source { inputs.append(table.url.path) }
    var plan: PlannedRun.Plan?
    if let dmp, let step {
      plan = PlannedRun.Plan(file: dmp, step: step)
    } else if let reference = loaded.dmp {
      plan = PlannedRun.Plan(file: reference.url.path, step: reference.step)
    }
    return PlannedRun(
      plan: plan, runFolder: folder, inputs: inputs,
      output: publishedAs
        ?? URL(fileURLWithPath: folder).appendingPathComponent(RunRecord.completeName).path,
      encryptedOutput: encryptedOutput)
  }

  /// After a complete run, on rank 0: the run folder becomes an RO-Crate, and a
  /// run under a plan is recorded in the catalog. The result is complete either
  /// way, so a failure here is a warning (exit 0); `twin-sim provenance` and
  /// `twin-sim catalog add` can redo either step.
  func recordProvenance(runFolder: URL, planned: PlannedRun?) {
    let environment = ProcessInfo.processInfo.environment
    do {
      _ = try RunCrate.write(
        runFolder: runFolder, inputs: (planned?.inputs ?? []).map { URL(fileURLWithPath: $0) },
        softwareURL: softwareURL(environment: environment), environment: environment)
    } catch {
      printError(
        "twin-sim: warning: the run is complete, but its RO-Crate was not written: \(error)")
    }
    guard let plan = planned?.plan else { return }
    let path = catalog ?? Catalog.defaultPath(environment: environment)
    do {
      let loaded = try DataManagementPlan.load(path: plan.file)
      _ = try Catalog(path: path).register(
        runFolder: runFolder, plan: loaded,
        planFile: URL(fileURLWithPath: plan.file).standardizedFileURL.path, step: plan.step,
        encrypted: false, environment: environment)
    } catch {
      printError(
        "twin-sim: warning: the run is complete, but it was not recorded in the catalog "
          + "\(path): \(error) (twin-sim catalog add redoes it)")
    }
  }

  /// Checks the planned run against the plan on rank 0 before anything starts;
  /// every rank exits with code 2 on a violation, citing the DMP entries.
  func checkPlan(_ plan: PlannedRun.Plan, planned: PlannedRun, communicator: Communicator) throws {
    var problems = ""
    if communicator.isRoot {
      do {
        let result = try RunGate.violations(
          dmpFile: plan.file, step: plan.step, output: planned.output, inputs: planned.inputs,
          encryptedOutput: planned.encryptedOutput)
        problems = result.violations.map { "\(plan.file): \($0)" }.joined(separator: "\n")
      } catch {
        problems = "\(plan.file): \(error)"
      }
    }
    problems = try communicator.broadcast(problems)
    guard problems.isEmpty else {
      if communicator.isRoot {
        printError(problems)
        printError(
          "twin-sim: error: \(scenario): not run: it would break its data management plan "
            + "(twin-sim dmp check explains; docs/dmp.md)")
      }
      throw ExitCode(exitCodeInvalidInput)
    }
  }
}

extension ProgressDisplay: ExpressibleByArgument {}
