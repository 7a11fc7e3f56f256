import Foundation

/// SCORE2: ten-year risk of fatal and nonfatal cardiovascular disease in Europe,
/// recalibrated to one of four risk regions.
///
/// Source: SCORE2 working group and ESC Cardiovascular risk collaboration. SCORE2 risk
/// prediction algorithms. Eur Heart J 2021;42:2439-2454, Supplementary Methods
/// Tables 2-4 (copied in the docs/science.md section 1).
///
/// Model, per sex, on centred inputs
/// `cage = (age - 60) / 5`, `csbp = (SBP - 120) / 20`, `ctc = TC - 6`,
/// `chdl = (HDL - 1.3) / 0.5` (lipids in mmol/L):
/// `lp = sum(beta * x)` with age interactions, uncalibrated risk `1 - S0(10) ^ exp(lp)`,
/// calibrated risk `1 - exp(-exp(s1 + s2 * ln(-ln(1 - uncalibrated))))` with the
/// region's scales.
///
/// Valid range: age 40-69 years (SCORE2's target population; SCORE2-OP covers 70+,
/// not implemented). The paper publishes no hard limits for SBP or lipids (the ESC
/// charts show SBP 100-179 mmHg and non-HDL 3.0-6.9 mmol/L as display grids, not
/// model limits); they must be positive and finite. SCORE2 is not intended for people
/// with diabetes: the diabetes term exists only for recalibration (paper, Methods).
///
/// Accuracy: double precision; reproduces the published worked example to all printed
/// digits.
public struct SCORE2: RiskEquation {
  /// The ESC risk regions, grouped by national cardiovascular mortality rates.
  public enum Region: String, Sendable, CaseIterable, CustomStringConvertible {
    case low
    case moderate
    case high
    case veryHigh = "very-high"

    public var description: String { rawValue }
  }

  /// Coefficients of one sex (Supplementary Methods Table 2).
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
    /// Ten-year baseline survival S0(10).
    public var baselineSurvival10: Double
  }

  /// Region recalibration scales s1, s2 (Supplementary Methods Table 4).
  public struct Calibration: Sendable, Equatable {
    public var scale1: Double
    public var scale2: Double
  }

  /// Men (Table 2).
  public static let male = Coefficients(
    age: 0.3742, smoking: 0.6012, sbp: 0.2777, diabetes: 0.6457, totalCholesterol: 0.1458,
    hdl: -0.2698, ageTimesSmoking: -0.0755, ageTimesSBP: -0.0255,
    ageTimesTotalCholesterol: -0.0281, ageTimesHDL: 0.0426, ageTimesDiabetes: -0.0983,
    baselineSurvival10: 0.9605)

  /// Women (Table 2).
  public static let female = Coefficients(
    age: 0.4648, smoking: 0.7744, sbp: 0.3131, diabetes: 0.8096, totalCholesterol: 0.1002,
    hdl: -0.2606, ageTimesSmoking: -0.1088, ageTimesSBP: -0.0277,
    ageTimesTotalCholesterol: -0.0226, ageTimesHDL: 0.0613, ageTimesDiabetes: -0.1272,
    baselineSurvival10: 0.9776)

  /// The coefficients of one sex.
  public static func coefficients(sex: Sex) -> Coefficients {
    switch sex {
    case .female: return female
    case .male: return male
    }
  }

  /// Recalibration scales for a region and sex (Table 4).
  public static func calibration(region: Region, sex: Sex) -> Calibration {
    switch (region, sex) {
    case (.low, .male): return Calibration(scale1: -0.5699, scale2: 0.7476)
    case (.low, .female): return Calibration(scale1: -0.7380, scale2: 0.7019)
    case (.moderate, .male): return Calibration(scale1: -0.1565, scale2: 0.8009)
    case (.moderate, .female): return Calibration(scale1: -0.3143, scale2: 0.7701)
    case (.high, .male): return Calibration(scale1: 0.3207, scale2: 0.9360)
    case (.high, .female): return Calibration(scale1: 0.5710, scale2: 0.9369)
    case (.veryHigh, .male): return Calibration(scale1: 0.5836, scale2: 0.8294)
    case (.veryHigh, .female): return Calibration(scale1: 0.9412, scale2: 0.8329)
    }
  }

  /// The risk region whose recalibration this instance applies. Germany is in the
  /// moderate region (docs/science.md: check).
  public let region: Region

  public init(region: Region = .moderate) {
    self.region = region
  }

  public var kind: RiskEquationKind { .score2 }

  public var validRanges: [ValidRange] {
    [
      ValidRange(
        .age, 40, 69, .years,
        source: "SCORE2, Eur Heart J 2021; SCORE2-OP covers ages 70 and over")
    ]
  }

  /// sum(beta * x) on the centred inputs, unchecked. Does not depend on the region.
  public func linearPredictor(_ factors: RiskFactors) -> Double {
    Self.linearPredictor(factors, coefficients: Self.coefficients(sex: factors.sex))
  }

  /// sum(beta * x) for given coefficients.
  public static func linearPredictor(
    _ factors: RiskFactors, coefficients c: Coefficients
  ) -> Double {
    let centredAge = (factors.ageYears - 60) / 5
    let centredSBP = (factors.sbpMmHg - 120) / 20
    let centredTotalCholesterol = factors.totalCholesterolMmolL - 6
    let centredHDL = (factors.hdlCholesterolMmolL - 1.3) / 0.5
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

  /// Ten-year risk before recalibration, `1 - S0(10) ^ exp(lp)`, unchecked.
  public func uncalibratedTenYearRisk(linearPredictor: Double, sex: Sex) -> Double {
    coxTenYearRisk(
      linearPredictor: linearPredictor, meanLinearPredictor: 0,
      baselineSurvival10: Self.coefficients(sex: sex).baselineSurvival10)
  }

  /// Region-recalibrated ten-year risk from an uncalibrated one:
  /// `1 - exp(-exp(s1 + s2 * ln(-ln(1 - uncalibrated))))`.
  public func calibratedTenYearRisk(uncalibrated: Double, sex: Sex) -> Double {
    recalibratedTenYearRisk(
      uncalibrated: uncalibrated, scales: Self.calibration(region: region, sex: sex))
  }

  /// Region-recalibrated ten-year risk from a linear predictor, unchecked.
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
