import Testing

@testable import TwinPhysiology

/// Persons spread over soft to stiff arteries, resistances and heart rates (deterministic).
private func samplePersons(_ count: Int, seed: UInt64) -> [PhysiologyParameters] {
  var generator = SeededGenerator(seed: seed)
  return (0..<count).map { _ in
    var parameters = PhysiologyParameters.healthyAdult
    parameters.E_sa *= .random(in: 0.7...3.5, using: &generator)
    parameters.R_sys *= .random(in: 0.7...1.6, using: &generator)
    parameters.E_lv *= .random(in: 0.8...1.8, using: &generator)
    parameters.HR = .random(in: 60...90, using: &generator)
    return parameters
  }
}

@Test func batchResultsAreBitIdenticalToSinglePersonSolves() throws {
  let persons = samplePersons(19, seed: 1)
  let options = SteadyStateOptions(toleranceMl: 1e-3)
  var states = PhysiologyStateColumns(count: persons.count)
  let metrics = PhysiologyBatch.solve(
    parameters: PhysiologyParameterColumns(persons), warmStart: &states, options: options)
  for (index, parameters) in persons.enumerated() {
    let single = try PeriodicSteadyState.solve(parameters: parameters, options: options)
    #expect(metrics[index] == single.metrics, "person \(index)")
    #expect(Int(metrics.beatsToSteadyState[index]) == single.beats)
    #expect(metrics.converged[index])
    #expect(states[index] == single.state)
  }
}

@Test func batchResultsDoNotDependOnOrderOrBlockSize() {
  let persons = samplePersons(37, seed: 2)
  var allStates = PhysiologyStateColumns(count: persons.count)
  let all = PhysiologyBatch.solve(
    parameters: PhysiologyParameterColumns(persons), warmStart: &allStates)
  // Reversed order, solved in blocks of 5: other lane neighbours, other groups.
  let reversed = Array(persons.reversed())
  var offset = 0
  while offset < reversed.count {
    let block = Array(reversed[offset..<min(offset + 5, reversed.count)])
    var states = PhysiologyStateColumns(count: block.count)
    let metrics = PhysiologyBatch.solve(
      parameters: PhysiologyParameterColumns(block), warmStart: &states)
    for local in 0..<block.count {
      let original = persons.count - 1 - (offset + local)
      #expect(metrics[local] == all[original])
      #expect(metrics.beatsToSteadyState[local] == all.beatsToSteadyState[original])
      #expect(states[local] == allStates[original])
    }
    offset += 5
  }
}

@Test func inactiveAndInvalidPersonsGetNaNAndKeepTheirState() {
  var persons = samplePersons(4, seed: 3)
  persons[2].R_sys = -1
  var states = PhysiologyStateColumns(repeating: .smith2004Initial, count: 4)
  let metrics = PhysiologyBatch.solve(
    parameters: PhysiologyParameterColumns(persons), warmStart: &states,
    active: [true, false, true, true])
  #expect(metrics.sbp[0].isFinite && metrics.sbp[3].isFinite)
  for person in [1, 2] {
    #expect(metrics.sbp[person].isNaN && metrics.strokeVolume[person].isNaN)
    #expect(metrics.beatsToSteadyState[person] == 0 && !metrics.converged[person])
    #expect(states[person] == .smith2004Initial)
  }
}

@Test func extrapolatedWarmStartsHalveTheBeatsOfSmoothAgeingAndKeepTheAnswer() {
  // Ten simulated years of steady stiffening: the same answers (within the tolerance's
  // effect) with markedly fewer beats when the previous change is extrapolated.
  var base = samplePersons(16, seed: 5)
  var extrapolated = PhysiologyStateColumns(count: base.count)
  var plain = PhysiologyStateColumns(count: base.count)
  var beatsExtrapolated = 0
  var beatsPlain = 0
  for year in 0..<10 {
    if year > 0 {
      for index in base.indices {
        base[index].E_sa *= 1.025
        base[index].E_lv *= 1.006
        base[index].R_sys *= 1.004
      }
    }
    let columns = PhysiologyParameterColumns(base)
    let a = PhysiologyBatch.solve(parameters: columns, warmStart: &extrapolated)
    let b = PhysiologyBatch.solve(
      parameters: columns, warmStart: &plain,
      options: SteadyStateOptions(extrapolatesWarmStart: false))
    if year >= 2 {
      beatsExtrapolated += a.beatsToSteadyState.reduce(0) { $0 + Int($1) }
      beatsPlain += b.beatsToSteadyState.reduce(0) { $0 + Int($1) }
    }
    for index in base.indices {
      #expect(a.converged[index] && b.converged[index])
      #expect(abs(a.sbp[index] - b.sbp[index]) < 0.05)
      #expect(abs(a.strokeVolume[index] - b.strokeVolume[index]) < 0.02)
    }
  }
  #expect(Double(beatsExtrapolated) < 0.75 * Double(beatsPlain))
}

@Test func defaultToleranceKeepsMetricsWithinHundredthsOfTheExactSteadyState() {
  let persons = samplePersons(24, seed: 6)
  var states = PhysiologyStateColumns(count: persons.count)
  var exactStates = PhysiologyStateColumns(count: persons.count)
  let columns = PhysiologyParameterColumns(persons)
  let fast = PhysiologyBatch.solve(parameters: columns, warmStart: &states)
  let exact = PhysiologyBatch.solve(
    parameters: columns, warmStart: &exactStates, options: SteadyStateOptions(toleranceMl: 1e-10))
  for index in persons.indices {
    #expect(abs(fast.sbp[index] - exact.sbp[index]) < 0.05)
    #expect(abs(fast.dbp[index] - exact.dbp[index]) < 0.05)
    #expect(abs(fast.strokeVolume[index] - exact.strokeVolume[index]) < 0.02)
  }
}
