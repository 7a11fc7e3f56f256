import Foundation
import TwinRandom

/// A scenario parameter that is either a fixed number or a distribution for
/// probabilistic sensitivity analysis (PSA): a "U-number" in the scenario file.
///
/// With `uncertainty.parameter_draws: 0` the engine uses `pointValue`; with draws
/// it evaluates `quantile(u)` at a Philox uniform `u` in (0, 1), so that a draw is
/// a pure function of (seed, stream, draw) like every other random number.
public enum UncertainValue: Sendable, Hashable {
  /// A number without uncertainty.
  case fixed(Double)
  /// Normal distribution (`{normal: {mean: M, sd: S}}`), sd >= 0.
  case normal(mean: Double, sd: Double)
  /// Log-normal distribution given as a point estimate and its 95 % confidence
  /// interval (`{lognormal: {mean: M, ci95: [LO, HI]}}`), as papers report relative
  /// risks. `mean` is the point estimate and the distribution's median:
  /// ln X ~ Normal(ln M, s) with s = (ln HI - ln LO) / (2 * 1.959964).
  /// Requires 0 < LO <= M <= HI.
  case lognormal(mean: Double, ci95Low: Double, ci95High: Double)
  /// Uniform distribution on [min, max] (`{uniform: {min: A, max: B}}`), A < B.
  case uniform(min: Double, max: Double)
  /// Beta distribution for fractions given by mean and sd
  /// (`{beta: {mean: M, sd: S}}`), 0 < M < 1 and 0 < S^2 < M (1 - M).
  case beta(mean: Double, sd: Double)

  /// The 0.975 quantile of the standard normal distribution, used to turn a
  /// 95 % confidence interval into a log-scale standard deviation.
  public static let z975 = 1.959963984540054

  /// The value used without parameter draws: the number itself, the mean
  /// (normal, beta), the point estimate (lognormal) or the midpoint (uniform).
  public var pointValue: Double {
    switch self {
    case .fixed(let value): return value
    case .normal(let mean, _): return mean
    case .lognormal(let mean, _, _): return mean
    case .uniform(let min, let max): return (min + max) / 2
    case .beta(let mean, _): return mean
    }
  }

  /// Whether the value is a plain number (no distribution).
  public var isFixed: Bool {
    if case .fixed = self { return true }
    return false
  }

  /// The standard deviation of ln X for a log-normal value.
  static func lognormalSigma(ci95Low: Double, ci95High: Double) -> Double {
    (log(ci95High) - log(ci95Low)) / (2 * z975)
  }

  /// The shape parameters (alpha, beta) of a beta distribution with the given
  /// mean and sd (method of moments): k = m (1 - m) / sd^2 - 1, alpha = m k,
  /// beta = (1 - m) k.
  static func betaShape(mean: Double, sd: Double) -> (alpha: Double, beta: Double) {
    let k = mean * (1 - mean) / (sd * sd) - 1
    return (mean * k, (1 - mean) * k)
  }

  /// The inverse cumulative distribution function at probability `u`.
  ///
  /// - Parameter u: a probability in the open interval (0, 1), e.g. a Philox
  ///   uniform; a fixed value returns itself for any `u`.
  /// - Returns: the value x with P(X <= x) = u. Accuracy: normal and log-normal
  ///   to a few units in the last place (TwinRandom's `inverseNormalCDF`,
  ///   Wichura's AS241); beta to about 1e-12 relative
  ///   (bisection on the regularised incomplete beta function).
  public func quantile(_ u: Double) -> Double {
    precondition(u > 0 && u < 1, "quantile needs a probability in (0, 1), got \(u)")
    switch self {
    case .fixed(let value):
      return value
    case .normal(let mean, let sd):
      return mean + sd * inverseNormalCDF(u)
    case .lognormal(let mean, let low, let high):
      let sigma = Self.lognormalSigma(ci95Low: low, ci95High: high)
      return exp(log(mean) + sigma * inverseNormalCDF(u))
    case .uniform(let min, let max):
      return min + u * (max - min)
    case .beta(let mean, let sd):
      let shape = Self.betaShape(mean: mean, sd: sd)
      return BetaDistribution.quantile(u, alpha: shape.alpha, beta: shape.beta)
    }
  }
}

/// The beta distribution's CDF and inverse CDF.
enum BetaDistribution {
  /// The regularised incomplete beta function I_x(a, b), the CDF of Beta(a, b).
  ///
  /// Continued fraction of Numerical Recipes (3rd ed., section 6.4, eq. 6.4.5)
  /// evaluated with the modified Lentz method, using the symmetry
  /// I_x(a, b) = 1 - I_{1-x}(b, a) where the fraction converges slowly.
  static func cdf(_ x: Double, alpha a: Double, beta b: Double) -> Double {
    if x <= 0 { return 0 }
    if x >= 1 { return 1 }
    let logFront =
      lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x)
    let front = exp(logFront)
    if x < (a + 1) / (a + b + 2) {
      return front * continuedFraction(x, a, b) / a
    }
    return 1 - front * continuedFraction(1 - x, b, a) / b
  }

  private static func continuedFraction(_ x: Double, _ a: Double, _ b: Double) -> Double {
    let tiny = 1e-300
    let epsilon = 1e-16
    let qab = a + b
    let qap = a + 1
    let qam = a - 1
    var c = 1.0
    var d = 1 - qab * x / qap
    if abs(d) < tiny { d = tiny }
    d = 1 / d
    var h = d
    for m in 1...10_000 {
      let m = Double(m)
      let m2 = 2 * m
      var aa = m * (b - m) * x / ((qam + m2) * (a + m2))
      d = 1 + aa * d
      if abs(d) < tiny { d = tiny }
      c = 1 + aa / c
      if abs(c) < tiny { c = tiny }
      d = 1 / d
      h *= d * c
      aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
      d = 1 + aa * d
      if abs(d) < tiny { d = tiny }
      c = 1 + aa / c
      if abs(c) < tiny { c = tiny }
      d = 1 / d
      let delta = d * c
      h *= delta
      if abs(delta - 1) < epsilon { break }
    }
    return h
  }

  /// The x in [0, 1] with I_x(a, b) = p, by bisection: the CDF is monotone, so
  /// bisection cannot fail where Newton steps can overshoot near 0 and 1 for
  /// small shape parameters. Halves until the bracket is narrower than 1e-15
  /// relative to its upper end (so small quantiles keep their relative
  /// accuracy), at most 1,100 halvings (the range of Double).
  static func quantile(_ p: Double, alpha a: Double, beta b: Double) -> Double {
    var low = 0.0
    var high = 1.0
    var halvings = 0
    while high - low > 1e-15 * high, halvings < 1_100 {
      halvings += 1
      let middle = 0.5 * (low + high)
      if middle <= low || middle >= high { break }
      if cdf(middle, alpha: a, beta: b) < p {
        low = middle
      } else {
        high = middle
      }
    }
    return 0.5 * (low + high)
  }
}
