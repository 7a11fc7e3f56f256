import Foundation
import HDF5Kit
import MPIKit
import TwinCore
import TwinModels
import TwinTime

/// Options of `twin-sim run`.
public struct RunOptions: Sendable {
  /// Run folder; nil: the scenario's `output.dir`.
  public var outputDirectory: String?
  /// No progress on standard error (the same as `progress` = `none`).
  public var quiet: Bool
  /// How rank 0 shows progress (`auto`: a live line where the user watches a terminal).
  public var progress: ProgressDisplay = .auto
  /// Whether any progress is shown.
  var showsProgress: Bool { !quiet && progress != .none }
  /// Write a checkpoint every this many steps (nil: not by steps).
  public var checkpointEverySteps: Int?
  /// Write a checkpoint when this many minutes passed since the last (nil: not by time).
  public var checkpointEveryMinutes: Double?
  /// Continue from the newest valid checkpoint of the run folder.
  public var resume: Bool
  /// Complete checkpoints kept (the newest); older ones are removed.
  public var keepCheckpoints: Int
  /// Log rank 0's resident memory at every time point to run.log (soak tests).
  public var traceMemory = false
  /// A run folder holding a complete run (or checkpoints of another scenario) is moved
  /// aside to `DIR.replaced-<run_id>` instead of refusing the run (`RunFolderGuard`).
  public var overwrite = false
  /// Called on rank 0 after a finished run was moved aside (old folder, new place), before
  /// the new run starts: the CLI updates the catalog there.
  public var movedAside: (@Sendable (_ from: URL, _ to: URL) -> Void)?

  public init(
    outputDirectory: String? = nil, quiet: Bool = false, checkpointEverySteps: Int? = nil,
    checkpointEveryMinutes: Double? = nil, resume: Bool = false, keepCheckpoints: Int = 2
  ) {
    self.outputDirectory = outputDirectory
    self.quiet = quiet
    self.checkpointEverySteps = checkpointEverySteps
    self.checkpointEveryMinutes = checkpointEveryMinutes
    self.resume = resume
    self.keepCheckpoints = keepCheckpoints
  }
}

/// Exit codes of `twin-sim run` (docs/operations.md).
public enum RunExitCode {
  /// The run finished; results.h5 is complete.
  public static let complete: Int32 = 0
  /// A failure during the run; the job was aborted; no complete file.
  public static let failed: Int32 = 1
  /// Invalid input, found before anything was simulated.
  public static let invalidInput: Int32 = 2
  /// Stopped on SIGTERM or SIGUSR1 after writing a checkpoint: resume with --resume.
  public static let checkpointedForResume: Int32 = 3
}

/// Why a run did not complete. `invalidInput` is found before any simulation
/// starts (exit code 2); `failed` happens during the run (exit code 1).
public enum RunFailure: Error, CustomStringConvertible {
  case invalidInput([String])
  case failed(String)

  public var description: String {
    switch self {
    case .invalidInput(let lines): lines.joined(separator: "\n")
    case .failed(let message): message
    }
  }
}

/// What a run produced.
public struct RunSummary: Sendable {
  public var resultsPath: String
  public var personYears: Double
  public var seconds: Double
  /// Stopped by a signal after writing a checkpoint (not complete).
  public var stoppedForResume: Bool = false
}

/// Runs a scenario on every rank of `communicator`: checks all input first,
/// then simulates every realisation and arm, writing one `results.h5`
/// collectively. Every rank calls it; rank 0 prints and writes the side files.
public struct RunDriver {
  public let scenarioPath: String
  public let options: RunOptions
  public let communicator: Communicator

  public init(scenarioPath: String, options: RunOptions, communicator: Communicator) {
    self.scenarioPath = scenarioPath
    self.options = options
    self.communicator = communicator
  }

  /// Names of the files in the run folder.
  public enum FileName {
    public static let results = "results.h5"
    public static let partialResults = "results.h5.partial"
    public static let scenario = "scenario.yaml"
    public static let log = "run.log"
  }

  public func run() throws(RunFailure) -> RunSummary {
    let started = Date()
    let prepared = try prepare()
    do {
      return try simulate(prepared, started: started)
    } catch {
      // A failure on one rank, during the run: the other ranks may wait in a
      // collective call for this one, so end the whole job now, before
      // anything (like closing the result file, a collective call) waits for
      // them. The file stays `results.h5.partial`, never marked complete.
      let message = "\(error)" + DiskSpace.hint(for: prepared.directory)
      prepared.log?.write("failed on rank \(communicator.rank): \(message)")
      // Unfinished checkpoint copies hold up to the whole result: free their space now (the
      // next run into the folder removes any that a killed process left).
      CheckpointStore(directory: prepared.directory, keep: options.keepCheckpoints)
        .removeTemporaryFiles()
      communicator.abort(message: "run failed: \(message)")
    }
  }

  // MARK: Checks before any simulation

  struct Prepared {
    var scenario: Scenario
    var personCount: Int
    var range: Range<Int>
    var table: PersonTable?
    var directory: URL
    var recorded: [RecordedVariable]
    var log: RunLog?
    /// The checkpoint to resume from (agreed by all ranks), if resuming.
    var resumeFrom: CheckpointManifest?
  }

  /// Everything that can be wrong with the input, checked on every rank and
  /// agreed on collectively, before the first step.
  func prepare() throws(RunFailure) -> Prepared {
    let scenario: Scenario
    do {
      scenario = try ScenarioLoader.load(path: scenarioPath)
    } catch {
      throw .invalidInput(error.diagnostics.map(\.description))
    }
    let conditionNames = scenario.models.conditions.map(\.name)
    var recorded: [RecordedVariable] = []
    for name in scenario.output.record {
      guard let variable = RecordedVariable(name: name, conditionNames: conditionNames) else {
        throw .invalidInput(["\(scenarioPath): output.record: unknown variable '\(name)'"])
      }
      recorded.append(variable)
    }
    if case .synthetic(let synthetic) = scenario.population.source,
      case .birthCohort(_, let to) = synthetic.ageAtStart, to >= scenario.time.startYear
    {
      throw .invalidInput([
        "\(scenarioPath): population.synthetic.birth_cohort.to: expected a year before "
          + "time.start_year (\(scenario.time.startYear)), found \(to)"
      ])
    }

    // Population size, and the table rows of this rank.
    var personCount = scenario.population.size ?? 0
    var table: PersonTable?
    var problem: String?
    if case .table(let spec) = scenario.population.source {
      do {
        let header = try readTable(spec, rows: 0..<0)
        try TablePopulationBuilder.checkNotEmpty(header)
        let total = header.totalRows
        personCount = scenario.population.size ?? total
        if personCount > total {
          problem =
            "\(scenarioPath): population.size: expected at most the table's \(total) rows, "
            + "found \(personCount)"
        }
      } catch {
        problem = "\(error)"
      }
    }
    try agree(problem)
    let range = BlockDecomposition(count: personCount, ranks: communicator.size)
      .range(ofRank: communicator.rank)
    if case .table(let spec) = scenario.population.source {
      do {
        // Every rank reads the identifiers of all persons (one column) and checks
        // that none repeats: the same verdict on every rank without a gather.
        var rows = try readTable(spec, rows: range, allIDs: true)
        _ = try TablePopulationBuilder.block(
          table: rows, spec: spec, conditionCount: conditionNames.count)
        try TablePopulationBuilder.checkUniqueIDs(rows, spec: spec, count: personCount)
        rows.allIDs = nil
        rows.allIDLines = nil
        table = rows
      } catch {
        problem = "\(error)"
      }
    }
    try agree(problem)

    // Memory: refuse a population that cannot fit, before anything starts.
    if let message = MemoryBudget.problem(
      persons: range.count, scenario: scenario, recorded: recorded, communicator: communicator)
    {
      problem = problem ?? message
    }
    try agree(problem)

    // The run folder: created and writable, and no finished result in the way.
    let directory = URL(
      fileURLWithPath: options.outputDirectory ?? scenario.output.directory, isDirectory: true)
    var log: RunLog?
    var movedAside: String?
    var staleNote: String?
    if communicator.isRoot {
      let scenarioChecksum = FileChecksum.of(text: scenario.sourceYAML)
      /// A finished run in the folder, unless the run resumes: refused without --overwrite.
      func occupant() throws -> RunFolderGuard.Occupant? {
        guard !options.resume,
          let occupant = RunFolderGuard.occupant(of: directory, scenarioChecksum: scenarioChecksum)
        else { return nil }
        guard options.overwrite else {
          throw RunFolderLock.Unavailable(
            description: RunFolderGuard.refusal(directory: directory, occupant: occupant))
        }
        return occupant
      }
      do {
        // Checked before the folder is touched (a refused run changes no byte of it), and
        // again under the lock (a run may have finished in between).
        _ = try occupant()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let probe = directory.appendingPathComponent(".twin-sim-write-test")
        guard FileManager.default.createFile(atPath: probe.path, contents: Data()) else {
          throw TableError("cannot create files in \(directory.path)")
        }
        try? FileManager.default.removeItem(at: probe)
        try RunFolderLock.acquire(directory: directory)
        let stale = CheckpointStore(directory: directory, keep: options.keepCheckpoints)
          .removeTemporaryFiles()
        if !stale.isEmpty {
          staleNote =
            "removed unfinished checkpoint files of an earlier run: "
            + stale.joined(separator: ", ")
        }
        if let occupant = try occupant() {
          // The lock moves with the folder and is held through the rename, so no other run
          // starts in the old folder; the new folder gets its own.
          let aside = try RunFolderGuard.moveAside(directory, occupant: occupant)
          RunFolderLock.release()
          try? FileManager.default.removeItem(at: aside.appendingPathComponent(".twin-sim.lock"))
          try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
          try RunFolderLock.acquire(directory: directory)
          movedAside =
            "moved \(occupant.what) (scenario '\(occupant.scenarioName)', run id "
            + "\(occupant.runID)) aside to \(aside.path) (--overwrite)"
          options.movedAside?(directory.standardizedFileURL, aside)
        }
        try Data(scenario.sourceYAML.utf8).write(
          to: directory.appendingPathComponent(FileName.scenario))
        log = try RunLog(
          url: directory.appendingPathComponent(FileName.log), append: options.resume)
        if let staleNote { log?.write(staleNote) }
        if let movedAside {
          log?.write(movedAside)
          if !options.quiet {
            FileHandle.standardError.write(Data("twin-sim: \(movedAside)\n".utf8))
          }
        }
      } catch let error as RunFolderLock.Unavailable {
        problem = error.description
      } catch {
        problem = "output folder \(directory.path): not writable: \(error)"
      }
    }
    try agree(problem)

    // The checkpoint to resume from: rank 0 checks sizes and checksums.
    var resumeFrom: CheckpointManifest?
    if options.resume {
      var manifestJSON = ""
      if communicator.isRoot {
        do {
          let store = CheckpointStore(directory: directory, keep: options.keepCheckpoints)
          let (manifest, skipped) = try store.newestValid(
            scenarioChecksum: FileChecksum.of(text: scenario.sourceYAML))
          for line in skipped {
            FileHandle.standardError.write(Data("twin-sim: warning: \(line)\n".utf8))
            log?.write("resume: \(line)")
          }
          manifestJSON = String(decoding: try JSONEncoder().encode(manifest), as: UTF8.self)
        } catch {
          problem = "\(directory.path): cannot resume: \(error)"
        }
      }
      try agree(problem)
      do {
        manifestJSON = try communicator.broadcast(manifestJSON)
        resumeFrom = try JSONDecoder().decode(
          CheckpointManifest.self, from: Data(manifestJSON.utf8))
      } catch {
        throw .failed("cannot share the checkpoint manifest: \(error)")
      }
    }
    return Prepared(
      scenario: scenario, personCount: personCount, range: range, table: table,
      directory: directory, recorded: recorded, log: log, resumeFrom: resumeFrom)
  }

  private func readTable(_ spec: TablePopulation, rows: Range<Int>, allIDs: Bool = false)
    throws -> PersonTable
  {
    let required = TablePopulationBuilder.requiredNames(spec)
    let idColumn = allIDs ? TablePopulationBuilder.idName(spec) : nil
    switch spec.format {
    case .csv:
      return try CSVTableReader.read(
        url: spec.url, displayPath: spec.path, rows: rows, requiredColumns: required,
        idColumn: idColumn)
    case .hdf5:
      return try HDF5TableReader.read(
        path: spec.url.path, displayPath: spec.path, group: spec.group, rows: rows,
        requiredColumns: required, idColumn: idColumn)
    }
  }

  /// All ranks learn whether any rank found a problem; the lowest such rank's
  /// message is reported (by every rank's caller, printed once by rank 0).
  private func agree(_ problem: String?) throws(RunFailure) {
    do {
      let failing = try communicator.allreduce(
        Int64(problem == nil ? Int64.max : Int64(communicator.rank)), .min)
      guard failing != Int64.max else { return }
      let message = try communicator.broadcast(problem ?? "", root: Int(failing))
      throw RunFailure.invalidInput([message])
    } catch let failure as RunFailure {
      throw failure
    } catch {
      throw .failed("\(error)")
    }
  }

  // MARK: Simulation

  private func simulate(_ prepared: Prepared, started: Date) throws -> RunSummary {
    let scenario = prepared.scenario
    let conditionNames = scenario.models.conditions.map(\.name)
    let realisations = Realisation.all(scenario.uncertainty)
    let steps = scenario.time.stepCount
    let times = (0...steps).map { Double($0) * scenario.time.step.lengthYears }
    let layout = ResultLayout(
      personCount: prepared.personCount, times: times, armNames: scenario.arms.map(\.name),
      recorded: prepared.recorded, doublePrecision: scenario.output.precision == .float64,
      realisations: realisations.count, conditionNames: conditionNames,
      compression: scenario.output.compression)
    let stopSignal = StopSignal.shared
    stopSignal.install()
    // A signal is written to run.log by every rank that receives it, with where it was and
    // which ranks of its node have ended: when a rank dies, the launcher stops the others
    // with SIGTERM, and this line is what says so in the run folder.
    let peers = try PeerProcesses.gather(communicator)
    let logURL = prepared.directory.appendingPathComponent(FileName.log)
    let rank = communicator.rank
    stopSignal.onSignal { signal, position in
      let ended = peers.ended(besides: rank)
      let cause =
        ended.isEmpty
        ? "a checkpoint and exit 3 follow at the next step boundary (a Slurm time limit, "
          + "scancel, or the launcher ending the job after a failure on another node)"
        : "rank(s) \(ended.map(String.init).joined(separator: ", ")) of this node have ended "
          + "(killed or failed; the launcher's message names the signal): the launcher is "
          + "ending the job"
      RunLog.append(
        to: logURL, "rank \(rank) received \(signalName(signal)) at \(position): \(cause)")
    }

    let partialPath = prepared.directory.appendingPathComponent(FileName.partialResults).path
    let finalPath = prepared.directory.appendingPathComponent(FileName.results).path
    let scenarioChecksum = FileChecksum.of(text: scenario.sourceYAML)
    let store = CheckpointStore(directory: prepared.directory, keep: options.keepCheckpoints)
    if communicator.isRoot { try? FileManager.default.removeItem(atPath: finalPath) }
    if let manifest = prepared.resumeFrom, communicator.isRoot {
      // Continue in a copy: the checkpoint itself stays valid for another try.
      try? FileManager.default.removeItem(atPath: partialPath)
      try FileManager.default.copyItem(
        atPath: prepared.directory.appendingPathComponent(manifest.file).path,
        toPath: partialPath)
    }
    try communicator.barrier()

    let timers = RunTimers()
    let injectedFailureStep = Self.injectedFailure(rank: communicator.rank)
    var firstResolver = ParameterResolver(scenario: scenario, realisation: realisations[0])
    let firstParameters = firstResolver.modelParameters()
    var firstBlock = try population(
      prepared, replicate: 0, prevalences: firstParameters.conditions.map(\.prevalence))
    try warnAboutRiskValidity(prepared, firstBlock: firstBlock)
    let recordsRiskFactors = prepared.recorded.contains(where: \.readsRiskFactors)
    let recordsInterventions = prepared.recorded.contains {
      if case .onIntervention = $0 { true } else { false }
    }
    var results: ResultsFile
    var arms: [ArmDatasets]
    var resumeState: CheckpointFile.State?
    var sequence = 0
    if let manifest = prepared.resumeFrom {
      let interventions = scenario.arms[manifest.position.arm].interventions.count
      resumeState = try CheckpointFile.readState(
        path: partialPath, range: prepared.range, conditionCount: conditionNames.count,
        interventionCount: interventions, timePoints: steps + 1,
        holdsCounts: communicator.isRoot, physiology: scenario.physiology != nil)
      results = try ResultsFile(
        reopening: partialPath, layout: layout, range: prepared.range,
        communicator: communicator)
      arms = try scenario.arms.map { try results.openArm($0.name) }
      sequence = manifest.sequence
      prepared.log?.write(
        "resume from \(manifest.file) (realisation \(manifest.position.realisation), arm "
          + "\(scenario.arms[manifest.position.arm].name), time point "
          + "\(manifest.position.nextTimeIndex)) on \(communicator.size) MPI ranks")
    } else {
      let runID = try communicator.broadcast(
        communicator.isRoot ? UUID().uuidString.lowercased() : "")
      let created = try communicator.broadcast(
        communicator.isRoot ? UTCTime.string(started) : "")
      var extra: [(String, String)] = [
        ("time_step", scenario.time.step.rawValue),
        ("start_year", String(scenario.time.startYear)),
        ("risk_equation", scenario.models.riskEquation.rawValue),
        ("outside_validity", scenario.models.outsideValidity.rawValue),
        ("baseline_arm", scenario.baselineArmName),
        ("replicates", String(scenario.uncertainty.replicates)),
        ("parameter_draws", String(scenario.uncertainty.parameterDraws)),
        ("conditions", conditionNames.joined(separator: ",")),
        (
          "conditions_counting_as_cvd",
          scenario.models.conditions.filter(\.countsAsCVD).map(\.name).joined(separator: ",")
        ),
      ]
      if let physiology = scenario.physiology {
        extra.append(("physiology", physiology.model.rawValue))
        extra.append(("physiology_elastance_exponent", String(physiology.elastanceExponent)))
      }
      let metadata = ResultMetadata(
        softwareVersion: SoftwareVersion.string, scenarioYAML: scenario.sourceYAML,
        scenarioName: scenario.name, seed: Int64(bitPattern: scenario.seed), runID: runID,
        created: created, mpiRanks: communicator.size, extra: extra)
      prepared.log?.write(
        "run \(runID): scenario \(scenarioPath) (\(scenario.name)), "
          + "\(prepared.personCount) persons, \(scenario.arms.count) arms, "
          + "\(realisations.count) realisations, \(communicator.size) MPI ranks")
      (results, arms) = try timers.measure(\.output) {
        let results = try ResultsFile(
          path: partialPath, layout: layout, metadata: metadata, block: firstBlock,
          communicator: communicator)
        return (results, try scenario.arms.map { try results.createArm($0.name) })
      }
    }
    // The result file has the persons: what only it read is released before the arms run.
    firstBlock.releaseWrittenColumns(
      keepingRiskFactors: ArmSimulator.readsBlockRiskFactors(
        parameters: firstParameters, arms: firstResolver.arms(),
        recordsRiskFactors: recordsRiskFactors))
    if let seconds = MPIEnvironment.initializationSeconds {
      var probe = ""
      switch MPIEnvironment.fabricProbe {
      case .exclude(_, let skipped):
        probe =
          "; Open MPI's \(skipped.joined(separator: ", ")) components skipped: no such device"
          + " (\(OpenMPIFabricProbe.controlVariable)=all keeps them)"
      case .keep(let reason): probe = "; Open MPI's transport search untouched: \(reason)"
      case nil: break
      }
      prepared.log?.write(
        String(format: "MPI start-up: MPI_Init took %.3f s on rank 0", seconds)
          + " (before the run started; not in its total)" + probe)
    }
    let position = resumeState?.position ?? RunPosition(realisation: 0, arm: 0, nextTimeIndex: 0)
    var countsByArm = [[StepCounts]](repeating: [], count: scenario.arms.count)
    for realisationCounts in resumeState?.completed ?? [] {
      for (armIndex, counts) in realisationCounts.enumerated() {
        countsByArm[armIndex].append(counts)
      }
    }
    let progress = ProgressReporter(
      enabled: communicator.isRoot && options.showsProgress, display: options.progress,
      totalUnits: realisations.count * scenario.arms.count * (steps + 1))
    var parameterNames: [String] = []
    var parameterValues: [[Double]] = []
    var personYears = 0.0
    var done = (position.realisation * scenario.arms.count + position.arm) * (steps + 1)
    var stepsSinceCheckpoint = 0
    var lastCheckpoint = Date()

    /// Writes a checkpoint at a step boundary (collective): flushes the
    /// series, closes the result file, copies it, adds the engine state,
    /// publishes it, reopens the result file.
    func checkpoint(at position: RunPosition, saved: SavedArmState) throws {
      sequence += 1
      let temporary = prepared.directory.appendingPathComponent(
        CheckpointFile.name(sequence: sequence) + ".tmp"
      ).path
      try timers.measure(\.output) {
        try results.close()
        if communicator.isRoot {
          try? FileManager.default.removeItem(atPath: temporary)
          do {
            try FileManager.default.copyItem(atPath: partialPath, toPath: temporary)
          } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            let bytes =
              (try? FileManager.default.attributesOfItem(atPath: partialPath)[.size] as? Int) ?? 0
            throw CheckpointError(
              DiskSpace.writeFailure(
                "checkpoint \(CheckpointFile.name(sequence: sequence))",
                in: prepared.directory, needs: bytes, error: error))
          }
        }
        try communicator.barrier()
        let completed = (0...position.realisation).map { realisation in
          (0..<(realisation == position.realisation ? position.arm : scenario.arms.count)).map {
            countsByArm[$0][realisation]
          }
        }
        try CheckpointFile.writeState(
          path: temporary, communicator: communicator, position: position, saved: saved,
          range: prepared.range, personCount: prepared.personCount, completed: completed)
        if communicator.isRoot {
          try store.publish(
            temporaryPath: temporary, sequence: sequence, position: position,
            scenarioChecksum: scenarioChecksum, mpiRanks: communicator.size)
        }
        try communicator.barrier()
        results = try ResultsFile(
          reopening: partialPath, layout: layout, range: prepared.range,
          communicator: communicator)
        for (index, arm) in arms.enumerated() {
          arm.replace(with: try results.openArm(scenario.arms[index].name))
        }
      }
      lastCheckpoint = Date()
      stepsSinceCheckpoint = 0
      agreedCheckpointIsServed = true
      prepared.log?.write(
        "checkpoint \(CheckpointFile.name(sequence: sequence)): realisation "
          + "\(position.realisation), arm \(scenario.arms[position.arm].name), time point "
          + "\(position.nextTimeIndex)")
    }

    /// The ranks' agreement at step boundaries, one boundary late. At each
    /// boundary every rank contributes whether it wants a checkpoint (rank 0's
    /// clock, `--checkpoint-every-minutes`), whether a signal asked it to stop
    /// (a signal may reach one rank only) and its persons alive (for the progress
    /// line) to a reduction it does not wait for (`startAllreduce`); it waits at
    /// the next boundary, by when the other ranks have long contributed. A
    /// blocking reduction at every boundary made each rank stand still whenever the
    /// other was a little behind in that step (on the benchmark machine 0.2-0.7 s
    /// of a 3.4 s 2-rank run); waiting one boundary later lets those differences
    /// even out. `--checkpoint-every` needs no agreement: every rank counts the
    /// same steps.
    var agreement: (reduction: PendingAllreduce, doneUnits: Int, what: String, timeIndex: Int)?
    /// Set by a checkpoint: the agreement under way was started before it, so its
    /// request for a checkpoint is already served.
    var agreedCheckpointIsServed = false

    /// Whether to write a checkpoint now, and whether to stop after it; the same
    /// on every rank. `localAlive`, `doneUnits`, `what` and `timeIndex` describe
    /// this boundary for the progress line, which shows it one boundary later.
    func checkpointDecision(localAlive: Int64, doneUnits: Int, what: String, timeIndex: Int)
      throws -> (write: Bool, stop: Bool)
    {
      stopSignal.position = "\(what), time point \(timeIndex)"
      var local: [Int64] = [0, stopSignal.isRequested ? 1 : 0, localAlive]
      if let minutes = options.checkpointEveryMinutes, communicator.isRoot,
        Date().timeIntervalSince(lastCheckpoint) >= minutes * 60
      {
        local[0] = 1
      }
      let previous = agreement
      var agreed: [Int64] = [0, 0, 0]
      try timers.measure(\.communication) {
        if let previous { agreed = try previous.reduction.wait() }
        agreement = (
          try communicator.startAllreduce(local, .sum), doneUnits, what, timeIndex
        )
      }
      if let previous, options.showsProgress {
        progress.update(
          doneUnits: previous.doneUnits,
          what: "\(previous.what), step \(previous.timeIndex)/\(steps), \(agreed[2]) alive")
      }
      let requested = agreed[0] > 0 && !agreedCheckpointIsServed
      agreedCheckpointIsServed = false
      let everySteps = options.checkpointEverySteps.map { stepsSinceCheckpoint >= $0 } ?? false
      let stop = agreed[1] > 0
      return (everySteps || requested || stop, stop)
    }

    /// Waits for the agreement under way (every rank, before the run returns).
    func finishAgreement() throws {
      guard let previous = agreement else { return }
      agreement = nil
      _ = try timers.measure(\.communication) { try previous.reduction.wait() }
    }

    /// Runs one arm from `progress` with `recorder`; nil when stopped for resume.
    func runArm<R: PendingFlushRecorder>(
      _ simulator: ArmSimulator, block: PersonBlock, from start: consuming ArmProgress,
      recorder inner: R, what: String, realisation: Int, armIndex: Int
    ) throws -> (counts: StepCounts, events: EventLog)? {
      // Consumed, not copied: a caller still holding the start would share its columns
      // and event buffer, and the first step would copy them all (twice the arm's memory).
      var armProgress = consume start
      var recorder = ProgressRecorder(
        inner: inner, what: what, communicator: communicator, countAlive: options.showsProgress,
        timers: timers,
        injectedFailureStep: (realisation == 0 && armIndex == 0) ? injectedFailureStep : nil,
        memoryLog: options.traceMemory ? prepared.log : nil)
      while try timers.measure(
        \.simulation, { try simulator.advance(&armProgress, block: block, recorder: &recorder) })
      {
        stepsSinceCheckpoint += 1
        let decision = try checkpointDecision(
          localAlive: recorder.localAlive, doneUnits: done + recorder.timeIndex + 1, what: what,
          timeIndex: recorder.timeIndex)
        guard decision.write else { continue }
        try timers.measure(\.output) {
          try recorder.inner.flushPending(nextTimeIndex: armProgress.nextTimeIndex)
        }
        try checkpoint(
          at: RunPosition(
            realisation: realisation, arm: armIndex, nextTimeIndex: armProgress.nextTimeIndex),
          saved: armProgress.saved)
        if decision.stop { return nil }
      }
      let physiology = armProgress.state.physiology
      if physiology.isOn {
        let statistics = physiology.statistics
        let solves = max(statistics.persons, 1)
        prepared.log?.write(
          "physiology (rank 0) \(what): \(statistics.persons) person-year solves, "
            + "\(statistics.converged) converged, beats per solve "
            + String(format: "%.3f", Double(statistics.beats) / Double(solves))
            + ", RHS evaluations per solve "
            + String(format: "%.1f", Double(statistics.rightHandSideEvaluations) / Double(solves))
            + ", beats \(statistics.beats), RHS evaluations \(statistics.rightHandSideEvaluations)")
      }
      return simulator.finish(armProgress)
    }

    for realisation in realisations where realisation.index >= position.realisation {
      var resolver = ParameterResolver(scenario: scenario, realisation: realisation)
      let parameters = resolver.modelParameters()
      let armParameters = resolver.arms()
      var block = firstBlock
      if realisation.index > 0 {
        // Not written (only realisation 0 is recorded per person).
        block = try population(
          prepared, replicate: realisation.replicate,
          prevalences: parameters.conditions.map(\.prevalence))
        block.releaseWrittenColumns(
          keepingRiskFactors: ArmSimulator.readsBlockRiskFactors(
            parameters: parameters, arms: armParameters, recordsRiskFactors: recordsRiskFactors))
      }
      let seed = realisation.seed(scenarioSeed: scenario.seed)
      for (armIndex, arm) in armParameters.enumerated()
      where realisation.index > position.realisation || armIndex >= position.arm {
        let simulator = ArmSimulator(
          parameters: parameters, arm: arm, seed: seed,
          recordsRiskFactors: recordsRiskFactors, recordsInterventions: recordsInterventions)
        let what =
          "arm \(arm.name) (\(armIndex + 1)/\(armParameters.count))"
          + (realisations.count > 1
            ? ", realisation \(realisation.index + 1)/\(realisations.count)" : "")
        let resuming =
          resumeState != nil && realisation.index == position.realisation
          && armIndex == position.arm
        let start =
          resuming
          ? simulator.resume(block: block, saved: resumeState!.saved)
          : simulator.start(block: block)
        let startIndex = start.nextTimeIndex
        let outcome: (counts: StepCounts, events: EventLog)?
        if realisation.index == 0, layout.compression == .none {
          outcome = try runArm(
            simulator, block: block, from: consume start,
            recorder: SeriesRecorder(
              arm: arms[armIndex], firstPerson: block.firstPerson, personCount: block.count),
            what: what, realisation: realisation.index, armIndex: armIndex)
        } else if realisation.index == 0 {
          outcome = try runArm(
            simulator, block: block, from: consume start,
            recorder: BufferedSeriesRecorder(
              arm: arms[armIndex], firstPerson: block.firstPerson, personCount: block.count,
              layout: layout, startingAt: startIndex),
            what: what, realisation: realisation.index, armIndex: armIndex)
        } else {
          outcome = try runArm(
            simulator, block: block, from: consume start, recorder: DiscardingRecorder(),
            what: what, realisation: realisation.index, armIndex: armIndex)
        }
        guard let outcome else {
          let seconds = Date().timeIntervalSince(started)
          progress.finish(
            "stopped by signal after writing \(CheckpointFile.name(sequence: sequence)); "
              + "continue with: twin-sim run \(scenarioPath) --output "
              + "\(prepared.directory.path) --resume")
          try finishAgreement()
          prepared.log?.write(timers.report(totalSeconds: seconds))
          prepared.log?.write("stopped by signal: resume with --resume")
          return RunSummary(
            resultsPath: partialPath, personYears: personYears, seconds: seconds,
            stoppedForResume: true)
        }
        done += steps + 1
        let summed = try timers.measure(\.communication) {
          try communicator.allreduce(outcome.counts.flattened, .sum)
        }
        let counts = StepCounts(
          flattened: summed, timePoints: steps + 1, conditionCount: conditionNames.count)
        countsByArm[armIndex].append(counts)
        progress.update(
          doneUnits: done, what: "\(what), step \(steps)/\(steps), \(counts.alive.last ?? 0) alive")
        try timers.measure(\.output) {
          try results.writeSummary(
            arms[armIndex], realisation: realisation.index, counts: counts,
            isRoot: communicator.isRoot)
          if realisation.index == 0 {
            try results.writeEvents(
              arms[armIndex], events: outcome.events, communicator: communicator)
          }
        }
        let armYears = Double(counts.personNanoyears.reduce(0, +)) / StepCounts.nanoyearsPerYear
        personYears += armYears
        prepared.log?.write(
          "realisation \(realisation.index) arm \(arm.name): deaths "
            + "\(counts.deaths.reduce(0, +)), cvd_events \(counts.cvdEvents.reduce(0, +)), "
            + "person_years " + String(format: "%.1f", armYears))
      }
    }
    try finishAgreement()
    // Parameter values of every realisation (deterministic: recomputed, also after a resume).
    for realisation in realisations {
      var resolver = ParameterResolver(scenario: scenario, realisation: realisation)
      _ = resolver.modelParameters()
      _ = resolver.arms()
      parameterNames = resolver.values.map(\.name)
      parameterValues.append(resolver.values.map(\.value))
    }
    try timers.measure(\.output) {
      for (index, arm) in arms.enumerated() {
        try results.writeSummaryStatistics(
          arm, realisations: countsByArm[index], isRoot: communicator.isRoot)
      }
      try results.writeParameters(names: parameterNames, values: parameterValues)
      try results.finish(mpiRanks: communicator.size)
    }
    if communicator.isRoot {
      try FileManager.default.moveItem(atPath: partialPath, toPath: finalPath)
      // A complete result makes the checkpoints useless: free their space.
      store.removeAll()
      store.removeTemporaryFiles()
    }
    try communicator.barrier()
    let seconds = Date().timeIntervalSince(started)
    progress.finish(
      "wrote \(finalPath): \(scenario.arms.count) arms x \(prepared.personCount) persons x "
        + "\(scenario.time.horizonYears) years, \(realisations.count) realisation(s), "
        + String(format: "%.3g person-years/s", personYears / max(seconds, 1e-9)))
    prepared.log?.write(timers.report(totalSeconds: seconds))
    prepared.log?.write("complete: \(finalPath) in \(String(format: "%.2f", seconds)) s")
    return RunSummary(resultsPath: finalPath, personYears: personYears, seconds: seconds)
  }

  /// Rank 0 warns (run.log, and standard error unless --quiet) when the risk equation will be
  /// evaluated at held ages for part of the person-time: estimated from the scenario for a
  /// synthetic population, from every rank's persons for a table (`RiskValidityEstimate`).
  private func warnAboutRiskValidity(_ prepared: Prepared, firstBlock: PersonBlock) throws {
    let scenario = prepared.scenario
    guard let validAges = scenario.models.riskEquation.validAgesYears else { return }
    let estimate: RiskValidityEstimate?
    if case .table = scenario.population.source {
      let persons = (0..<firstBlock.count).map { (firstBlock.sex[$0], firstBlock.ageYears[$0]) }
      let sums = try communicator.allreduce(
        RiskValidityEstimate.personTime(scenario: scenario, persons: persons, in: validAges),
        .sum)
      estimate = RiskValidityEstimate(
        sums: sums, equation: scenario.models.riskEquation.rawValue, validAges: validAges)
    } else {
      estimate = communicator.isRoot ? RiskValidityEstimate.estimate(scenario: scenario) : nil
    }
    guard communicator.isRoot, let warning = estimate?.warning else { return }
    prepared.log?.write("warning: " + warning)
    if !options.quiet {
      FileHandle.standardError.write(Data("twin-sim: warning: \(warning)\n".utf8))
    }
  }

  /// The step at which this rank fails on purpose, from
  /// `TWIN_SIM_INJECT_FAILURE=RANK:STEP` (for tests of failure handling).
  static func injectedFailure(rank: Int) -> Int? {
    guard let text = ProcessInfo.processInfo.environment["TWIN_SIM_INJECT_FAILURE"] else {
      return nil
    }
    let parts = text.split(separator: ":").compactMap { Int($0) }
    guard parts.count == 2, parts[0] == rank else { return nil }
    return parts[1]
  }

  /// The persons of this rank for one replicate, with the conditions present
  /// at the start drawn from `prevalences` (scenario order).
  private func population(
    _ prepared: Prepared, replicate: Int, prevalences: [Double]
  ) throws -> PersonBlock {
    let scenario = prepared.scenario
    let seed = scenario.seed &+ UInt64(replicate)
    let conditions = zip(scenario.models.conditions, prevalences).map {
      (name: $0.name, prevalence: $1)
    }
    switch scenario.population.source {
    case .synthetic(let spec):
      return PopulationSynthesizer(
        spec: spec, startYear: scenario.time.startYear, conditionPrevalences: conditions,
        seed: seed
      ).block(prepared.range)
    case .table(let spec):
      var block = try TablePopulationBuilder.block(
        table: prepared.table!, spec: spec, conditionCount: conditions.count)
      PopulationSynthesizer.drawConditions(&block, conditionPrevalences: conditions, seed: seed)
      return block
    }
  }
}

/// Forwards the state to a recorder and counts this rank's persons alive for the
/// progress line (which the run driver shows once the ranks have agreed on the sum).
struct ProgressRecorder<Inner: PendingFlushRecorder>: SimulationRecorder {
  var inner: Inner
  let what: String
  let communicator: Communicator
  /// Whether progress is shown (`--quiet` not given): the same on every rank.
  let countAlive: Bool
  let timers: RunTimers

  /// Set from `TWIN_SIM_INJECT_FAILURE=RANK:STEP` to test failure handling:
  /// that rank fails at that time point of the first arm (docs/operations.md).
  let injectedFailureStep: Int?
  /// Where to log resident memory at each time point (`--trace-memory`).
  var memoryLog: RunLog?
  /// The time point recorded last, and this rank's persons alive at it (0 when
  /// progress is not shown).
  private(set) var timeIndex = 0
  private(set) var localAlive: Int64 = 0

  mutating func record(_ state: ArmState) throws {
    if let memoryLog {
      memoryLog.write(
        "memory: \(what), time point \(state.timeIndex), resident \(ResidentMemory.bytes()) bytes")
    }
    if let injectedFailureStep, state.timeIndex == injectedFailureStep {
      throw RunFailure.failed(
        "injected failure on rank \(communicator.rank) at step \(injectedFailureStep) "
          + "(TWIN_SIM_INJECT_FAILURE)")
    }
    try timers.measure(\.output) { try inner.record(state) }
    timeIndex = state.timeIndex
    if countAlive { localAlive = Int64(state.alive.reduce(0) { $0 + Int($1) }) }
  }
}

/// The run folder's `run.log`, written by rank 0.
final class RunLog {
  let handle: FileHandle

  /// A new log, or with `append` (a resumed run) the run folder's log continued, so
  /// that it tells every session of the run, including the failure that stopped it.
  /// Opened for appending (O_APPEND), so that lines other ranks add (`append(to:_:)`) are
  /// never overwritten.
  init(url: URL, append: Bool = false) throws {
    let fd = open(url.path, O_WRONLY | O_CREAT | O_APPEND | (append ? 0 : O_TRUNC), 0o644)
    guard fd >= 0 else {
      throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: url.path])
    }
    handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
  }

  func write(_ line: String) {
    handle.write(Data(Self.line(line).utf8))
  }

  private static func line(_ text: String) -> String { "\(UTCTime.string(Date())) \(text)\n" }

  /// Appends one line to the log at `url` from any rank (one write(2) with O_APPEND: lines
  /// of several processes do not mix).
  static func append(to url: URL, _ text: String) {
    let fd = open(url.path, O_WRONLY | O_APPEND)
    guard fd >= 0 else { return }
    defer { close(fd) }
    let bytes = Array(line(text).utf8)
    _ = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
  }

}

/// Where a rank's time goes: the simulation loop (including the recorder's
/// time, which is subtracted for the models' share), HDF5 output, and MPI
/// communication outside HDF5 (HDF5's own MPI-IO counts as output).
final class RunTimers {
  var simulation = 0.0
  var output = 0.0
  var communication = 0.0
  /// Output and communication time spent inside the simulation loop.
  private var nestedInSimulation = 0.0
  private var depth = 0

  func measure<T>(_ slot: ReferenceWritableKeyPath<RunTimers, Double>, _ body: () throws -> T)
    rethrows -> T
  {
    let start = DispatchTime.now().uptimeNanoseconds
    depth += 1
    defer {
      depth -= 1
      let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
      self[keyPath: slot] += seconds
      if depth > 0 && slot != \RunTimers.simulation { nestedInSimulation += seconds }
    }
    return try body()
  }

  /// Seconds in the models: the simulation loop without its output and communication.
  var models: Double { simulation - nestedInSimulation }

  func report(totalSeconds: Double) -> String {
    let other = totalSeconds - models - output - communication
    return String(
      format: "timing (rank 0): total %.3f s, models %.3f s, output (HDF5) %.3f s, "
        + "MPI %.3f s, other (set-up, population) %.3f s",
      totalSeconds, models, output, communication, other)
  }
}

/// SIGTERM and SIGUSR1 (Slurm's warning before the time limit, e.g.
/// `sbatch --signal=B:USR1@120`) ask the run to write a checkpoint at the
/// next step boundary and stop with exit code 3.
final class StopSignal: @unchecked Sendable {
  static let shared = StopSignal()
  private let lock = NSLock()
  private var requested = false
  private var sources: [DispatchSourceSignal] = []
  private var where_ = "starting"
  private var report: (@Sendable (_ signal: Int32, _ position: String) -> Void)?

  var isRequested: Bool {
    lock.lock()
    defer { lock.unlock() }
    return requested
  }

  /// Where this rank is (for the line a signal writes to run.log); set by the run loop.
  var position: String {
    get {
      lock.lock()
      defer { lock.unlock() }
      return where_
    }
    set {
      lock.lock()
      where_ = newValue
      lock.unlock()
    }
  }

  /// Called (on a dispatch queue) with the signal and the position when one arrives.
  func onSignal(_ body: @escaping @Sendable (_ signal: Int32, _ position: String) -> Void) {
    lock.lock()
    report = body
    lock.unlock()
  }

  func install() {
    lock.lock()
    defer { lock.unlock() }
    guard sources.isEmpty else { return }
    for number in [SIGTERM, SIGUSR1] {
      signal(number, SIG_IGN)
      let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
      source.setEventHandler { [weak self] in self?.request(number) }
      source.resume()
      sources.append(source)
    }
  }

  private func request(_ number: Int32) {
    lock.lock()
    requested = true
    let report = report
    let position = where_
    lock.unlock()
    report?(number, position)
  }
}

/// The processes of the job's ranks (process id and host), so that a surviving rank can
/// tell which ranks on its own node have ended when the launcher stops the job.
struct PeerProcesses: Sendable {
  var pids: [Int64]
  var hosts: [Int64]

  /// Every rank's process id and a hash of its host name (collective).
  static func gather(_ communicator: Communicator) throws -> PeerProcesses {
    let name = ProcessInfo.processInfo.hostName
    let host = Int64(bitPattern: UInt64(FileChecksum.of(text: name), radix: 16) ?? 0)
    return PeerProcesses(
      pids: try communicator.allgather(Int64(getpid())),
      hosts: try communicator.allgather(host))
  }

  /// Ranks on the same host as `rank` whose process no longer runs (gone or a zombie).
  func ended(besides rank: Int) -> [Int] {
    pids.indices.filter { other in
      guard other != rank, hosts[other] == hosts[rank] else { return false }
      let pid = pid_t(pids[other])
      if kill(pid, 0) != 0 && errno == ESRCH { return true }
      return processStatFields(pid)?.first == "Z"
    }
  }
}

/// "SIGTERM", "SIGUSR1" or "signal N".
func signalName(_ number: Int32) -> String {
  switch number {
  case SIGTERM: "SIGTERM"
  case SIGUSR1: "SIGUSR1"
  case SIGINT: "SIGINT"
  default: "signal \(number)"
  }
}

/// An exclusive lock on a run folder, held until the process ends, so that
/// two runs never write the same folder.
enum RunFolderLock {
  struct Unavailable: Error, CustomStringConvertible {
    let description: String
  }

  nonisolated(unsafe) private static var descriptor: Int32 = -1

  static func acquire(directory: URL) throws {
    let path = directory.appendingPathComponent(".twin-sim.lock").path
    let fd = open(path, O_CREAT | O_RDWR, 0o644)
    guard fd >= 0 else { throw Unavailable(description: "cannot create the lock file \(path)") }
    guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
      let holder =
        (try? String(contentsOfFile: path, encoding: .utf8))?
        .trimmingCharacters(in: .whitespacesAndNewlines) ?? "?"
      close(fd)
      throw Unavailable(
        description:
          "run folder \(directory.path) is in use by another twin-sim run (\(holder)); "
          + "wait for it to end or choose another --output")
    }
    ftruncate(fd, 0)
    let host = ProcessInfo.processInfo.hostName
    let line = "pid \(getpid()) on \(host)\n"
    _ = line.withCString { write(fd, $0, strlen($0)) }
    descriptor = fd
  }

  /// Gives up the lock taken by `acquire` (before the folder is moved aside).
  static func release() {
    guard descriptor >= 0 else { return }
    close(descriptor)
    descriptor = -1
  }
}

/// Free space of the run folder's file system, to explain write failures.
enum DiskSpace {
  /// Bytes available to the user on the file system holding `directory`.
  static func available(at directory: URL) -> UInt64? {
    var info = statvfs()
    guard statvfs(directory.path, &info) == 0 else { return nil }
    return UInt64(info.f_bavail) * UInt64(info.f_frsize)
  }

  /// "cannot write WHAT in DIR: it needs about N bytes, F are free (disk full?) ..." when the
  /// file system lacks the room, else the error's own words (never a raw error dump).
  static func writeFailure(_ what: String, in directory: URL, needs bytes: Int, error: any Error)
    -> String
  {
    let free = available(at: directory)
    let outOfSpace =
      (error as? CocoaError)?.code == .fileWriteOutOfSpace
      || ((error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError)?.code == Int(ENOSPC)
      || free.map { $0 < UInt64(max(bytes, 0)) } ?? false
    guard outOfSpace else {
      return "cannot write \(what) in \(directory.path): \(error.localizedDescription)"
    }
    return "cannot write \(what) in \(directory.path): it needs about \(bytes) bytes, "
      + "\(free.map(String.init) ?? "an unknown number of") bytes are free (disk full). Free space "
      + "or choose another --output, then --resume from the last checkpoint"
  }

  /// A sentence to add to a failure message when the disk is (nearly) full.
  static func hint(for directory: URL) -> String {
    guard let free = available(at: directory), free < 64 << 20 else { return "" }
    return " (the file system of \(directory.path) has only \(free) bytes free: disk full? "
      + "free space or choose another --output, then rerun or --resume)"
  }
}

/// Memory a rank needs for its persons, checked against what the node has.
enum MemoryBudget {
  /// Bytes per person of a rank beyond the fixed start-up: the person block
  /// and the arm state (measured 170 with six float64 series recorded without
  /// compression, see docs/operations.md), the series buffers, and two bytes
  /// per condition and intervention. Series buffers: without compression the
  /// float32 column `SeriesRecorder` converts into; with deflate 16 time
  /// points of every recorded variable plus a staging buffer per value type
  /// (`BufferedSeriesRecorder`). With physiology, its columns (21 parameters,
  /// 12 warm-start volumes, 10 metrics, 5 more values of 8 bytes, beats and
  /// flags: about 400 bytes).
  static func bytesPerPerson(scenario: Scenario, recorded: [RecordedVariable]) -> Int {
    let floatBytes = scenario.output.precision == .float64 ? 8 : 4
    let hasFloats = recorded.contains { !$0.isFlag }
    let series: Int
    if scenario.output.compression == .none {
      series = scenario.output.precision == .float32 && hasFloats ? 4 : 0
    } else {
      let staging = (hasFloats ? floatBytes : 0) + (recorded.contains(where: \.isFlag) ? 1 : 0)
      series = (recorded.reduce(0) { $0 + ($1.isFlag ? 1 : floatBytes) } + staging) * 16
    }
    let interventions = scenario.arms.map(\.interventions.count).max() ?? 0
    let physiology = scenario.physiology == nil ? 0 : 400
    return 200 + series + 2 * scenario.models.conditions.count + 2 * interventions + physiology
  }

  /// Available memory of this node (MemAvailable of /proc/meminfo), bytes.
  static func availableBytes() -> Int? {
    guard let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8) else {
      return nil
    }
    for line in text.split(separator: "\n") where line.hasPrefix("MemAvailable:") {
      let fields = line.split(separator: " ")
      if fields.count >= 2, let kibibytes = Int(fields[1]) { return kibibytes * 1024 }
    }
    return nil
  }

  /// A message when the ranks on this node would need more than 90 % of its
  /// available memory; nil when they fit (or the node does not say).
  static func problem(
    persons: Int, scenario: Scenario, recorded: [RecordedVariable], communicator: Communicator
  ) -> String? {
    guard let available = availableBytes() else { return nil }
    let localRanks =
      Int(ProcessInfo.processInfo.environment["OMPI_COMM_WORLD_LOCAL_SIZE"] ?? "")
      ?? 1
    let perRank = persons * bytesPerPerson(scenario: scenario, recorded: recorded) + (64 << 20)
    guard perRank * localRanks > available / 10 * 9 else { return nil }
    let gib = { (bytes: Int) in String(format: "%.1f GiB", Double(bytes) / Double(1 << 30)) }
    return "population.size: \(persons) persons on this rank need about \(gib(perRank)) "
      + "(\(localRanks) rank(s) on this node: \(gib(perRank * localRanks))), but the node has "
      + "\(gib(available)) available. Use more nodes (each rank holds size / ranks persons), "
      + "fewer recorded variables, or a smaller population (docs/operations.md, limits)"
  }
}

/// This process's resident memory (from /proc/self/statm).
enum ResidentMemory {
  static func bytes() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else {
      return -1
    }
    let fields = text.split(separator: " ")
    guard fields.count > 1, let pages = Int(fields[1]) else { return -1 }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
  }
}
