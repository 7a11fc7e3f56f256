import Testing

@testable import TwinPhysiology

/// Persons of the population mapping: ages 32-80, four SBP levels, both sexes, smokers and not.
private func mappedPersons() -> [PhysiologyPerson] {
  var persons: [PhysiologyPerson] = []
  for age in stride(from: 32.0, through: 80.0, by: 8.0) {
    for sbp in [105.0, 125.0, 145.0, 165.0] {
      for sex in [PhysiologySex.female, .male] {
        for smoker in [false, true] {
          persons.append(PhysiologyPerson(ageYears: age, sex: sex, sbpMmHg: sbp, smoker: smoker))
        }
      }
    }
  }
  return persons
}

@Test func guidanceAtAGridNodeIsThatReferencePersonsOwn() {
  // The healthy adult with E_sa x2, E_lv x1.25, R_sys x1.4 is a node: its interpolated
  // preconditioner is its own (built directly here) and its cold start its periodic state.
  var parameters = PhysiologyParameters.healthyAdult
  parameters.E_sa *= 2
  parameters.E_lv *= 1.25
  parameters.R_sys *= 1.4
  let guidance = PhysiologyPreconditionerTable().guidance(for: parameters)
  let own = PhysiologyPreconditioner(parameters: parameters, integrator: RungeKutta4.Options())
  for (a, b) in zip(guidance.preconditioner.columns, own.columns) {
    for lane in 0..<6 { #expect(abs(a[lane] - b[lane]) < 1e-6 * max(1, abs(b[lane]))) }
  }
  let options = SteadyStateOptions(toleranceMl: 1e-6)
  let fromTable = PeriodicSteadyState.search(
    parameters: parameters, warmStart: guidance.coldStart, options: options,
    preconditioner: own)
  #expect(fromTable.beats == 1, "\(fromTable.beats) beats")
  #expect(abs(guidance.coldStart.totalVolumeMl - parameters.V_stressed) < 1e-9)
}

@Test func guidanceDoesNotDependOnTheOrderReferencesAreComputedIn() {
  // Every rank builds its own table in the order its persons need: the bits must not differ.
  let persons = mappedPersons().map { PhysiologyMapping.standard.parameters(for: $0) }
  let forward = PhysiologyPreconditionerTable()
  let backward = PhysiologyPreconditionerTable()
  let a = persons.map { forward.guidance(for: $0) }
  let b = persons.reversed().map { backward.guidance(for: $0) }.reversed()
  #expect(Array(b) == a)
  #expect(forward.referencesComputed > 8)
  #expect(forward.referencesComputed == backward.referencesComputed)
}

@Test func tableGuidanceCutsTheBeatsOfColdAndWarmSearches() throws {
  // Eleven yearly solves of each mapped person (age + 1, SBP + 0.6 mmHg a year), warm starts
  // extrapolated as the engine does, at the engine's tolerance: with the table's cold start and
  // interpolated preconditioner against Smith's volumes and the healthy adult's M.
  let mapping = PhysiologyMapping.standard
  let options = SteadyStateOptions()
  var cold = (table: 0, healthy: 0)
  var warm = (table: 0, healthy: 0)
  var coldCount = 0
  var warmCount = 0
  for person in mappedPersons() {
    var states: (table: PhysiologyState?, healthy: PhysiologyState?) = (nil, nil)
    var changes: (table: PhysiologyState?, healthy: PhysiologyState?) = (nil, nil)
    for year in 0...10 {
      var aged = person
      aged.ageYears += Double(year)
      aged.sbpMmHg += 0.6 * Double(year)
      let parameters = mapping.parameters(for: aged)
      func start(_ state: PhysiologyState?, _ change: PhysiologyState?) -> PhysiologyState? {
        guard let state else { return nil }
        return change.map { state.adding($0) } ?? state
      }
      let table = try PeriodicSteadyState.solve(
        parameters: parameters, warmStart: start(states.table, changes.table), options: options)
      let healthy = PeriodicSteadyState.search(
        parameters: parameters, warmStart: start(states.healthy, changes.healthy),
        options: options, preconditioner: .healthyAdult)
      #expect(table.converged && healthy.converged)
      // Both land on the same periodic state within the tolerance's effect.
      #expect(abs(table.metrics.sbp - healthy.metrics.sbp) < 0.05)
      if year == 0 {
        cold.table += table.beats
        cold.healthy += healthy.beats
        coldCount += 1
      } else {
        warm.table += table.beats
        warm.healthy += healthy.beats
        warmCount += 1
      }
      if let previous = states.table { changes.table = table.state.adding(previous, scaledBy: -1) }
      if let previous = states.healthy {
        changes.healthy = healthy.state.adding(previous, scaledBy: -1)
      }
      states = (table.state, healthy.state)
    }
  }
  let coldMean = (
    table: Double(cold.table) / Double(coldCount),
    healthy: Double(cold.healthy) / Double(coldCount)
  )
  let warmMean = (
    table: Double(warm.table) / Double(warmCount),
    healthy: Double(warm.healthy) / Double(warmCount)
  )
  // Measured: cold 2.0 vs 8.9 beats, warm 1.8 vs 2.6.
  #expect(coldMean.table <= 2.5, "cold \(coldMean)")
  #expect(coldMean.healthy >= 6, "cold \(coldMean)")
  #expect(warmMean.table <= 2.0, "warm \(warmMean)")
  #expect(warmMean.table < 0.8 * warmMean.healthy, "warm \(warmMean)")
}

@Test func gridCoordinatesClampAtTheEdges() {
  let grid = PhysiologyPreconditionerTable.resistanceFactors
  #expect(PhysiologyPreconditionerTable.locate(0.01, in: grid) == (0, 0))
  #expect(PhysiologyPreconditionerTable.locate(.nan, in: grid) == (0, 0))
  #expect(PhysiologyPreconditionerTable.locate(100, in: grid) == (grid.count - 2, 1))
  let inside = PhysiologyPreconditionerTable.locate(0.85, in: grid)
  #expect(inside.index == 2 && abs(inside.weight - 0.5) < 1e-12)
}
