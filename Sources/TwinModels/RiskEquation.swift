import Foundation

/// The ten-year cardiovascular risk equations twin-sim implements.
public enum RiskEquationKind: String, Sendable, CaseIterable, CustomStringConvertible {
  /// ACC/AHA Pooled Cohort Equations, Goff et al. 2013 (Circulation 2014;129:S49-S73).
  case pooledCohort = "pce"
  /// Framingham general cardiovascular disease, D'Agostino et al. 2008
  /// (Circulation 117:743-753).
  case framingham2008 = "framingham"
  /// SCORE2, SCORE2 working group and ESC Cardiovascular risk collaboration 2021
  /// (Eur Heart J 42:2439-2454).
  case score2 = "score2"
  /// SCORE2-OP, SCORE2-OP working group and ESC Cardiovascular risk collaboration 2021
  /// (Eur Heart J 42:2455-2467): ages 70 and over.
  case score2OP = "score2-op"
  /// SCORE2 below age 70 and SCORE2-OP from 70, as the ESC 2021 prevention guideline
  /// (Visseren et al., Eur Heart J 2021;42:3227-3337) uses them.
  case score2PlusOP = "score2+op"

  public var description: String { rawValue }

  /// Name for messages and reports.
  public var displayName: String {
    switch self {
    case .pooledCohort: return "Pooled Cohort Equations (Goff et al. 2013)"
    case .framingham2008: return "Framingham general CVD equation (D'Agostino et al. 2008)"
    case .score2: return "SCORE2 (Eur Heart J 2021)"
    case .score2OP: return "SCORE2-OP (Eur Heart J 2021)"
    case .score2PlusOP: return "SCORE2 below 70, SCORE2-OP from 70 (ESC 2021 guideline)"
    }
  }

  /// The outcome the equation's ten-year risk refers to.
  public var outcome: String {
    switch self {
    case .pooledCohort:
      return "first hard ASCVD event (coronary death, nonfatal myocardial infarction,"
        + " fatal or nonfatal stroke)"
    case .framingham2008:
      return "first cardiovascular event (coronary heart disease, stroke, peripheral artery"
        + " disease, heart failure)"
    case .score2, .score2OP, .score2PlusOP:
      return "fatal or nonfatal cardiovascular event (cardiovascular death, nonfatal"
        + " myocardial infarction, nonfatal stroke)"
    }
  }
}

/// The result of evaluating a ten-year risk equation for one person.
public struct RiskEstimate: Sendable, Equatable {
  /// The equation's linear predictor, sum(beta * x), without the mean subtracted
  /// (for the Pooled Cohort Equations this is the "Individual Sum" of Goff Table A).
  public let linearPredictor: Double
  /// Ten-year risk as a fraction in [0, 1] (region-calibrated for SCORE2 and SCORE2-OP).
  public let risk10: Double
  /// SCORE2 and SCORE2-OP only: ten-year risk before region recalibration. `nil` for other
  /// equations.
  public let risk10Uncalibrated: Double?

  public init(linearPredictor: Double, risk10: Double, risk10Uncalibrated: Double? = nil) {
    self.linearPredictor = linearPredictor
    self.risk10 = risk10
    self.risk10Uncalibrated = risk10Uncalibrated
  }

  /// Constant annual hazard equivalent to `risk10`, per year (see
  /// `annualHazard(fromTenYearRisk:)` for the assumption).
  public var annualHazard: Double { TwinModels.annualHazard(fromTenYearRisk: risk10) }
}

/// A ten-year cardiovascular risk equation.
///
/// Two ways to evaluate:
/// - `evaluate(_:)` checks every input against `validRanges` and throws a
///   `RiskInputError` naming the valid range (for the CLI and for input checks).
/// - `linearPredictor(_:)` and `tenYearRisk(linearPredictor:sex:)` never check and
///   never throw: the engine's fast path, where the engine decides what happens to
///   persons outside a range. Outside the ranges the formulas still return numbers,
///   but they are extrapolations the source does not support; non-positive lipids or
///   blood pressure give NaN for equations that take logarithms.
public protocol RiskEquation: Sendable {
  /// Which equation this is.
  var kind: RiskEquationKind { get }

  /// Ranges over which the equation is valid, one per constrained variable.
  /// Variables not listed are only required to be positive and finite.
  var validRanges: [ValidRange] { get }

  /// The linear predictor sum(beta * x) for `factors`, unchecked.
  func linearPredictor(_ factors: RiskFactors) -> Double

  /// Ten-year risk (fraction) from a linear predictor of this equation, unchecked.
  func tenYearRisk(linearPredictor: Double, sex: Sex) -> Double

  /// Linear predictor and risks for `factors`, unchecked. The default combines the two
  /// requirements above; SCORE2 and SCORE2-OP add their uncalibrated risk, and
  /// `SCORE2PlusOP` returns the estimate of the model that covers the person's age.
  func estimateUnchecked(_ factors: RiskFactors) -> RiskEstimate
}

extension RiskEquation {
  public func estimateUnchecked(_ factors: RiskFactors) -> RiskEstimate {
    let predictor = linearPredictor(factors)
    return RiskEstimate(
      linearPredictor: predictor, risk10: tenYearRisk(linearPredictor: predictor, sex: factors.sex))
  }

  /// Throws the first problem with `factors`: a non-positive or non-finite measurement,
  /// a value outside the physiologically plausible range (`RiskVariable.plausibleRange`),
  /// or a value outside `validRanges` (checked in the order listed there).
  public func validate(_ factors: RiskFactors) throws(RiskInputError) {
    for variable in RiskVariable.allCases {
      let value = factors.value(of: variable)
      guard value.isFinite && value > 0 else {
        throw .notPositiveFinite(variable: variable, value: value, equation: kind)
      }
      guard variable.plausibleRange.containsInternalValue(value) else {
        throw .outOfRange(
          variable: variable, value: value, validRange: variable.plausibleRange, equation: kind)
      }
    }
    for range in validRanges {
      let value = factors.value(of: range.variable)
      guard range.containsInternalValue(value) else {
        throw .outOfRange(variable: range.variable, value: value, validRange: range, equation: kind)
      }
    }
  }

  /// The exact ages the equation covers: the published bounds are completed
  /// years, so "40-79 years" covers exact ages [40, 80).
  public var validAgeInterval: Range<Double> {
    guard let age = validRanges.first(where: { $0.variable == .age }) else { return 0..<200 }
    return age.lowerBound..<(age.upperBound + 1)
  }

  /// Checks `factors` (see `validate(_:)`), then evaluates the equation.
  public func evaluate(_ factors: RiskFactors) throws(RiskInputError) -> RiskEstimate {
    try validate(factors)
    return estimateUnchecked(factors)
  }
}

extension RiskFactors {
  /// The value of a continuous input in its internal unit (years, mmol/L, mmHg).
  public func value(of variable: RiskVariable) -> Double {
    switch variable {
    case .age: return ageYears
    case .totalCholesterol: return totalCholesterolMmolL
    case .hdlCholesterol: return hdlCholesterolMmolL
    case .systolicBloodPressure: return sbpMmHg
    }
  }
}

/// Ten-year risk of a Cox proportional-hazards model with baseline survival `S0(10)`:
/// `1 - S0(10) ^ exp(linearPredictor - meanLinearPredictor)`.
///
/// Computed as `-expm1(exp(lp - mean) * ln S0)` so that small risks keep full relative
/// precision (no cancellation in `1 - x` for x near 1).
@inlinable
func coxTenYearRisk(
  linearPredictor: Double, meanLinearPredictor: Double, baselineSurvival10: Double
) -> Double {
  -expm1(exp(linearPredictor - meanLinearPredictor) * log(baselineSurvival10))
}

/// Region recalibration of SCORE2 and SCORE2-OP:
/// `1 - exp(-exp(s1 + s2 * ln(-ln(1 - uncalibrated))))`.
///
/// `ln(1 - uncalibrated)` is taken with `log1p` and the final `1 - exp(-x)` with `expm1`, so
/// small risks keep full relative precision.
@inlinable
func recalibratedTenYearRisk(uncalibrated: Double, scales: SCORE2.Calibration) -> Double {
  let complementaryLogLog = log(-log1p(-uncalibrated))
  return -expm1(-exp(scales.scale1 + scales.scale2 * complementaryLogLog))
}
