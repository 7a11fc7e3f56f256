import Testing

@testable import TwinPhysiology

@Test func pulseWaveVelocityFollowsTheRvascNormalValuesByDecade() {
  // RVASC 2010 normal values: 6.2, 6.5, 7.2, 8.3, 10.3, 10.9 m/s for < 30, 30-39, 40-49,
  // 50-59, 60-69 and >= 70 years (mid-points 25 ... 75).
  let mapping = PhysiologyMapping.standard
  for (age, pwv) in [(25.0, 6.2), (35, 6.5), (45, 7.2), (55, 8.3), (65, 10.3), (75, 10.9)] {
    let person = PhysiologyPerson(ageYears: age, sex: .male, sbpMmHg: 120)
    #expect(abs(mapping.pulseWaveVelocity(person) - pwv) < 1e-12)
  }
  // Outside the table: the end values; in between: linear.
  #expect(PhysiologyMapping.normalPulseWaveVelocity(ageYears: 18) == 6.2)
  #expect(PhysiologyMapping.normalPulseWaveVelocity(ageYears: 90) == 10.9)
  #expect(abs(PhysiologyMapping.normalPulseWaveVelocity(ageYears: 60) - 9.3) < 1e-12)
  // About 1 m/s per 20 mmHg; smokers 8 % higher.
  let at120 = mapping.pulseWaveVelocity(PhysiologyPerson(ageYears: 50, sex: .female, sbpMmHg: 120))
  let at140 = mapping.pulseWaveVelocity(PhysiologyPerson(ageYears: 50, sex: .female, sbpMmHg: 140))
  #expect(abs(at140 - at120 - 1) < 1e-12)
  let smoker = mapping.pulseWaveVelocity(
    PhysiologyPerson(ageYears: 50, sex: .female, sbpMmHg: 140, smoker: true))
  #expect(abs(smoker / at140 - 1.08) < 1e-12)
}

@Test func healthyThirtyYearOldLandsNearOneTwentyOverEighty() throws {
  for sex in [PhysiologySex.female, .male] {
    let parameters = PhysiologyMapping.standard.parameters(
      for: PhysiologyPerson(ageYears: 30, sex: sex, sbpMmHg: 120))
    let metrics = try PeriodicSteadyState.solve(parameters: parameters).metrics
    #expect(abs(metrics.sbp - 120) < 0.5, "\(sex): \(metrics.sbp)")
    #expect(abs(metrics.dbp - 80) < 2, "\(sex): \(metrics.dbp)")
  }
}

@Test func typicalPersonsFollowTheReferenceCurveOfSystolicPressure() throws {
  // A typical person of each NHANES 2001-2008 age group and sex (non-smoker, the group's
  // mean SBP) must be modelled within 1 mmHg of that mean; the representative ages fall
  // between the calibration grid's nodes, so this checks the interpolation too.
  let curve = BloodPressureReferenceCurve.nhanes2001to2008
  var persons: [PhysiologyPerson] = []
  for point in curve.points {
    persons.append(
      PhysiologyPerson(
        ageYears: point.representativeAgeYears, sex: .female, sbpMmHg: point.sbpFemaleMmHg))
    persons.append(
      PhysiologyPerson(
        ageYears: point.representativeAgeYears, sex: .male, sbpMmHg: point.sbpMaleMmHg))
  }
  var states = PhysiologyStateColumns(count: persons.count)
  let metrics = PhysiologyBatch.solve(
    parameters: PhysiologyParameterColumns(persons.map(PhysiologyMapping.standard.parameters)),
    warmStart: &states, options: SteadyStateOptions(toleranceMl: 1e-4))
  for (index, person) in persons.enumerated() {
    #expect(abs(metrics.sbp[index] - person.sbpMmHg) < 1, "\(person): \(metrics.sbp[index])")
  }
}

@Test func resistanceTableReproducesTheModelAtItsNodes() {
  // Nodes across the grid: each must give its SBP within 0.05 mmHg (solved to 0.01 mmHg,
  // at tolerance 1e-4 ml; a stale table after a model change fails here).
  let nodes: [(PhysiologySex, Double, Double)] = [
    (.female, 20, 80), (.male, 40, 130), (.female, 60, 170), (.male, 80, 240),
    (.female, 100, 110), (.male, 50, 200),
  ]
  let persons = nodes.map { PhysiologyPerson(ageYears: $0.1, sex: $0.0, sbpMmHg: $0.2) }
  var states = PhysiologyStateColumns(count: persons.count)
  let metrics = PhysiologyBatch.solve(
    parameters: PhysiologyParameterColumns(persons.map(PhysiologyMapping.standard.parameters)),
    warmStart: &states, options: SteadyStateOptions(toleranceMl: 1e-4))
  for (index, person) in persons.enumerated() {
    #expect(abs(metrics.sbp[index] - person.sbpMmHg) < 0.05, "\(person): \(metrics.sbp[index])")
  }
}

@Test func smokingRaisesModelledPressureThroughStiffnessOnly() throws {
  let mapping = PhysiologyMapping.standard
  let never = PhysiologyPerson(ageYears: 55, sex: .male, sbpMmHg: 135)
  var current = never
  current.smoker = true
  let a = mapping.parameters(for: never)
  let b = mapping.parameters(for: current)
  #expect(b.E_sa > a.E_sa && b.R_sys == a.R_sys && b.E_lv == a.E_lv)
  let sbpNever = try PeriodicSteadyState.solve(parameters: a).metrics.sbp
  let sbpCurrent = try PeriodicSteadyState.solve(parameters: b).metrics.sbp
  // With E_sa proportional to PWV^2 (default) the smokers' 8 % higher PWV raises E_sa by
  // 17 % and the modelled SBP by 4-12 mmHg over ages 40-85 (docs/physiology.md; with k = 1,
  // 2-4 mmHg): a modest mediated effect, never a large one.
  let effect = sbpCurrent - sbpNever
  #expect(effect > 2 && effect < 12, "\(effect) mmHg")
}

@Test func ventricularElastanceRisesWithAgeAndFasterInWomen() {
  let mapping = PhysiologyMapping.standard
  func elastance(_ age: Double, _ sex: PhysiologySex) -> Double {
    mapping.parameters(for: PhysiologyPerson(ageYears: age, sex: sex, sbpMmHg: 130)).E_lv
  }
  let base = PhysiologyParameters.healthyAdult.E_lv
  #expect(elastance(25, .female) == base && elastance(30, .male) == base)
  #expect(abs(elastance(70, .female) / base - 1.32) < 1e-12)
  #expect(abs(elastance(70, .male) / base - 1.20) < 1e-12)
}

@Test func mappedParametersAreValidAcrossAdultAgesAndPressures() {
  for age in stride(from: 18.0, through: 110, by: 4) {
    for sbp in stride(from: 60.0, through: 280, by: 10) {
      for smoker in [false, true] {
        let person = PhysiologyPerson(ageYears: age, sex: .female, sbpMmHg: sbp, smoker: smoker)
        #expect(PhysiologyMapping.standard.parameters(for: person).isValid, "\(person)")
      }
    }
  }
}

@Test func riskEquationGetsTheObservedBaselinePlusTheModelledChange() {
  let sbp = PhysiologyMapping.riskEquationSbp(
    observedBaselineSbpMmHg: 142, modelledBaselineSbpMmHg: 131.5, modelledSbpMmHg: 128.25)
  #expect(sbp == 138.75)
  #expect(
    PhysiologyMapping.riskEquationSbp(
      observedBaselineSbpMmHg: 142, modelledBaselineSbpMmHg: 131.5, modelledSbpMmHg: 131.5)
      == 142)
}

@Test func logarithmUsedForOtherExponentsIsAccurate() {
  for x in [0.01, 0.5, 1, 1.5, 2, 10, 12345.678] {
    #expect(abs(Double.exponential(PhysiologyMapping.naturalLogarithm(x)) / x - 1) < 1e-11)
  }
}

@Test func missingPressureGivesInvalidParametersInsteadOfACrash() {
  // The engine holds NaN for the SBP of persons who have died; the batch skips them.
  let person = PhysiologyPerson(ageYears: 70, sex: .male, sbpMmHg: .nan)
  #expect(!PhysiologyMapping.standard.parameters(for: person).isValid)
  #expect(PhysiologyMapping.naturalLogarithm(.nan).isNaN)
  #expect(PhysiologyMapping.naturalLogarithm(-1).isNaN)
}
