import Foundation

/// SCORE2 below age 70 and SCORE2-OP from 70, in one region: the ten-year risk of fatal and
/// nonfatal cardiovascular disease as the ESC 2021 prevention guideline estimates it for
/// apparently healthy people aged 40-89 (Visseren et al. 2021 ESC Guidelines on
/// cardiovascular disease prevention in clinical practice, Eur Heart J 2021;42:3227-3337:
/// SCORE2 for 40-69, SCORE2-OP for 70 and over).
///
/// The switch is at exact age 70: a person of 69.99 years is evaluated with SCORE2, one of
/// 70 with SCORE2-OP. The two models were derived separately, so the risk may jump at 70.
///
/// Linear predictor. The two models' sums sum(beta * x) are on different scales (different
/// centring, baseline survival, mean and recalibration), so neither can stand for the pair,
/// and `tenYearRisk(linearPredictor:sex:)`, which is not told the age, could not tell which
/// model a sum belongs to. `linearPredictor(_:)` is therefore the complementary log-log of
/// the region-calibrated ten-year risk, `ln(-ln(1 - risk10))`, of the model covering the
/// person's age. For either model this is
/// `s1 + s2 * (lp - mean + ln(-ln S0(10)))` (mean 0 for SCORE2): linear in that model's
/// sum(beta * x), and a proportional-hazards linear predictor with baseline survival 1/e.
/// `tenYearRisk(linearPredictor:sex:)` inverts it, `1 - exp(-exp(q))`, so the pair gives
/// the same risk as `estimateUnchecked(_:)` to a few ulps whatever the age.
///
/// `estimateUnchecked(_:)` (and `evaluate(_:)`) return the estimate of the model covering
/// the age unchanged: its `linearPredictor` is that model's sum(beta * x) as the papers print
/// it (not `linearPredictor(_:)` of this type), with its uncalibrated risk.
///
/// Valid range: age 40-89 years, the union of SCORE2's 40-69 and SCORE2-OP's 70-89.
///
/// Accuracy: that of SCORE2 and SCORE2-OP; `estimateUnchecked(_:)` is bit-identical to
/// theirs (tested on both sides of 70).
public struct SCORE2PlusOP: RiskEquation {
  /// The age (years, exact) from which SCORE2-OP is used.
  public static let olderPersonsAgeYears = 70.0

  /// The risk region whose recalibrations (of both models) this instance applies.
  public let region: SCORE2.Region

  public init(region: SCORE2.Region = .moderate) {
    self.region = region
  }

  /// The SCORE2 model for persons younger than 70.
  public var score2: SCORE2 { SCORE2(region: region) }

  /// The SCORE2-OP model for persons aged 70 and over.
  public var score2OP: SCORE2OP { SCORE2OP(region: region) }

  public var kind: RiskEquationKind { .score2PlusOP }

  public var validRanges: [ValidRange] {
    [
      ValidRange(
        .age, 40, 89, .years,
        source: "ESC 2021 guideline: SCORE2 for ages 40-69, SCORE2-OP for 70-89")
    ]
  }

  /// `ln(-ln(1 - risk10))` of the region-calibrated risk by the model covering the age
  /// (see the type's documentation), unchecked. Not a sum(beta * x) of either paper.
  public func linearPredictor(_ factors: RiskFactors) -> Double {
    let sex = factors.sex
    if factors.ageYears < Self.olderPersonsAgeYears {
      let c = SCORE2.coefficients(sex: sex)
      let scales = SCORE2.calibration(region: region, sex: sex)
      let sum = SCORE2.linearPredictor(factors, coefficients: c)
      return scales.scale1 + scales.scale2 * (sum + log(-log(c.baselineSurvival10)))
    }
    let c = SCORE2OP.coefficients(sex: sex)
    let scales = SCORE2OP.calibration(region: region, sex: sex)
    let sum = SCORE2OP.linearPredictor(factors, coefficients: c)
    return scales.scale1
      + scales.scale2 * (sum - c.meanLinearPredictor + log(-log(c.baselineSurvival10)))
  }

  /// Ten-year risk `1 - exp(-exp(q))` from `q = linearPredictor(_:)`, unchecked.
  public func tenYearRisk(linearPredictor: Double, sex: Sex) -> Double {
    -expm1(-exp(linearPredictor))
  }

  /// The estimate of SCORE2 (age below 70) or SCORE2-OP (70 and over), unchecked.
  public func estimateUnchecked(_ factors: RiskFactors) -> RiskEstimate {
    if factors.ageYears < Self.olderPersonsAgeYears {
      return score2.estimateUnchecked(factors)
    }
    return score2OP.estimateUnchecked(factors)
  }
}
