import Foundation

/// SCORE2-OP: ten-year risk of fatal and nonfatal cardiovascular disease in older persons
/// (70 and over), adjusted for the competing risk of non-cardiovascular death and recalibrated
/// to one of the four ESC risk regions.
///
/// Source: SCORE2-OP working group and ESC Cardiovascular risk collaboration. SCORE2-OP risk
/// prediction algorithms: estimating incident cardiovascular event risk in older persons in
/// four geographical risk regions. Eur Heart J 2021;42:2455-2467 (doi:10.1093/eurheartj/ehab312),
/// and its Supplementary Methods.
///
/// Model, per sex, on centred inputs (per year, per mmHg, per mmol/L; no scaling, unlike
/// SCORE2) `cage = age - 73`, `csbp = SBP - 150`, `ctc = TC - 6`, `chdl = HDL - 1.4`:
/// `lp = sum(beta * x)` with interactions of `cage` with every other term. The sex-specific
/// models are competing-risk adjusted (paper, Abstract and Methods): subdistribution hazard
/// (Fine-Gray) models with non-cardiovascular death as the competing event, so the ten-year
/// cumulative incidence of cardiovascular disease has the proportional-hazards form
/// `uncalibrated = 1 - S0(10) ^ exp(lp - mean)`, where `S0(10)` is one minus the baseline
/// cumulative incidence at ten years and `mean` the derivation cohort's mean linear predictor.
/// Region recalibration is SCORE2's: `1 - exp(-exp(s1 + s2 * ln(-ln(1 - uncalibrated))))`.
///
/// Where the numbers come from. The Supplementary Methods could not be read here directly;
/// every number below is confirmed by at least two independent sources:
/// - Coefficients, `S0(10)` (men 0.7576, women 0.8082) and the mean linear predictor (men
///   0.0929, women 0.2290): the Supplementary Methods' formulas and worked example
///   (Supplementary Methods Table 3), transcribed identically to four decimals by the R
///   package RiskScorescvd (CRAN; `R/11_SCORE2_func.R`) and the Python package cvd-risk
///   (PyPI; `SCORE2OP`). With them the women's worked example gives the uncalibrated risk that
///   Table 3 prints, 24.42 % (quoted in RiskScorescvd issue 2), and RiskScorescvd's ten
///   published SCORE2-OP test values, which its authors checked against the ESC's HeartScore
///   calculator, are reproduced to their 0.1 % rounding (both tested). One misprint is
///   reported (djibe/recommandations-medicales issue 24): Table 3 prints -0.0009, the women's
///   value, for the men's age x total cholesterol term, where the article gives 0.007; the
///   men's 0.0073 is used, as in every implementation.
/// - Region scales: Supplementary Methods Table 1. Table 3's worked example uses other
///   low-region scales (men -0.61, 0.89; women -0.85, 0.82). Table 1's are those of the
///   authors' code (unrounded low-region values men -0.343484, 1.193038, women -0.516054,
///   1.007238, which the authors gave in issue 24 above) and of HeartScore, whose 15 % for
///   Table 3's 75-year-old woman matches Table 1's 15.2 %, not Table 3's 14.0 %
///   (RiskScorescvd issue 2). The published two-decimal values are used here; the unrounded
///   low-region ones would move risks by at most 0.14 percentage points (ages 70-89, SBP
///   100-200 mmHg, TC 3-9 mmol/L, HDL 0.6-2.6 mmol/L).
///
/// Valid range: age 70-89 years. The paper derives SCORE2-OP for "older adults (aged 70
/// years or older)" (Abstract) from a cohort aged 65 and over and names no upper age, but it
/// draws its risk charts, like the ESC 2021 guideline, for ages 70-89 only; older ages are an
/// extrapolation nothing in the paper supports, so 89 is the upper bound (as in RiskScorescvd,
/// which refuses 95, and the published online calculators). No hard limits for SBP or lipids
/// are published; they must be positive and finite. Unlike SCORE2, diabetes is a predictor
/// proper.
///
/// Accuracy: double precision. Linear predictors and risks agree with an independent numpy
/// evaluation (`scripts/reference/score2op_reference.py`) to 1e-12 relative on a grid of 640
/// persons in all four regions; the worked example and RiskScorescvd's published test values
/// are reproduced to all printed digits.
public struct SCORE2OP: RiskEquation {
  /// The ESC risk regions, the same as SCORE2's.
  public typealias Region = SCORE2.Region

  /// Region recalibration scales s1, s2 (the same form as SCORE2's).
  public typealias Calibration = SCORE2.Calibration

  /// Coefficients of one sex (per year of age, per mmHg, per mmol/L).
  public struct Coefficients: Sendable, Equatable {
    public var age: Double
    public var smoking: Double
    public var sbp: Double
    public var diabetes: Double
    public var totalCholesterol: Double
    public var hdl: Double
    public var ageTimesSmoking: Double
    public var ageTimesSBP: Double
    public var ageTimesTotalCholesterol: Double
    public var ageTimesHDL: Double
    public var ageTimesDiabetes: Double
    /// Ten-year baseline survival S0(10): one minus the baseline cumulative incidence.
    public var baselineSurvival10: Double
    /// The derivation cohort's mean linear predictor, subtracted before exponentiating.
    public var meanLinearPredictor: Double
  }

  /// Men.
  public static let male = Coefficients(
    age: 0.0634, smoking: 0.3524, sbp: 0.0094, diabetes: 0.4245, totalCholesterol: 0.0850,
    hdl: -0.3564, ageTimesSmoking: -0.0247, ageTimesSBP: -0.0005,
    ageTimesTotalCholesterol: 0.0073, ageTimesHDL: 0.0091, ageTimesDiabetes: -0.0174,
    baselineSurvival10: 0.7576, meanLinearPredictor: 0.0929)

  /// Women.
  public static let female = Coefficients(
    age: 0.0789, smoking: 0.4921, sbp: 0.0102, diabetes: 0.6010, totalCholesterol: 0.0605,
    hdl: -0.3040, ageTimesSmoking: -0.0255, ageTimesSBP: -0.0004,
    ageTimesTotalCholesterol: -0.0009, ageTimesHDL: 0.0154, ageTimesDiabetes: -0.0107,
    baselineSurvival10: 0.8082, meanLinearPredictor: 0.2290)

  /// The coefficients of one sex.
  public static func coefficients(sex: Sex) -> Coefficients {
    switch sex {
    case .female: return female
    case .male: return male
    }
  }

  /// Recalibration scales for a region and sex (Supplementary Methods Table 1).
  public static func calibration(region: Region, sex: Sex) -> Calibration {
    switch (region, sex) {
    case (.low, .male): return Calibration(scale1: -0.34, scale2: 1.19)
    case (.low, .female): return Calibration(scale1: -0.52, scale2: 1.01)
    case (.moderate, .male): return Calibration(scale1: 0.01, scale2: 1.25)
    case (.moderate, .female): return Calibration(scale1: -0.1, scale2: 1.1)
    case (.high, .male): return Calibration(scale1: 0.08, scale2: 1.15)
    case (.high, .female): return Calibration(scale1: 0.38, scale2: 1.09)
    case (.veryHigh, .male): return Calibration(scale1: 0.05, scale2: 0.7)
    case (.veryHigh, .female): return Calibration(scale1: 0.38, scale2: 0.69)
    }
  }

  /// The risk region whose recalibration this instance applies (Germany: moderate, as for
  /// SCORE2).
  public let region: Region

  public init(region: Region = .moderate) {
    self.region = region
  }

  public var kind: RiskEquationKind { .score2OP }

  public var validRanges: [ValidRange] {
    [
      ValidRange(
        .age, 70, 89, .years,
        source: "SCORE2-OP, Eur Heart J 2021: ages 70 and over, estimates shown to 89;"
          + " SCORE2 covers 40-69")
    ]
  }

  /// sum(beta * x) on the centred inputs, without the mean subtracted; unchecked. Does not
  /// depend on the region.
  public func linearPredictor(_ factors: RiskFactors) -> Double {
    Self.linearPredictor(factors, coefficients: Self.coefficients(sex: factors.sex))
  }

  /// sum(beta * x) for given coefficients, without the mean subtracted.
  public static func linearPredictor(
    _ factors: RiskFactors, coefficients c: Coefficients
  ) -> Double {
    let centredAge = factors.ageYears - 73
    let centredSBP = factors.sbpMmHg - 150
    let centredTotalCholesterol = factors.totalCholesterolMmolL - 6
    let centredHDL = factors.hdlCholesterolMmolL - 1.4
    var sum = c.age * centredAge
    sum += c.sbp * centredSBP + c.ageTimesSBP * centredAge * centredSBP
    sum += c.totalCholesterol * centredTotalCholesterol
    sum += c.ageTimesTotalCholesterol * centredAge * centredTotalCholesterol
    sum += c.hdl * centredHDL + c.ageTimesHDL * centredAge * centredHDL
    if factors.smoker {
      sum += c.smoking + c.ageTimesSmoking * centredAge
    }
    if factors.diabetes {
      sum += c.diabetes + c.ageTimesDiabetes * centredAge
    }
    return sum
  }

  /// Competing-risk-adjusted ten-year risk before recalibration,
  /// `1 - S0(10) ^ exp(lp - mean)`, unchecked.
  public func uncalibratedTenYearRisk(linearPredictor: Double, sex: Sex) -> Double {
    let c = Self.coefficients(sex: sex)
    return coxTenYearRisk(
      linearPredictor: linearPredictor, meanLinearPredictor: c.meanLinearPredictor,
      baselineSurvival10: c.baselineSurvival10)
  }

  /// Region-recalibrated ten-year risk from an uncalibrated one:
  /// `1 - exp(-exp(s1 + s2 * ln(-ln(1 - uncalibrated))))`.
  public func calibratedTenYearRisk(uncalibrated: Double, sex: Sex) -> Double {
    recalibratedTenYearRisk(
      uncalibrated: uncalibrated, scales: Self.calibration(region: region, sex: sex))
  }

  /// Region-recalibrated ten-year risk from a linear predictor (without the mean
  /// subtracted), unchecked.
  public func tenYearRisk(linearPredictor: Double, sex: Sex) -> Double {
    calibratedTenYearRisk(
      uncalibrated: uncalibratedTenYearRisk(linearPredictor: linearPredictor, sex: sex), sex: sex)
  }

  public func estimateUnchecked(_ factors: RiskFactors) -> RiskEstimate {
    let predictor = linearPredictor(factors)
    let uncalibrated = uncalibratedTenYearRisk(linearPredictor: predictor, sex: factors.sex)
    return RiskEstimate(
      linearPredictor: predictor,
      risk10: calibratedTenYearRisk(uncalibrated: uncalibrated, sex: factors.sex),
      risk10Uncalibrated: uncalibrated)
  }
}
