import Testing

@testable import TwinModels

// D'Agostino RB Sr et al., General cardiovascular risk profile for use in primary care,
// Circulation 2008;117:743-753. The paper's only worked examples are its score-sheet
// examples (Tables 11 and 12, quoted in synthetichealth/synthea,
// src/test/java/org/mitre/synthea/modules/risk_calculators/FraminghamTest.java):
//   case 1: woman, 61 y, TC 180, HDL 47 mg/dL, untreated SBP 124, smoker, no diabetes:
//           13 points, estimated risk 10.0 %;
//   case 2: man, 53 y, TC 161, HDL 55 mg/dL, treated SBP 125, non-smoker, diabetes:
//           13 points, estimated risk 15.6 %.
// These risks come from the points tables, an approximation of the equation. The equation
// itself is therefore also checked against an independent Python evaluation of Table 2
// (INDEPENDENT COMPUTATION, not a published value): python3 with math.log/math.exp,
//   woman: sum 26.965324388204856, risk 0.10484180203720028
//   man:   sum 24.35090521465525,  risk 0.15622654200203556

private let caseOneWoman = RiskFactors(
  sex: .female, ageYears: 61, totalCholesterolMmolL: CholesterolUnit.mgPerDL.mmolPerL(180),
  hdlCholesterolMmolL: CholesterolUnit.mgPerDL.mmolPerL(47), sbpMmHg: 124, bpTreated: false,
  smoker: true, diabetes: false)

private let caseTwoMan = RiskFactors(
  sex: .male, ageYears: 53, totalCholesterolMmolL: CholesterolUnit.mgPerDL.mmolPerL(161),
  hdlCholesterolMmolL: CholesterolUnit.mgPerDL.mmolPerL(55), sbpMmHg: 125, bpTreated: true,
  smoker: false, diabetes: true)

@Test func framinghamManMatchesPublishedCaseTwoAtPrintedPrecision() throws {
  let estimate = try Framingham2008().evaluate(caseTwoMan)
  #expect(abs(estimate.risk10 - 0.156) <= 0.0005)
}

@Test func framinghamWomanIsCloseToThePointsEstimateOfCaseOne() throws {
  // The points score (13 points -> 10.0 %) approximates the equation; the equation gives
  // 10.48 %. Half a percentage point bounds that approximation for this case.
  let estimate = try Framingham2008().evaluate(caseOneWoman)
  #expect(abs(estimate.risk10 - 0.100) <= 0.005)
}

@Test func framinghamMatchesIndependentPythonEvaluationOfTableTwo() throws {
  let woman = try Framingham2008().evaluate(caseOneWoman)
  let man = try Framingham2008().evaluate(caseTwoMan)
  #expect(abs(woman.linearPredictor - 26.965324388204856) <= 1e-12 * 26.97)
  #expect(abs(woman.risk10 - 0.10484180203720028) <= 1e-12)
  #expect(abs(man.linearPredictor - 24.35090521465525) <= 1e-12 * 24.35)
  #expect(abs(man.risk10 - 0.15622654200203556) <= 1e-12)
}

@Test func framinghamRejectsAgeOutsideThirtyToSeventyFourNamingTheRange() {
  for age in [29.0, 75.0] {
    var person = caseTwoMan
    person.ageYears = age
    do {
      _ = try Framingham2008().evaluate(person)
      Issue.record("age \(age) was accepted")
    } catch {
      #expect(error.description.contains("30-74 years"))
    }
  }
}

@Test func framinghamRejectsNonPositiveHDL() {
  var person = caseTwoMan
  person.hdlCholesterolMmolL = 0
  #expect(
    throws: RiskInputError.notPositiveFinite(
      variable: .hdlCholesterol, value: 0, equation: .framingham2008)
  ) {
    try Framingham2008().evaluate(person)
  }
}
