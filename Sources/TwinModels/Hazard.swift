import Foundation

// Conversions between ten-year risks and annual hazards for a yearly simulation step.
//
// The risk equations give the probability of a first event within ten years. A
// yearly step needs a rate. Assuming the hazard is constant over the ten years
// (docs/science.md section 1), risk10 = 1 - exp(-10 h), hence
// h = -ln(1 - risk10) / 10. The assumption ignores that risk rises with age within
// the ten years; re-evaluating the equation every simulated year with the person's
// current age and risk factors corrects for that step by step.

/// Constant annual hazard (per year) equivalent to a ten-year risk `risk`:
/// `h = -ln(1 - risk) / 10`, assuming the hazard is constant over the ten years.
///
/// Computed with `log1p` so small risks keep full relative precision.
/// `risk` must be in [0, 1]; risk 1 gives +infinity, values outside [0, 1] give NaN.
@inlinable
public func annualHazard(fromTenYearRisk risk: Double) -> Double {
  -log1p(-risk) / 10
}

/// Ten-year risk equivalent to a constant annual hazard `hazardPerYear`:
/// `risk10 = 1 - exp(-10 h)`, the inverse of `annualHazard(fromTenYearRisk:)`.
@inlinable
public func tenYearRisk(fromAnnualHazard hazardPerYear: Double) -> Double {
  -expm1(-10 * hazardPerYear)
}

/// Probability of at least one event within `years` years under a constant hazard
/// `hazardPerYear`: `1 - exp(-h t)`. With `years = 1` this is the per-step event
/// probability of a yearly simulation.
@inlinable
public func eventProbability(annualHazard hazardPerYear: Double, years: Double) -> Double {
  -expm1(-hazardPerYear * years)
}
