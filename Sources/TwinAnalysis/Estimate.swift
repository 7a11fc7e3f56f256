/// A quantity estimated by simulation: its mean over realisations, a 95 %
/// interval and the Monte Carlo standard error of the mean. `nil` means "not
/// available" (for example the number needed to treat of a harmful arm).
public struct Estimate: Sendable, Equatable {
  /// Mean over realisations (the value itself with one realisation).
  public var mean: Double?
  /// Lower end of the 95 % interval.
  public var lower95: Double?
  /// Upper end of the 95 % interval; nil also when it is unbounded.
  public var upper95: Double?
  /// Monte Carlo standard error of `mean`.
  public var mcse: Double?
  /// The quantity in each realisation, in realisation order.
  public var realisationValues: [Double?]

  public init(
    mean: Double?, lower95: Double?, upper95: Double?, mcse: Double?,
    realisationValues: [Double?]
  ) {
    self.mean = mean
    self.lower95 = lower95
    self.upper95 = upper95
    self.mcse = mcse
    self.realisationValues = realisationValues
  }

  /// Statistics over two or more realisations: mean, the 2.5 and 97.5
  /// percentiles (linear interpolation between order statistics, numpy's
  /// default), and sd / sqrt(R) with the sample standard deviation (R - 1).
  /// With one realisation only the mean: see `withinRun`.
  static func overRealisations(_ values: [Double]) -> Estimate {
    let optionalValues = values.map { Optional($0) }
    guard values.count >= 2 else {
      return Estimate(
        mean: values.first, lower95: nil, upper95: nil, mcse: nil,
        realisationValues: optionalValues)
    }
    var moments = RunningMoments()
    for value in values { moments.add(value) }
    let sorted = values.sorted()
    return Estimate(
      mean: moments.mean, lower95: Percentile.linear(sorted: sorted, fraction: 0.025),
      upper95: Percentile.linear(sorted: sorted, fraction: 0.975),
      mcse: moments.standardErrorOfMean, realisationValues: optionalValues)
  }

  /// One realisation with a standard error from within the run (persons as
  /// the sampling unit): the normal-approximation interval value +- z * se,
  /// z = 1.959964 (the 97.5 % standard normal quantile).
  /// Not applicable: no value, no interval, nil in each realisation (e.g. an NNT per person
  /// treated where nobody was treated).
  static func notApplicable(_ source: Estimate) -> Estimate {
    Estimate(
      mean: nil, lower95: nil, upper95: nil, mcse: nil,
      realisationValues: source.realisationValues.map { _ in nil })
  }

  static func withinRun(value: Double, standardError: Double) -> Estimate {
    Estimate(
      mean: value, lower95: value - standardNormalQuantile975 * standardError,
      upper95: value + standardNormalQuantile975 * standardError, mcse: standardError,
      realisationValues: [value])
  }
}

/// The 97.5 % quantile of the standard normal distribution (to double precision).
let standardNormalQuantile975 = 1.959_963_984_540_054

/// Percentiles of a sample.
enum Percentile {
  /// The percentile at `fraction` (0 ... 1) of an ascending sample, by linear
  /// interpolation between the order statistics at position fraction x (n - 1)
  /// (Hyndman and Fan 1996, definition 7; numpy's and R's default).
  static func linear(sorted: [Double], fraction: Double) -> Double {
    precondition(!sorted.isEmpty, "percentile of an empty sample")
    let position = fraction * Double(sorted.count - 1)
    let below = Int(position.rounded(.down))
    let above = Swift.min(below + 1, sorted.count - 1)
    let weight = position - Double(below)
    return sorted[below] + weight * (sorted[above] - sorted[below])
  }
}

/// Count, mean and sum of squared deviations of a stream of numbers, updated
/// one value at a time without storing them (Welford 1962, Technometrics
/// 4:419-420): numerically stable for millions of values.
struct RunningMoments: Sendable {
  private(set) var count = 0
  private(set) var mean = 0.0
  private var squaredDeviations = 0.0

  mutating func add(_ value: Double) {
    count += 1
    let delta = value - mean
    mean += delta / Double(count)
    squaredDeviations += delta * (value - mean)
  }

  /// Sample variance (divisor n - 1); nil below two values.
  var variance: Double? {
    count >= 2 ? squaredDeviations / Double(count - 1) : nil
  }

  /// Standard error of the mean, sqrt(variance / n); nil below two values.
  var standardErrorOfMean: Double? {
    variance.map { ($0 / Double(count)).squareRoot() }
  }
}
