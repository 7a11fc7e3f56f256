import Foundation
import TwinModels

/// Times `LinearPredictorBatch`'s two paths on random blocks of persons.
///
/// Options:
///   --sizes 1000,10000,100000   block sizes (persons)
///   --repetitions 15            timed repetitions per (size, equation, path); median reported
///   --persons-per-repetition N  each repetition computes ceil(N / size) blocks (default 200000),
///                               so small blocks are timed over enough work to beat timer noise
///   --seed 2013                 generator seed for the random block
struct LinearPredictorBenchmark {
  struct UsageError: Error, CustomStringConvertible {
    let description: String
  }

  var sizes = [1_000, 10_000, 100_000]
  var repetitions = 15
  var personsPerRepetition = 200_000
  var seed: UInt64 = 2013

  init(arguments: [String]) throws {
    var remaining = arguments[...]
    while let option = remaining.popFirst() {
      guard let value = remaining.popFirst() else {
        throw UsageError(description: "\(option) needs a value")
      }
      switch option {
      case "--sizes":
        let parsed = value.split(separator: ",").compactMap { Int($0) }
        guard !parsed.isEmpty, parsed.allSatisfy({ $0 > 0 }) else {
          throw UsageError(description: "--sizes expects positive integers, got \(value)")
        }
        sizes = parsed
      case "--repetitions":
        guard let parsed = Int(value), parsed > 0 else {
          throw UsageError(description: "--repetitions expects a positive integer")
        }
        repetitions = parsed
      case "--persons-per-repetition":
        guard let parsed = Int(value), parsed > 0 else {
          throw UsageError(description: "--persons-per-repetition expects a positive integer")
        }
        personsPerRepetition = parsed
      case "--seed":
        guard let parsed = UInt64(value) else {
          throw UsageError(description: "--seed expects an unsigned integer")
        }
        seed = parsed
      default:
        throw UsageError(description: "unknown option \(option)")
      }
    }
  }

  /// A timed variant: plain loop, full BLAS path, and the BLAS path's two stages.
  enum Variant: String, CaseIterable {
    case plainLoop = "plain loop"
    case blas = "BLAS (features + dgemm + pick)"
    case blasFeaturesOnly = "  of which features"
    case blasGemmOnly = "  of which dgemm"
  }

  func run() throws {
    let selections: [(name: String, selection: RiskEquationSelection)] = [
      ("pce", .pooledCohort(.white)), ("framingham", .framingham2008), ("score2", .score2),
    ]
    let blasThreads = ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"] ?? "unset"
    print("# twin-sim-bench linear-predictor")
    print(
      "# repetitions \(repetitions) (median), >= \(personsPerRepetition) persons per repetition,"
        + " seed \(seed), OPENBLAS_NUM_THREADS=\(blasThreads)")
    print("# persons/s = persons computed / median wall time; higher is better")
    print("| persons | equation | path | median time per block | persons/s |")
    print("|---:|---|---|---:|---:|")
    for size in sizes {
      let block = randomBlock(count: size)
      let batch = LinearPredictorBatch(capacity: size)
      var output = [Double](repeating: 0, count: size)
      var reference = [Double](repeating: 0, count: size)
      let blocksPerRepetition = (personsPerRepetition + size - 1) / size
      for (name, selection) in selections {
        try block.withColumns { columns in
          try output.withUnsafeMutableBufferPointer { out in
            try reference.withUnsafeMutableBufferPointer { ref in
              // Both paths must agree before their speeds mean anything.
              LinearPredictorBatch.computeWithPlainLoop(columns, equation: selection, into: ref)
              batch.computeWithBLAS(columns, equation: selection, into: out)
              let worst = zip(out, ref).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? 0
              guard worst <= 1e-12 else {
                throw UsageError(description: "paths disagree by \(worst) (relative)")
              }
              for variant in Variant.allCases {
                let seconds = medianSeconds(blocks: blocksPerRepetition) {
                  switch variant {
                  case .plainLoop:
                    LinearPredictorBatch.computeWithPlainLoop(
                      columns, equation: selection, into: out)
                  case .blas:
                    batch.computeWithBLAS(columns, equation: selection, into: out)
                  case .blasFeaturesOnly:
                    batch.prepareFeatures(columns)
                  case .blasGemmOnly:
                    _ = batch.multiplyPreparedFeatures(count: size)
                  }
                }
                let perBlock = seconds / Double(blocksPerRepetition)
                let rate = Double(size) / perBlock
                print(
                  "| \(size) | \(name) | \(variant.rawValue) | \(formatDuration(perBlock))"
                    + " | \(formatRate(rate)) |")
              }
            }
          }
        }
      }
    }
  }

  /// Median over `repetitions` of the wall time of `blocks` calls of `body`, after one
  /// untimed warm-up repetition.
  private func medianSeconds(blocks: Int, _ body: () -> Void) -> Double {
    let clock = ContinuousClock()
    for _ in 0..<blocks { body() }
    var times: [Double] = []
    for _ in 0..<repetitions {
      let elapsed = clock.measure {
        for _ in 0..<blocks { body() }
      }
      times.append(elapsed / .seconds(1))
    }
    times.sort()
    return times.count % 2 == 1
      ? times[times.count / 2] : (times[times.count / 2 - 1] + times[times.count / 2]) / 2
  }

  /// Persons spread over the equations' input ranges (ages 30-85, some outside a range:
  /// the unchecked path does not care), all flags mixed.
  private func randomBlock(count: Int) -> RiskFactorBlock {
    var generator = SplitMix64(state: seed)
    var block = RiskFactorBlock()
    block.reserveCapacity(count)
    for _ in 0..<count {
      block.append(
        RiskFactors(
          sex: Bool.random(using: &generator) ? .female : .male,
          ageYears: Double.random(in: 30...85, using: &generator),
          totalCholesterolMmolL: Double.random(in: 3...9, using: &generator),
          hdlCholesterolMmolL: Double.random(in: 0.6...2.6, using: &generator),
          sbpMmHg: Double.random(in: 90...200, using: &generator),
          bpTreated: Bool.random(using: &generator), smoker: Bool.random(using: &generator),
          diabetes: Bool.random(using: &generator)))
    }
    return block
  }

  private func formatDuration(_ seconds: Double) -> String {
    if seconds < 1e-3 { return String(format: "%.1f us", seconds * 1e6) }
    return String(format: "%.2f ms", seconds * 1e3)
  }

  private func formatRate(_ personsPerSecond: Double) -> String {
    String(format: "%.1f M", personsPerSecond / 1e6)
  }
}

/// SplitMix64 (Steele, Lea, Flood 2014): small, fast, deterministic; enough for test data.
struct SplitMix64: RandomNumberGenerator {
  var state: UInt64

  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
