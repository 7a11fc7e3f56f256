import Testing

@testable import TwinPhysiology

/// Relative change of the total volume after `beats` beats from the Smith initial volumes.
private func totalVolumeDrift(beats: Int, integrator: BeatIntegrator) throws -> Double {
  let parameters = PhysiologyParameters.healthyAdult
  let options = SteadyStateOptions(
    toleranceMl: 0, maximumBeats: beats, accelerationDepth: nil, integrator: integrator)
  let solution = try PeriodicSteadyState.solve(parameters: parameters, options: options)
  #expect(solution.beats == beats)
  return abs(solution.state.totalVolumeMl - parameters.V_stressed) / parameters.V_stressed
}

@Test func rungeKutta4ConservesTheTotalVolumeOverTwoHundredBeats() throws {
  // 200 beats x 115 steps: about 23,000 steps of rounding.
  let drift = try totalVolumeDrift(beats: 200, integrator: .rungeKutta4(RungeKutta4.Options()))
  #expect(drift < 1e-9, "relative drift \(drift)")
}

@Test func dormandPrinceConservesTheTotalVolumeOverFiftyBeats() throws {
  let drift = try totalVolumeDrift(
    beats: 50,
    integrator: .dormandPrince54(
      DormandPrince54.Options(relativeTolerance: 1e-8, absoluteToleranceMl: 1e-8)))
  #expect(drift < 1e-9, "relative drift \(drift)")
}

@Test func stepCountFollowsTheStiffnessAndTheStepBound() {
  let options = RungeKutta4.Options()
  // Healthy adult: 1.9 / 289.8 per s = 6.56 ms < 7.5 ms, T = 0.75 s: ceil(114.4) = 115.
  #expect(RungeKutta4.stepsPerBeat(parameters: .healthyAdult, options: options) == 115)
  // Smith 2004: stiffness (2.8798 + 0.6913)/0.018 = 198.4 per s -> 9.6 ms, capped at 7.5 ms.
  #expect(RungeKutta4.stepsPerBeat(parameters: .smith2004, options: options) == 100)
  var stiff = PhysiologyParameters.healthyAdult
  stiff.E_sa *= 4
  stiff.E_lv *= 2
  let stiffness = (stiff.E_lv + stiff.E_sa) / stiff.R_av
  let expected = Int((0.75 / (1.9 / stiffness)).rounded(.up))
  #expect(RungeKutta4.stepsPerBeat(parameters: stiff, options: options) == expected)
}

@Test func rungeKutta4AndDormandPrinceAgreeOnTheHealthyAdult() throws {
  let rk4 = try PeriodicSteadyState.solve(
    parameters: .healthyAdult, options: SteadyStateOptions(toleranceMl: 1e-8))
  let dopri = try PeriodicSteadyState.solve(parameters: .healthyAdult, options: .singlePerson)
  #expect(rk4.converged && dopri.converged)
  // RK4 at its default steps is within 0.1 % of the exact solution (ScipyReferenceTests).
  #expect(abs(rk4.metrics.sbp - dopri.metrics.sbp) < 0.1)
  #expect(abs(rk4.metrics.dbp - dopri.metrics.dbp) < 0.1)
  #expect(abs(rk4.metrics.strokeVolume - dopri.metrics.strokeVolume) < 0.01)
}
