import Foundation
import Testing

@testable import TwinModels

// Reference values from Python 3 (math.log): -log(1 - 0.1) / 10 = 0.010536051565782628,
// -log(1 - 0.2) / 10 = 0.022314355131420965. The code uses log1p, which rounds differently
// from log(1 - r) by a few ulps, hence the relative tolerance of 1e-15.

@Test func annualHazardIsMinusLogSurvivalOverTenYears() {
  #expect(abs(annualHazard(fromTenYearRisk: 0.1) - 0.010536051565782628) <= 1e-15 * 0.0105)
  #expect(abs(annualHazard(fromTenYearRisk: 0.2) - 0.022314355131420965) <= 1e-15 * 0.0223)
  #expect(annualHazard(fromTenYearRisk: 0) == 0)
  #expect(annualHazard(fromTenYearRisk: 1) == .infinity)
}

@Test func tenYearRiskFromAnnualHazardInvertsAnnualHazard() {
  for risk in [1e-12, 1e-6, 0.01, 0.075, 0.2, 0.5, 0.99] {
    let roundTrip = tenYearRisk(fromAnnualHazard: annualHazard(fromTenYearRisk: risk))
    #expect(abs(roundTrip - risk) <= 4 * risk * Double.ulpOfOne)
  }
}

@Test func smallRisksKeepFullRelativePrecision() {
  // -ln(1 - r) / 10 = r / 10 + r^2 / 20 + ...; for r = 1e-12 the second term is 5e-26.
  #expect(abs(annualHazard(fromTenYearRisk: 1e-12) - 1e-13) <= 1e-13 * 1e-12)
}

@Test func tenYearsOfOneYearEventProbabilitiesCompoundToTheTenYearRisk() {
  let hazard = annualHazard(fromTenYearRisk: 0.15)
  let survivalPerYear = 1 - eventProbability(annualHazard: hazard, years: 1)
  #expect(abs((1 - pow(survivalPerYear, 10)) - 0.15) <= 1e-14)
}
