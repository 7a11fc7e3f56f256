import Foundation

/// The Framingham general cardiovascular disease equation: ten-year risk of a first
/// CVD event (coronary heart disease, stroke, peripheral artery disease, heart failure).
///
/// Source: D'Agostino RB Sr et al. General cardiovascular risk profile for use in
/// primary care: the Framingham Heart Study. Circulation 2008;117:743-753, Table 2
/// (copied in the docs/science.md section 1).
///
/// Model: `risk10 = 1 - S0(10) ^ exp(sum(beta * x) - mean)` with natural logs of age
/// (years), total and HDL cholesterol (mg/dL) and systolic blood pressure (mmHg,
/// separate coefficients when treated), per sex.
///
/// Valid range: age 30-74 years (the ages at which participants entered follow-up).
/// The paper gives no other limits; lipids and SBP must be positive and finite.
///
/// Accuracy: double precision; matches an independent evaluation to ~1e-14 relative.
public struct Framingham2008: RiskEquation {
  /// Coefficients of one sex (D'Agostino 2008 Table 2).
  public struct Coefficients: Sendable, Equatable {
    public var lnAge: Double
    public var lnTotalCholesterol: Double
    public var lnHDL: Double
    public var lnUntreatedSBP: Double
    public var lnTreatedSBP: Double
    public var smoker: Double
    public var diabetes: Double
    /// Mean of sum(beta * x) in the derivation sample.
    public var meanLinearPredictor: Double
    /// Ten-year baseline survival S0(10).
    public var baselineSurvival10: Double
  }

  /// Women (Table 2).
  public static let female = Coefficients(
    lnAge: 2.32888, lnTotalCholesterol: 1.20904, lnHDL: -0.70833, lnUntreatedSBP: 2.76157,
    lnTreatedSBP: 2.82263, smoker: 0.52873, diabetes: 0.69154, meanLinearPredictor: 26.1931,
    baselineSurvival10: 0.95012)

  /// Men (Table 2).
  public static let male = Coefficients(
    lnAge: 3.06117, lnTotalCholesterol: 1.12370, lnHDL: -0.93263, lnUntreatedSBP: 1.93303,
    lnTreatedSBP: 1.99881, smoker: 0.65451, diabetes: 0.57367, meanLinearPredictor: 23.9802,
    baselineSurvival10: 0.88936)

  /// The coefficients of one sex.
  public static func coefficients(sex: Sex) -> Coefficients {
    switch sex {
    case .female: return female
    case .male: return male
    }
  }

  public init() {}

  public var kind: RiskEquationKind { .framingham2008 }

  public var validRanges: [ValidRange] {
    [
      ValidRange(
        .age, 30, 74, .years,
        source: "D'Agostino et al. 2008, participants aged 30-74 years at baseline")
    ]
  }

  /// sum(beta * x) over natural logs of age (years), TC and HDL (mg/dL) and SBP (mmHg),
  /// unchecked.
  public func linearPredictor(_ factors: RiskFactors) -> Double {
    Self.linearPredictor(factors, coefficients: Self.coefficients(sex: factors.sex))
  }

  /// sum(beta * x) for given coefficients.
  public static func linearPredictor(
    _ factors: RiskFactors, coefficients c: Coefficients
  ) -> Double {
    var sum = c.lnAge * log(factors.ageYears)
    sum += c.lnTotalCholesterol * log(factors.totalCholesterolMgDL)
    sum += c.lnHDL * log(factors.hdlCholesterolMgDL)
    let lnSBP = log(factors.sbpMmHg)
    sum += (factors.bpTreated ? c.lnTreatedSBP : c.lnUntreatedSBP) * lnSBP
    if factors.smoker { sum += c.smoker }
    if factors.diabetes { sum += c.diabetes }
    return sum
  }

  /// `1 - S0(10) ^ exp(linearPredictor - mean)` for `sex`, unchecked.
  public func tenYearRisk(linearPredictor: Double, sex: Sex) -> Double {
    let c = Self.coefficients(sex: sex)
    return coxTenYearRisk(
      linearPredictor: linearPredictor, meanLinearPredictor: c.meanLinearPredictor,
      baselineSurvival10: c.baselineSurvival10)
  }
}
