import Testing

@testable import TwinModels

@Test func oneMillimolePerLitreIsThirtyEightPointSixSevenMilligramsPerDecilitre() {
  // docs/science.md section 1: 1 mmol/L total cholesterol = 38.67 mg/dL.
  #expect(CholesterolUnit.mgPerDL.mmolPerL(38.67) == 1)
  #expect(CholesterolUnit.mgPerDL.fromMmolPerL(1) == 38.67)
  #expect(CholesterolUnit.mmolPerL.mmolPerL(5.5) == 5.5)
}

@Test func equationsGiveTheSameRiskForLipidsEnteredInEitherUnit() throws {
  // 213 mg/dL and 50 mg/dL entered as mmol/L by hand (213 / 38.67, 50 / 38.67).
  let fromMgPerDL = RiskFactors(
    sex: .male, ageYears: 60, totalCholesterolMmolL: CholesterolUnit.mgPerDL.mmolPerL(213),
    hdlCholesterolMmolL: CholesterolUnit.mgPerDL.mmolPerL(50), sbpMmHg: 130, smoker: true)
  let byHand = RiskFactors(
    sex: .male, ageYears: 60, totalCholesterolMmolL: 5.508145849495733,
    hdlCholesterolMmolL: 1.2929919834497026, sbpMmHg: 130, smoker: true)
  let equations: [any RiskEquation] = [PooledCohortEquations(), Framingham2008(), SCORE2()]
  for equation in equations {
    let a = try equation.evaluate(fromMgPerDL)
    let b = try equation.evaluate(byHand)
    #expect(abs(a.risk10 - b.risk10) <= 1e-14, "\(equation.kind)")
  }
}
