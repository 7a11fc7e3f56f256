import Testing

@testable import TwinPhysiology

@Test func preconditionerMapsEveryResidualToAZeroSumCorrection() {
  let preconditioner = PhysiologyPreconditioner.healthyAdult
  var generator = SeededGenerator(seed: 11)
  for _ in 0..<20 {
    var residual = SIMD8<Double>()
    for lane in 0..<6 { residual[lane] = .random(in: -5...5, using: &generator) }
    let correction = preconditioner.apply(residual)
    let sum = (0..<6).reduce(0.0) { $0 + correction[$1] }
    #expect(abs(sum) < 1e-9 * max(1, correction.max()))
    #expect(correction[6] == 0 && correction[7] == 0)
  }
}

@Test func preconditionerInvertsTheHealthyAdultsBeatMap() throws {
  // M (I - J) g = g for zero-sum g, J measured here by finite differences of one beat.
  let parameters = PhysiologyParameters.healthyAdult
  let steady = try PeriodicSteadyState.solve(
    parameters: parameters, options: SteadyStateOptions(toleranceMl: 1e-11))
  let model = CirculationModel<Double>(parameters)
  let steps = RungeKutta4.stepsPerBeat(parameters: parameters, options: RungeKutta4.Options())
  func beat(_ start: SIMD8<Double>) -> SIMD8<Double> {
    RungeKutta4.integrateBeat(
      model: model, start: LaneVolumes(PhysiologyState(vector: start)),
      stepSeconds: parameters.beatPeriodSeconds / Double(steps), steps: Double(steps),
      maximumSteps: steps, sameStepsInAllLanes: true
    ).end.state.vector
  }
  var direction = SIMD8<Double>(1, -2, 0.5, 3, -1, -1.5, 0, 0)
  direction /= 10
  let base = steady.state.vector
  let jd = (beat(base + direction) - beat(base - direction)) / 2
  let recovered = PhysiologyPreconditioner.healthyAdult.apply(direction - jd)
  for lane in 0..<6 {
    // The beat map is not linear over +-0.1 ml (valves switch): 0.2 % of the direction.
    #expect(abs(recovered[lane] - direction[lane]) < 5e-4, "lane \(lane)")
  }
}

@Test func andersonMixingSolvesALinearContractionInAFewSteps() {
  // F(x) = x* + J (x - x*), J diagonal with the healthy adult's multipliers 0.81, 0.61, 0.31
  // (and 0.05 twice) on zero-sum directions: depth-2 mixing with the identity preconditioner
  // needs less than a third of the steps of plain iteration.
  let fixedPoint = SIMD8<Double>(80, 90, 40, 800, 130, 360, 0, 0)
  let directions: [SIMD8<Double>] = [
    SIMD8(1, -1, 0, 0, 0, 0, 0, 0), SIMD8(0, 1, -1, 0, 0, 0, 0, 0),
    SIMD8(0, 0, 1, -1, 0, 0, 0, 0), SIMD8(0, 0, 0, 1, -1, 0, 0, 0),
    SIMD8(0, 0, 0, 0, 1, -1, 0, 0),
  ]
  let multipliers = [0.81, 0.61, 0.31, 0.05, 0.05]
  func coordinates(_ v: SIMD8<Double>) -> [Double] {
    // v - x* = sum c_i d_i with d_i = e_i - e_{i+1}: c_i = cumulative sums.
    var c: [Double] = []
    var running = 0.0
    for lane in 0..<5 {
      running += v[lane] - fixedPoint[lane]
      c.append(running)
    }
    return c
  }
  func map(_ x: SIMD8<Double>) -> SIMD8<Double> {
    let c = coordinates(x)
    var result = fixedPoint
    for i in 0..<5 { result += c[i] * multipliers[i] * directions[i] }
    return result
  }
  let start = SIMD8<Double>(94, 91, 43, 808, 133, 331, 0, 0)
  var plain = start
  var plainSteps = 0
  while BeatMapAccelerator.maximumNorm(map(plain) - plain) > 1e-10 && plainSteps < 1000 {
    plain = map(plain)
    plainSteps += 1
  }
  var accelerator = BeatMapAccelerator(depth: 2)
  var x = start
  var steps = 0
  while BeatMapAccelerator.maximumNorm(map(x) - x) > 1e-10 && steps < 1000 {
    x = accelerator.nextState(after: x, end: map(x), preconditioner: .identity)
    steps += 1
  }
  #expect(plainSteps > 100)
  #expect(steps * 3 < plainSteps, "\(steps) accelerated vs \(plainSteps) plain steps")
  #expect(BeatMapAccelerator.maximumNorm(x - fixedPoint) < 1e-9)
}

@Test func acceleratorFallsBackToThePlainStepWhenTheResidualGrows() {
  var accelerator = BeatMapAccelerator(depth: 2)
  let x0 = SIMD8<Double>(80, 90, 40, 800, 130, 360, 0, 0)
  _ = accelerator.nextState(
    after: x0, end: x0 + SIMD8(0.1, -0.1, 0, 0, 0, 0, 0, 0), preconditioner: .identity)
  let end = x0 + SIMD8(5, -5, 0, 0, 0, 0, 0, 0)
  #expect(accelerator.nextState(after: x0, end: end, preconditioner: .identity) == end)
}
