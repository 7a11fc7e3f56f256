import Foundation
import TwinPhysiology

/// The physiology modes of twin-sim-bench:
///   physiology                  person-years per second (PhysiologyBenchmark; used by
///                               scripts/bench/physiology)
///   physiology-calibration      prints the Swift source of the resistance calibration table
///   physiology-mapping-report   modelled pressures of typical persons (docs/physiology.md)
func runPhysiologyMode(_ mode: String, _ arguments: [String]) {
  do {
    switch mode {
    case "physiology": try PhysiologyBenchmark(arguments: arguments).run()
    case "physiology-calibration": PhysiologyCalibrationGenerator().run()
    case "physiology-mapping-report": PhysiologyMappingReport().run()
    default: throw PhysiologyBenchmark.UsageError(description: "unknown mode '\(mode)'")
    }
  } catch {
    FileHandle.standardError.write(Data("twin-sim-bench: \(error)\n".utf8))
    exit(64)
  }
}

/// Times the population physiology as the engine will use it: each simulated year every living
/// person is mapped to model parameters (`PhysiologyMapping`) and solved to its periodic steady
/// state with `PhysiologyBatch`, warm-started from the previous year.
///
/// Population (deterministic, `--seed`): ages 30-80 at baseline, half women, SBP 110 + 0.5 per
/// year of age above 30 plus a normal deviation of sd 14 mmHg (kept within 90-200), 25 %
/// smokers. Each year: age + 1, SBP + 0.6 mmHg (the engine's default trajectory), 3 % of
/// smokers quit; in year 5, 10 % start antihypertensive treatment (SBP - 10 mmHg), a jump
/// the warm start cannot foresee.
///
/// Options:
///   --persons 16384     persons
///   --block 4096        persons per batch call (the engine's block)
///   --years 10          warm-started years after the cold year 0
///   --repetitions 3     whole runs; times are the fastest run's (the others show the noise)
///   --seed 2004         population seed
///   --build NAME        label for the build's instruction set (printed; set by the script)
///   --vector-flops N    double-precision flops per cycle the build's instructions can reach
///                       (printed peak = N x cpu MHz; set by the script from the CPU flags)
struct PhysiologyBenchmark {
  struct UsageError: Error, CustomStringConvertible {
    let description: String
  }

  var persons = 16_384
  var block = 4_096
  var years = 10
  var repetitions = 3
  var seed: UInt64 = 2004
  var build = "default"
  var vectorFlopsPerCycle = 0.0

  init(arguments: [String]) throws {
    var remaining = arguments[...]
    while let option = remaining.popFirst() {
      guard let value = remaining.popFirst() else {
        throw UsageError(description: "\(option) needs a value")
      }
      switch option {
      case "--persons": persons = try Self.positive(value, option)
      case "--block": block = try Self.positive(value, option)
      case "--years": years = try Self.positive(value, option)
      case "--repetitions": repetitions = try Self.positive(value, option)
      case "--seed":
        guard let parsed = UInt64(value) else {
          throw UsageError(description: "--seed expects an unsigned integer")
        }
        seed = parsed
      case "--build": build = value
      case "--vector-flops":
        guard let parsed = Double(value), parsed > 0 else {
          throw UsageError(description: "--vector-flops expects a positive number")
        }
        vectorFlopsPerCycle = parsed
      default:
        throw UsageError(description: "unknown option \(option)")
      }
    }
  }

  static func positive(_ value: String, _ option: String) throws -> Int {
    guard let parsed = Int(value), parsed > 0 else {
      throw UsageError(description: "\(option) expects a positive integer")
    }
    return parsed
  }

  /// One simulated person's named quantities.
  struct Person {
    var ageYears: Double
    var female: Bool
    var sbpMmHg: Double
    var smoker: Bool
  }

  /// Counters and times of one whole run.
  struct RunResult {
    var coldSeconds = 0.0
    var warmSeconds = 0.0
    var warmMappingSeconds = 0.0
    /// CPU time of this thread in the warm solves: excludes time the scheduler gave to other
    /// processes (the build machine is shared), s.
    var warmCpuSeconds = 0.0
    var cold = PhysiologyBatchStatistics()
    var warm = PhysiologyBatchStatistics()
    var coldBeats: [Int32] = []
    var warmBeats: [Int32] = []
    var checksum = 0.0
  }

  func run() throws {
    let mapping = PhysiologyMapping.standard
    let rhs = CountingLane.countRightHandSide()
    let beat100 = CountingLane.countBeat(steps: 100)
    let beat200 = CountingLane.countBeat(steps: 200)
    let flopsPerStep = Double(beat200.arithmetic - beat100.arithmetic) / 100
    let otherPerStep = Double(beat200.other - beat100.other) / 100
    let flopsPerBeat = Double(beat100.arithmetic) - 100 * flopsPerStep

    var runs: [RunResult] = []
    for _ in 0..<repetitions { runs.append(simulate(mapping: mapping)) }
    let fastest = runs.min { $0.warmCpuSeconds < $1.warmCpuSeconds }!
    let checksums = Set(runs.map(\.checksum))

    let personYears = Double(persons * years)
    let warm = fastest.warm
    let megahertz = Self.cpuMegahertz()
    let warmFlops =
      flopsPerStep * Double(warm.personSteps) + flopsPerBeat * Double(warm.beats)
    let achieved = warmFlops / fastest.warmCpuSeconds
    let peak = vectorFlopsPerCycle * megahertz * 1e6

    print("# twin-sim-bench physiology (build: \(build))")
    print(
      "# \(persons) persons in blocks of \(block), cold year 0 then \(years) warm years; "
        + "fastest of \(repetitions) runs by CPU time (warm years, CPU / wall seconds: "
        + runs.map { String(format: "%.3f / %.3f", $0.warmCpuSeconds, $0.warmSeconds) }
        .joined(separator: ", ") + ")")
    print(
      "# identical results in every run: \(checksums.count == 1 ? "yes" : "NO")"
        + " (checksum \(String(format: "%.6f", fastest.checksum)),"
        + " bits \(String(fastest.checksum.bitPattern, radix: 16)))")
    print("| quantity | value |")
    print("|---|---:|")
    func row(_ name: String, _ value: String) { print("| \(name) | \(value) |") }
    row(
      "person-years per second per core (solve; CPU time of the thread)",
      Self.format(personYears / fastest.warmCpuSeconds))
    row(
      "person-years per second per core (solve; wall time, shared machine)",
      Self.format(personYears / fastest.warmSeconds))
    row(
      "mapping, microseconds per person-year",
      String(format: "%.2f", 1e6 * fastest.warmMappingSeconds / personYears))
    row(
      "cold solves per second (year 0, wall time)",
      Self.format(Double(persons) / fastest.coldSeconds))
    row(
      "RHS evaluations per person-year (warm)",
      String(format: "%.0f", Double(warm.rightHandSideEvaluations) / personYears))
    row(
      "RHS evaluations per person (cold)",
      String(format: "%.0f", Double(fastest.cold.rightHandSideEvaluations) / Double(persons)))
    row(
      "beats to steady state, cold: mean / median / 90th pct / max",
      Self.distribution(fastest.coldBeats))
    row(
      "beats to steady state, warm: mean / median / 90th pct / max",
      Self.distribution(fastest.warmBeats))
    row(
      "RK4 steps per beat (mean)",
      String(format: "%.1f", Double(warm.personSteps) / Double(warm.beats)))
    row(
      "SIMD lane utilisation",
      String(format: "%.1f %%", 100 * Double(warm.personSteps) / Double(warm.laneSteps)))
    row("converged (warm person-years)", "\(warm.converged) of \(warm.persons)")
    row(
      "flops per RHS evaluation (+, -, *, /, sqrt)",
      "\(rhs.arithmetic) (+ \(rhs.other) max/min/negate/select)")
    row("flops per RK4 step", String(format: "%.0f (+ %.0f other)", flopsPerStep, otherPerStep))
    row("achieved rate, solve (Gflop/s)", String(format: "%.2f", achieved / 1e9))
    if peak > 0 {
      row(
        "core peak for this build's instructions (Gflop/s)",
        String(
          format: "%.1f = %.0f flops/cycle x %.0f MHz", peak / 1e9, vectorFlopsPerCycle, megahertz))
      row("fraction of that peak", String(format: "%.1f %%", 100 * achieved / peak))
    }
  }

  /// Builds the population and runs the cold year and the warm years.
  func simulate(mapping: PhysiologyMapping) -> RunResult {
    var generator = SplitMix64(state: seed)
    var population = (0..<persons).map { _ -> Person in
      let age = 30 + 50 * generator.nextUniform()
      var sbp: Double
      repeat {
        sbp = 110 + 0.5 * (age - 30) + 14 * generator.nextNormal()
      } while sbp < 90 || sbp > 200
      return Person(
        ageYears: age, female: generator.nextUniform() < 0.5, sbpMmHg: sbp,
        smoker: generator.nextUniform() < 0.25)
    }
    var result = RunResult()
    let blocks = stride(from: 0, to: persons, by: block).map { $0..<min($0 + block, persons) }
    var states = blocks.map { PhysiologyStateColumns(count: $0.count) }
    var metrics = blocks.map { PhysiologyMetricColumns(count: $0.count) }
    var parameters = blocks.map {
      PhysiologyParameterColumns(repeating: .healthyAdult, count: $0.count)
    }

    for year in 0...years {
      if year > 0 {
        for index in population.indices {
          population[index].ageYears += 1
          population[index].sbpMmHg += 0.6
          if population[index].smoker && generator.nextUniform() < 0.03 {
            population[index].smoker = false
          }
          if year == 5 && generator.nextUniform() < 0.1 { population[index].sbpMmHg -= 10 }
        }
      }
      let mapStart = DispatchTime.now().uptimeNanoseconds
      for (blockIndex, range) in blocks.enumerated() {
        for (local, person) in range.enumerated() {
          let p = population[person]
          parameters[blockIndex][local] = mapping.parameters(
            for: PhysiologyPerson(
              ageYears: p.ageYears, sex: p.female ? .female : .male, sbpMmHg: p.sbpMmHg,
              smoker: p.smoker))
        }
      }
      let solveStart = DispatchTime.now().uptimeNanoseconds
      let cpuStart = Self.threadCpuSeconds()
      var statistics = PhysiologyBatchStatistics()
      for blockIndex in blocks.indices {
        PhysiologyBatch.solve(
          parameters: parameters[blockIndex], warmStart: &states[blockIndex],
          options: SteadyStateOptions(), active: nil, into: &metrics[blockIndex],
          statistics: &statistics)
      }
      let end = DispatchTime.now().uptimeNanoseconds
      let cpuEnd = Self.threadCpuSeconds()
      let beats = metrics.flatMap(\.beatsToSteadyState)
      if year == 0 {
        result.coldSeconds = Double(end - solveStart) / 1e9
        result.cold = statistics
        result.coldBeats = beats
      } else {
        result.warmSeconds += Double(end - solveStart) / 1e9
        result.warmCpuSeconds += cpuEnd - cpuStart
        result.warmMappingSeconds += Double(solveStart - mapStart) / 1e9
        result.warm.persons += statistics.persons
        result.warm.converged += statistics.converged
        result.warm.beats += statistics.beats
        result.warm.rightHandSideEvaluations += statistics.rightHandSideEvaluations
        result.warm.laneSteps += statistics.laneSteps
        result.warm.personSteps += statistics.personSteps
        result.warmBeats += beats
      }
    }
    result.checksum = metrics.reduce(0.0) { $0 + $1.sbp.reduce(0, +) + $1.dbp.reduce(0, +) }
    return result
  }

  static func distribution(_ values: [Int32]) -> String {
    let sorted = values.sorted()
    let mean = Double(sorted.reduce(0) { $0 + Int($1) }) / Double(sorted.count)
    let median = sorted[sorted.count / 2]
    let p90 = sorted[min(sorted.count - 1, sorted.count * 9 / 10)]
    return String(format: "%.2f / %d / %d / %d", mean, median, p90, sorted.last!)
  }

  static func format(_ value: Double) -> String {
    let digits = String(Int(value.rounded()))
    var grouped = ""
    for (index, character) in digits.reversed().enumerated() {
      if index > 0 && index % 3 == 0 { grouped.append(",") }
      grouped.append(character)
    }
    return String(grouped.reversed())
  }

  /// CPU time consumed by the calling thread, s.
  static func threadCpuSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
  }

  /// Nominal clock of the first CPU from /proc/cpuinfo ("cpu MHz"), or 0.
  static func cpuMegahertz() -> Double {
    guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else {
      return 0
    }
    for line in text.split(separator: "\n") where line.hasPrefix("cpu MHz") {
      if let value = line.split(separator: ":").last.flatMap({
        Double($0.trimmingCharacters(in: .whitespaces))
      }) {
        return value
      }
    }
    return 0
  }
}

/// Uniform and Box-Muller normal draws from the harness's SplitMix64 (benchmark population
/// only, not the engine's random streams).
extension SplitMix64 {
  /// Uniform in (0, 1).
  mutating func nextUniform() -> Double {
    (Double(next() >> 11) + 0.5) / 9_007_199_254_740_992.0
  }

  mutating func nextNormal() -> Double {
    let u1 = nextUniform()
    let u2 = nextUniform()
    return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
  }
}

/// Prints the Swift source of the default resistance calibration table
/// (`twin-sim-bench physiology-calibration > Sources/TwinPhysiology/ResistanceCalibrationTable.swift`,
/// then `swift format format -i` on it).
struct PhysiologyCalibrationGenerator {
  func run() {
    let calibration = ResistanceCalibration.solve(options: PhysiologyMapping.Options())
    FileHandle.standardError.write(
      Data(
        ("largest residual \(calibration.largestResidualMmHg) mmHg, unreachable nodes "
          + "\(calibration.unreachableNodes.count)\n").utf8))
    print(calibration.swiftSource(), terminator: "")
  }
}
