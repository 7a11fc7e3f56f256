import Foundation

/// The ACC/AHA Pooled Cohort Equations for the ten-year risk of a first hard ASCVD
/// event (coronary death, nonfatal myocardial infarction, fatal or nonfatal stroke).
///
/// Source: Goff DC Jr et al. 2013 ACC/AHA Guideline on the Assessment of Cardiovascular
/// Risk. Circulation 2014;129(25 Suppl 2):S49-S73, Table A (coefficients, group means,
/// baseline survival; copied in the docs/science.md section 1).
///
/// Model: `risk10 = 1 - S0(10) ^ exp(sum(beta * x) - mean)` with natural logs of age
/// (years), total and HDL cholesterol (mg/dL) and systolic blood pressure (mmHg),
/// separately for white and black women and men. The guideline uses the white
/// equations for people of other races.
///
/// Valid ranges (ACC/AHA risk estimator, as in the guideline's derivation cohorts):
/// age 40-79 years, total cholesterol 130-320 mg/dL, HDL 20-100 mg/dL, SBP 90-200 mmHg.
///
/// Accuracy: double precision throughout; the linear predictor matches an independent
/// evaluation to ~1e-14 relative. Table A's published example rounds each term to two
/// decimals, so it agrees only to that rounding (see the tests).
public struct PooledCohortEquations: RiskEquation {
  /// The race groups the equations were fitted for.
  public enum Race: String, Sendable, CaseIterable, CustomStringConvertible {
    /// White, and the guideline's recommendation for other races.
    case white
    /// African American.
    case black

    public var description: String { rawValue }
  }

  /// Coefficients of one race-sex group (Goff 2013 Table A). Terms absent from a
  /// group's equation are 0.
  public struct Coefficients: Sendable, Equatable {
    public var lnAge: Double
    public var lnAgeSquared: Double
    public var lnTotalCholesterol: Double
    public var lnAgeTimesLnTotalCholesterol: Double
    public var lnHDL: Double
    public var lnAgeTimesLnHDL: Double
    public var lnTreatedSBP: Double
    public var lnAgeTimesLnTreatedSBP: Double
    public var lnUntreatedSBP: Double
    public var lnAgeTimesLnUntreatedSBP: Double
    public var smoker: Double
    public var lnAgeTimesSmoker: Double
    public var diabetes: Double
    /// Group mean of sum(beta * x) ("Overall Mean" in Table A).
    public var meanLinearPredictor: Double
    /// Ten-year baseline survival S0(10).
    public var baselineSurvival10: Double
  }

  /// White women (Table A). The untreated-SBP coefficient is 1.957; a secondary
  /// source prints 1.857 (docs/science.md).
  public static let whiteFemale = Coefficients(
    lnAge: -29.799, lnAgeSquared: 4.884, lnTotalCholesterol: 13.540,
    lnAgeTimesLnTotalCholesterol: -3.114, lnHDL: -13.578, lnAgeTimesLnHDL: 3.149,
    lnTreatedSBP: 2.019, lnAgeTimesLnTreatedSBP: 0, lnUntreatedSBP: 1.957,
    lnAgeTimesLnUntreatedSBP: 0, smoker: 7.574, lnAgeTimesSmoker: -1.665, diabetes: 0.661,
    meanLinearPredictor: -29.18, baselineSurvival10: 0.9665)

  /// African American women (Table A).
  public static let blackFemale = Coefficients(
    lnAge: 17.114, lnAgeSquared: 0, lnTotalCholesterol: 0.940,
    lnAgeTimesLnTotalCholesterol: 0, lnHDL: -18.920, lnAgeTimesLnHDL: 4.475,
    lnTreatedSBP: 29.291, lnAgeTimesLnTreatedSBP: -6.432, lnUntreatedSBP: 27.820,
    lnAgeTimesLnUntreatedSBP: -6.087, smoker: 0.691, lnAgeTimesSmoker: 0, diabetes: 0.874,
    meanLinearPredictor: 86.61, baselineSurvival10: 0.9533)

  /// White men (Table A).
  public static let whiteMale = Coefficients(
    lnAge: 12.344, lnAgeSquared: 0, lnTotalCholesterol: 11.853,
    lnAgeTimesLnTotalCholesterol: -2.664, lnHDL: -7.990, lnAgeTimesLnHDL: 1.769,
    lnTreatedSBP: 1.797, lnAgeTimesLnTreatedSBP: 0, lnUntreatedSBP: 1.764,
    lnAgeTimesLnUntreatedSBP: 0, smoker: 7.837, lnAgeTimesSmoker: -1.795, diabetes: 0.658,
    meanLinearPredictor: 61.18, baselineSurvival10: 0.9144)

  /// African American men (Table A).
  public static let blackMale = Coefficients(
    lnAge: 2.469, lnAgeSquared: 0, lnTotalCholesterol: 0.302,
    lnAgeTimesLnTotalCholesterol: 0, lnHDL: -0.307, lnAgeTimesLnHDL: 0,
    lnTreatedSBP: 1.916, lnAgeTimesLnTreatedSBP: 0, lnUntreatedSBP: 1.809,
    lnAgeTimesLnUntreatedSBP: 0, smoker: 0.549, lnAgeTimesSmoker: 0, diabetes: 0.645,
    meanLinearPredictor: 19.54, baselineSurvival10: 0.8954)

  /// The coefficients of one race-sex group.
  public static func coefficients(race: Race, sex: Sex) -> Coefficients {
    switch (race, sex) {
    case (.white, .female): return whiteFemale
    case (.black, .female): return blackFemale
    case (.white, .male): return whiteMale
    case (.black, .male): return blackMale
    }
  }

  /// Source of the ranges below: the ACC/AHA ASCVD risk estimator's accepted inputs
  /// for the 2013 guideline (ages from Goff 2013, derivation cohorts 40-79 years).
  static let rangeSource = "ACC/AHA 2013 risk assessment guideline, Goff et al."

  /// The race group whose equations this instance evaluates (sex comes per person).
  public let race: Race

  public init(race: Race = .white) {
    self.race = race
  }

  public var kind: RiskEquationKind { .pooledCohort }

  public var validRanges: [ValidRange] {
    [
      ValidRange(.age, 40, 79, .years, source: Self.rangeSource),
      ValidRange(.totalCholesterol, 130, 320, .mgPerDL, source: Self.rangeSource),
      ValidRange(.hdlCholesterol, 20, 100, .mgPerDL, source: Self.rangeSource),
      ValidRange(.systolicBloodPressure, 90, 200, .mmHg, source: Self.rangeSource),
    ]
  }

  /// The "Individual Sum" of Table A: sum(beta * x) over natural logs of age (years),
  /// TC and HDL (mg/dL) and SBP (mmHg), unchecked.
  public func linearPredictor(_ factors: RiskFactors) -> Double {
    Self.linearPredictor(factors, coefficients: Self.coefficients(race: race, sex: factors.sex))
  }

  /// Table A's sum for given group coefficients.
  public static func linearPredictor(
    _ factors: RiskFactors, coefficients c: Coefficients
  ) -> Double {
    let lnAge = log(factors.ageYears)
    let lnTotalCholesterol = log(factors.totalCholesterolMgDL)
    let lnHDL = log(factors.hdlCholesterolMgDL)
    let lnSBP = log(factors.sbpMmHg)
    var sum = c.lnAge * lnAge + c.lnAgeSquared * lnAge * lnAge
    sum += c.lnTotalCholesterol * lnTotalCholesterol
    sum += c.lnAgeTimesLnTotalCholesterol * lnAge * lnTotalCholesterol
    sum += c.lnHDL * lnHDL + c.lnAgeTimesLnHDL * lnAge * lnHDL
    if factors.bpTreated {
      sum += c.lnTreatedSBP * lnSBP + c.lnAgeTimesLnTreatedSBP * lnAge * lnSBP
    } else {
      sum += c.lnUntreatedSBP * lnSBP + c.lnAgeTimesLnUntreatedSBP * lnAge * lnSBP
    }
    if factors.smoker {
      sum += c.smoker + c.lnAgeTimesSmoker * lnAge
    }
    if factors.diabetes {
      sum += c.diabetes
    }
    return sum
  }

  /// `1 - S0(10) ^ exp(linearPredictor - mean)` for this race and `sex`, unchecked.
  public func tenYearRisk(linearPredictor: Double, sex: Sex) -> Double {
    let c = Self.coefficients(race: race, sex: sex)
    return coxTenYearRisk(
      linearPredictor: linearPredictor, meanLinearPredictor: c.meanLinearPredictor,
      baselineSurvival10: c.baselineSurvival10)
  }
}
