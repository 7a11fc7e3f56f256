import Testing

@testable import TwinPhysiology

@Test func healthyAdultLandsWhereTheReadmeAuthorsSay() throws {
  // docs/science.md section 4: "about 120/80 mmHg, LVEDV about 85 ml, SV about 57 ml,
  // EF about 67 %, CO about 4.6 l/min" for the healthy-adult scaling.
  let metrics = try PeriodicSteadyState.solve(parameters: .healthyAdult, options: .singlePerson)
    .metrics
  #expect(abs(metrics.sbp - 120) < 1)
  #expect(abs(metrics.dbp - 80) < 1)
  #expect(abs(metrics.lvedv - 85) < 2)
  #expect(abs(metrics.strokeVolume - 57) < 1.5)
  #expect(abs(metrics.ejectionFraction - 67) < 1)
  #expect(abs(metrics.cardiacOutput - 4.6) < 0.15)
}

@Test func smithValuesGiveAboutNinetyOneOverSixtyThree() throws {
  // docs/science.md section 4: "With Smith's raw values the reduced model gives only about
  // 91/63 mmHg."
  let metrics = try PeriodicSteadyState.solve(parameters: .smith2004, options: .singlePerson)
    .metrics
  #expect(abs(metrics.sbp - 91) < 1)
  #expect(abs(metrics.dbp - 63) < 1)
}

@Test func acceleratedAndPlainIterationReachTheSameStateWithFarFewerBeats() throws {
  // Both from Smith's volumes (the default cold start, the table's interpolated periodic
  // state, is already within 1e-7 ml for the healthy adult, a node of the table).
  let plain = try PeriodicSteadyState.solve(
    parameters: .healthyAdult, warmStart: .smith2004Initial,
    options: SteadyStateOptions(toleranceMl: 1e-7, maximumBeats: 1000, accelerationDepth: nil))
  let accelerated = try PeriodicSteadyState.solve(
    parameters: .healthyAdult, warmStart: .smith2004Initial,
    options: SteadyStateOptions(toleranceMl: 1e-7))
  #expect(plain.converged && accelerated.converged)
  // From the Smith volumes plain iteration needs 60-90 beats (docs/science.md) at loose
  // tolerances and more at 1e-7 ml.
  #expect(plain.beats > 60)
  #expect(accelerated.beats < 15, "\(accelerated.beats) beats")
  #expect(abs(plain.metrics.sbp - accelerated.metrics.sbp) < 1e-4)
  #expect(abs(plain.metrics.strokeVolume - accelerated.metrics.strokeVolume) < 1e-4)
  for (a, b) in zip(plain.state.components, accelerated.state.components) {
    #expect(abs(a - b) < 1e-5)
  }
}

@Test func convergedSolutionsMeetTheStatedTolerance() throws {
  for tolerance in [1e-2, 1e-4, 1e-8] {
    let solution = try PeriodicSteadyState.solve(
      parameters: .healthyAdult, options: SteadyStateOptions(toleranceMl: tolerance))
    #expect(solution.converged)
    #expect(solution.residualMl < tolerance)
  }
}

@Test func warmStartFromTheSteadyStateNeedsOneBeat() throws {
  let options = SteadyStateOptions(toleranceMl: 1e-6)
  let cold = try PeriodicSteadyState.solve(
    parameters: .healthyAdult, warmStart: .smith2004Initial, options: options)
  let warm = try PeriodicSteadyState.solve(
    parameters: .healthyAdult, warmStart: cold.state, options: options)
  #expect(cold.beats > 3)
  #expect(warm.beats == 1)
  #expect(abs(warm.metrics.sbp - cold.metrics.sbp) < 1e-5)
}

@Test func searchConvergesAcrossTheRangeOfAdultParameters() throws {
  // Soft to very stiff arteries, low to high resistance, weak to stiff ventricles, slow to
  // fast hearts: every combination must reach 1e-4 ml from a cold start.
  var worst = 0
  for heartRate in [50.0, 80, 110] {
    for arterial in [0.5, 1.0, 2.0, 4.0] {
      for resistance in [0.6, 1.0, 2.0] {
        for ventricular in [0.7, 1.0, 2.5] {
          var parameters = PhysiologyParameters.healthyAdult
          parameters.HR = heartRate
          parameters.C = min(parameters.C, 0.45 * 60 / heartRate)
          parameters.E_sa *= arterial
          parameters.R_sys *= resistance
          parameters.E_lv *= ventricular
          let solution = try PeriodicSteadyState.solve(
            parameters: parameters, options: SteadyStateOptions(toleranceMl: 1e-4))
          #expect(solution.converged, "\(parameters)")
          #expect(solution.metrics.sbp > solution.metrics.dbp)
          worst = max(worst, solution.beats)
        }
      }
    }
  }
  #expect(worst <= 40, "worst case \(worst) beats")
}

extension PhysiologyState {
  var components: [Double] { [V_lv, V_rv, V_pa, V_pu, V_sa, V_sv] }
}
