import Foundation
import HDF5Kit
import MPIKit
import TwinCore
import TwinModels

/// Options of `twin-sim run`.
public struct RunOptions: Sendable {
  /// Run folder; nil: the scenario's `output.dir`.
  public var outputDirectory: String?
  /// No progress on standard error.
  public var quiet: Bool

  public init(outputDirectory: String? = nil, quiet: Bool = false) {
    self.outputDirectory = outputDirectory
    self.quiet = quiet
  }
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

/// What a finished run produced.
public struct RunSummary: Sendable {
  public var resultsPath: String
  public var personYears: Double
  public var seconds: Double
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
      prepared.log?.write("failed on rank \(communicator.rank): \(error)")
      communicator.abort(message: "run failed: \(error)")
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
        let total = try readTable(spec, rows: 0..<0).totalRows
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
        let rows = try readTable(spec, rows: range)
        _ = try TablePopulationBuilder.block(
          table: rows, spec: spec, conditionCount: conditionNames.count)
        table = rows
      } catch {
        problem = "\(error)"
      }
    }
    try agree(problem)

    // The run folder: created and writable, and no finished result in the way.
    let directory = URL(
      fileURLWithPath: options.outputDirectory ?? scenario.output.directory, isDirectory: true)
    var log: RunLog?
    if communicator.isRoot {
      do {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let probe = directory.appendingPathComponent(".twin-sim-write-test")
        guard FileManager.default.createFile(atPath: probe.path, contents: Data()) else {
          throw TableError("cannot create files in \(directory.path)")
        }
        try? FileManager.default.removeItem(at: probe)
        try Data(scenario.sourceYAML.utf8).write(
          to: directory.appendingPathComponent(FileName.scenario))
        log = try RunLog(url: directory.appendingPathComponent(FileName.log))
      } catch {
        problem = "output folder \(directory.path): not writable: \(error)"
      }
    }
    try agree(problem)
    return Prepared(
      scenario: scenario, personCount: personCount, range: range, table: table,
      directory: directory, recorded: recorded, log: log)
  }

  private func readTable(_ spec: TablePopulation, rows: Range<Int>) throws -> PersonTable {
    switch spec.format {
    case .csv:
      return try CSVTableReader.read(url: spec.url, displayPath: spec.path, rows: rows)
    case .hdf5:
      return try HDF5TableReader.read(
        path: spec.url.path, displayPath: spec.path, group: spec.group, rows: rows)
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
      realisations: realisations.count, conditionNames: conditionNames)

    let runID = try communicator.broadcast(
      communicator.isRoot ? UUID().uuidString.lowercased() : "")
    let created = try communicator.broadcast(
      communicator.isRoot ? ISO8601DateFormatter().string(from: started) : "")
    let metadata = ResultMetadata(
      softwareVersion: SoftwareVersion.string, scenarioYAML: scenario.sourceYAML,
      scenarioName: scenario.name, seed: Int64(bitPattern: scenario.seed), runID: runID,
      created: created, mpiRanks: communicator.size,
      extra: [
        ("time_step", scenario.time.step.rawValue),
        ("start_year", String(scenario.time.startYear)),
        ("risk_equation", scenario.models.riskEquation.rawValue),
        ("outside_validity", scenario.models.outsideValidity.rawValue),
        ("baseline_arm", scenario.baselineArmName),
      ])
    prepared.log?.write(
      "run \(runID): scenario \(scenarioPath) (\(scenario.name)), \(prepared.personCount) persons, "
        + "\(scenario.arms.count) arms, \(realisations.count) realisations, "
        + "\(communicator.size) MPI ranks")

    let partialPath = prepared.directory.appendingPathComponent(FileName.partialResults).path
    let finalPath = prepared.directory.appendingPathComponent(FileName.results).path
    if communicator.isRoot { try? FileManager.default.removeItem(atPath: finalPath) }
    try communicator.barrier()

    var firstResolver = ParameterResolver(scenario: scenario, realisation: realisations[0])
    let firstBlock = try population(
      prepared, replicate: 0,
      prevalences: firstResolver.modelParameters().conditions.map(\.prevalence))
    let timers = RunTimers()
    let injectedFailureStep = Self.injectedFailure(rank: communicator.rank)
    let (results, arms) = try timers.measure(\.output) {
      let results = try ResultsFile(
        path: partialPath, layout: layout, metadata: metadata, block: firstBlock,
        communicator: communicator)
      return (results, try scenario.arms.map { try results.createArm($0.name) })
    }
    var progress = ProgressReporter(
      enabled: communicator.isRoot && !options.quiet,
      totalUnits: realisations.count * scenario.arms.count * (steps + 1))
    var countsByArm = [[StepCounts]](repeating: [], count: scenario.arms.count)
    var parameterNames: [String] = []
    var parameterValues: [[Double]] = []
    var personYears = 0.0
    var done = 0

    for realisation in realisations {
      var resolver = ParameterResolver(scenario: scenario, realisation: realisation)
      let parameters = resolver.modelParameters()
      let block =
        realisation.index == 0
        ? firstBlock
        : try population(
          prepared, replicate: realisation.replicate,
          prevalences: parameters.conditions.map(\.prevalence))
      let armParameters = resolver.arms()
      parameterNames = resolver.values.map(\.name)
      parameterValues.append(resolver.values.map(\.value))
      let seed = realisation.seed(scenarioSeed: scenario.seed)
      for (armIndex, arm) in armParameters.enumerated() {
        let simulator = ArmSimulator(parameters: parameters, arm: arm, seed: seed)
        let what =
          "arm \(arm.name) (\(armIndex + 1)/\(armParameters.count))"
          + (realisations.count > 1
            ? ", realisation \(realisation.index + 1)/\(realisations.count)" : "")
        let outcome: (counts: StepCounts, events: EventLog)
        if realisation.index == 0 {
          var recorder = ProgressRecorder(
            inner: SeriesRecorder(
              arm: arms[armIndex], firstPerson: block.firstPerson, personCount: block.count,
              layout: layout),
            progress: progress, done: done, steps: steps, what: what,
            communicator: communicator, countAlive: !options.quiet, timers: timers,
            injectedFailureStep: done == 0 ? injectedFailureStep : nil)
          outcome = try timers.measure(\.simulation) {
            try simulator.run(block: block, recorder: &recorder)
          }
          progress = recorder.progress
        } else {
          var recorder = ProgressRecorder(
            inner: DiscardingRecorder(), progress: progress, done: done, steps: steps,
            what: what, communicator: communicator, countAlive: !options.quiet, timers: timers,
            injectedFailureStep: nil)
          outcome = try timers.measure(\.simulation) {
            try simulator.run(block: block, recorder: &recorder)
          }
          progress = recorder.progress
        }
        done += steps + 1
        let summed = try timers.measure(\.communication) {
          try communicator.allreduce(outcome.counts.flattened, .sum)
        }
        let counts = StepCounts(
          flattened: summed, timePoints: steps + 1, conditionCount: conditionNames.count)
        countsByArm[armIndex].append(counts)
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
          "realisation \(realisation.index) arm \(arm.name): deaths \(counts.deaths.reduce(0, +)), "
            + "cvd_events \(counts.cvdEvents.reduce(0, +)), person_years "
            + String(format: "%.1f", armYears))
      }
    }
    try timers.measure(\.output) {
      for (index, arm) in arms.enumerated() {
        try results.writeSummaryStatistics(
          arm, realisations: countsByArm[index], isRoot: communicator.isRoot)
      }
      try results.writeParameters(names: parameterNames, values: parameterValues)
      try results.finish()
    }
    if communicator.isRoot {
      try FileManager.default.moveItem(atPath: partialPath, toPath: finalPath)
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

/// Forwards the state to a recorder and reports progress each time point.
struct ProgressRecorder<Inner: SimulationRecorder>: SimulationRecorder {
  var inner: Inner
  var progress: ProgressReporter
  let done: Int
  let steps: Int
  let what: String
  let communicator: Communicator
  /// Whether progress is shown (`--quiet` not given): the same on every rank.
  let countAlive: Bool
  let timers: RunTimers

  /// Set from `TWIN_SIM_INJECT_FAILURE=RANK:STEP` to test failure handling:
  /// that rank fails at that time point of the first arm (docs/operations.md).
  let injectedFailureStep: Int?

  mutating func record(_ state: ArmState) throws {
    if let injectedFailureStep, state.timeIndex == injectedFailureStep {
      throw RunFailure.failed(
        "injected failure on rank \(communicator.rank) at step \(injectedFailureStep) "
          + "(TWIN_SIM_INJECT_FAILURE)")
    }
    try timers.measure(\.output) { try inner.record(state) }
    guard countAlive else { return }
    // Every rank takes part in the count (the same on all ranks); rank 0 prints.
    let localAlive = Int64(state.alive.reduce(0) { $0 + Int($1) })
    let alive = try timers.measure(\.communication) {
      try communicator.allreduce(localAlive, .sum)
    }
    progress.update(
      doneUnits: done + state.timeIndex + 1,
      what: "\(what), step \(state.timeIndex)/\(steps), \(alive) alive")
  }
}

/// The run folder's `run.log`, written by rank 0.
final class RunLog {
  let handle: FileHandle
  let formatter = ISO8601DateFormatter()

  init(url: URL) throws {
    FileManager.default.createFile(atPath: url.path, contents: Data())
    handle = try FileHandle(forWritingTo: url)
    handle.seekToEndOfFile()
  }

  func write(_ line: String) {
    handle.write(Data("\(formatter.string(from: Date())) \(line)\n".utf8))
  }

  deinit { try? handle.close() }
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
