import Testing
import TwinModels

// References from Python 3.11 (math, scipy.integrate.quad), e.g.
//   1e-5 * math.exp(0.09 * 50); quad(lambda x: 1e-5 * math.exp(0.09 * x), 50, 52.5)
//   quad(lambda x: 0.01 * math.exp(-0.02 * x), 30, 40); -math.expm1(-0.05)

@Test func probabilityFromHazardIsOneMinusExpMinusHazardTimesInterval() {
  #expect(abs(eventProbability(annualHazard: 0.1, years: 0.5) - 0.04877057549928599) <= 1e-17)
  #expect(abs(eventProbability(annualHazard: 2.5, years: 2) - 0.9932620530009145) <= 1e-16)
  #expect(eventProbability(annualHazard: 0, years: 1) == 0)
  #expect(eventProbability(annualHazard: 0.3, years: 0) == 0)
  // Small hazards keep full precision (1 - exp(-1e-12) would lose four digits).
  let small = eventProbability(annualHazard: 1e-12, years: 1)
  #expect(abs(small - 9.999999999995e-13) <= 1e-27)
}

@Test func gompertzHazardIsAExpBTimesAge() {
  let gompertz = GompertzHazard(a: 1e-5, b: 0.09)
  #expect(gompertz.hazard(ageYears: 0) == 1e-5)
  #expect(abs(gompertz.hazard(ageYears: 50) - 0.0009001713130052182) <= 1e-18)
  let cumulative = gompertz.cumulativeHazard(fromAgeYears: 50, overYears: 2.5)
  #expect(abs(cumulative - 0.002523707452616372) <= 1e-17)
}

@Test func gompertzCumulativeHazardHandlesFallingAndFlatHazards() {
  let falling = GompertzHazard(a: 0.01, b: -0.02)
  let cumulative = falling.cumulativeHazard(fromAgeYears: 30, overYears: 10)
  #expect(abs(cumulative - 0.04974133598840243) <= 1e-16)
  let flat = GompertzHazard(a: 0.02, b: 0)
  #expect(flat.cumulativeHazard(fromAgeYears: 70, overYears: 5) == 0.1)
}

@Test func gompertzMakehamLifeExpectancyMatchesScipyQuadrature() {
  // quad(lambda t: exp(-quad(mu, x, x + t)), 0, 60), mu = a + b exp(c x), men 2016/18.
  let men2016 = GompertzMakehamHazard(a: 1.280e-4, b: 1.901e-5, c: 0.1013)
  #expect(abs(men2016.lifeExpectancy(atAgeYears: 101) - 1.6231443048466037) <= 1e-9)
  #expect(abs(men2016.lifeExpectancy(atAgeYears: 105) - 1.1324013363685053) <= 1e-9)
  let women2022 = GompertzMakehamHazard(a: 1.349e-4, b: 5.732e-6, c: 0.1112)
  #expect(abs(women2022.lifeExpectancy(atAgeYears: 105) - 1.293264404910789) <= 1e-9)
  #expect(abs(women2022.hazard(ageYears: 0) - (1.349e-4 + 5.732e-6)) <= 1e-20)
}
