import Foundation

/// Upper bounds of each cause's cumulative hazard within one step, so that the event loop can
/// skip the logarithm (and the event-time inversion) of draws that cannot give an event.
///
/// A cause whose cumulative hazard over the step is H has an event in the step exactly when
/// its unit exponential draw E = -ln u is below H. Since -ln u >= 1 - u for u in (0, 1], a draw
/// with 1 - u > B, where B >= H, cannot give an event: its time would be at least the step. All
/// draws but a share of about B are skipped (over 90 % wherever yearly hazards stay below
/// 0.1), and those need neither `log` nor the `exp` and `log1p` of the Gompertz inversion
/// (skipping them took the 100,000-person comparison model from 0.49 to 0.31 s). Draws that
/// pass the check are computed exactly as before, so results are bit-identical
/// (`HazardCeilingTests`).
///
/// B is the largest rate the cause can have at the ages the step reaches, times the step and
/// the person's multipliers, times 1 + 1e-9 (which covers the rounding of both computations).
/// The rates are tabulated by whole age k as the largest rate over [k, k + 2): a step of at
/// most one year starting at age a lies within [floor(a), floor(a) + 2). Steps longer than a
/// year and ages outside the table get no bound (every draw is computed).
struct HazardCeilings: Sendable {
  /// Whole ages k = 0 ... maximumAge.
  static let ages = BackgroundMortality.maximumAge + 1
  /// Relative margin on every bound.
  static let margin = 1 + 1e-9

  /// Step length, years, times `margin`.
  let scaledStepYears: Double
  /// Steps of at most a year: the whole-age bounds cover them.
  let coversSteps: Bool
  /// Background rate bound by [sex * ages + k] (before the smoking multiplier).
  let background: [Double]
  /// Onset rate bound by [(condition * 2 + sex) * ages + k] (before relative risks).
  let onset: [Double]

  init(parameters: ModelParameters) {
    let ages = Self.ages
    // Without skipping: an infinite step makes every bound infinite (or NaN), so no draw is
    // ever skipped.
    let skips = parameters.skipsDrawsWithoutEvents
    scaledStepYears = skips ? parameters.stepYears * Self.margin : .infinity
    coversSteps = skips && parameters.stepYears > 0 && parameters.stepYears <= 1
    let mortality = parameters.background
    var background = [Double](repeating: .infinity, count: 2 * ages)
    for sex in 0..<2 {
      for k in 0..<ages {
        let bound: Double
        if let gompertz = mortality.gompertz {
          bound = Self.gompertzCeiling(a: gompertz.a, b: gompertz.b, wholeAge: k)
        } else {
          bound = max(
            mortality.hazard(sex: UInt8(sex), ageYears: Double(k)),
            mortality.hazard(sex: UInt8(sex), ageYears: Double(k + 1)))
        }
        background[sex * ages + k] = bound
      }
    }
    self.background = background
    var onset = [Double](repeating: .infinity, count: parameters.conditions.count * 2 * ages)
    for (index, condition) in parameters.conditions.enumerated() {
      for sex in 0..<2 {
        for k in 0..<ages {
          let bound: Double
          switch condition.incidence {
          case .gompertz(let a, let b) where a.count == 2 && b.count == 2:
            bound = Self.gompertzCeiling(a: a[sex], b: b[sex], wholeAge: k)
          case .gompertz:
            bound = .infinity
          case .table(_, let rates):
            // The table's largest rate (a bound at every age).
            bound = rates.indices.contains(sex) ? (rates[sex].max() ?? 0) : .infinity
          }
          onset[(index * 2 + sex) * ages + k] = bound
        }
      }
    }
    self.onset = onset
  }

  /// The largest Gompertz rate a e^(b x) over ages x in [k, k + 2] (at one end: rising for
  /// b >= 0, falling for b < 0).
  static func gompertzCeiling(a: Double, b: Double, wholeAge k: Int) -> Double {
    max(a * exp(b * Double(k)), a * exp(b * Double(k + 2)))
  }

  /// The whole age k whose bounds cover a step from `ageYears`, or nil (no bound).
  @inline(__always)
  func wholeAge(_ ageYears: Double) -> Int? {
    guard coversSteps, ageYears >= 0, ageYears < Double(Self.ages) else { return nil }
    return Int(ageYears)
  }

  /// True when a draw `u` certainly gives no event of a cause whose rate within the step is
  /// at most `rate` (per year; NaN never skips).
  @inline(__always)
  func certainlyNoEvent(_ u: Double, rate: Double) -> Bool {
    1 - u > rate * scaledStepYears
  }

  /// Background rate bound (with the person's smoking multiplier).
  @inline(__always)
  func backgroundRate(sex: UInt8, wholeAge k: Int, multiplier: Double) -> Double {
    background[Int(sex) * Self.ages + k] * multiplier
  }

  /// Onset rate bound of condition `condition` (with the person's relative risk).
  @inline(__always)
  func onsetRate(condition: Int, sex: UInt8, wholeAge k: Int, relativeRisk: Double) -> Double {
    onset[(condition * 2 + Int(sex)) * Self.ages + k] * relativeRisk
  }
}
