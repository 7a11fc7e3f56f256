import Foundation
import Testing

@testable import TwinCore

/// Keeps every recorded state, for comparing runs.
struct CapturingRecorder: SimulationRecorder {
  var states: [ArmState] = []
  mutating func record(_ state: ArmState) throws { states.append(state) }
}

/// A scenario with every kind of intervention and two conditions.
let engineScenarioYAML = """
  name: engine-test
  seed: 7
  time: {start_year: 2025, horizon_years: 12}
  population:
    size: 300
    synthetic:
      age: {min: 40, max: 75}
      smoking: 0.3
  models:
    risk_equation: pce
    conditions:
      - name: ihd
        incidence: {gompertz: {a: 0.0004, b: 0.05}}
        prevalence: 0.05
        relative_risks: {smoking: 2.0}
        excess_mortality: 0.03
      - name: stroke
        incidence: {gompertz: {a: 0.0002, b: 0.055}}
        prevalence: 0.02
        relative_risks: {smoking: 1.8, ihd: 1.5}
        excess_mortality: 0.05
        case_fatality: 0.2
  arms:
    - name: baseline
    - name: statin_a
      interventions:
        - {type: statin, eligibility: {min_risk10: 0.075}}
        - {type: diet, kind: vegan, fraction: 0.5}
    - name: statin_b
      interventions:
        - {type: statin, eligibility: {min_risk10: 0.075}}
        - {type: diet, kind: vegan, fraction: 0.5}
    - name: quit
      interventions:
        - {type: smoking, action: stop, from_year: 2027}
        - {type: antihypertensive, eligibility: {min_sbp: 140}}
  """

func loadEngineScenario(_ yaml: String = engineScenarioYAML) throws -> Scenario {
  try ScenarioLoader.load(
    yaml: yaml, fileName: "engine-test.yaml",
    directoryURL: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
}

func simulate(
  _ scenario: Scenario, arm armIndex: Int, range: Range<Int>,
  recordsRiskFactors: Bool = true, adjusting adjust: (inout ModelParameters) -> Void = { _ in }
) throws -> (states: [ArmState], counts: StepCounts, events: EventLog) {
  let realisation = Realisation.all(scenario.uncertainty)[0]
  var resolver = ParameterResolver(scenario: scenario, realisation: realisation)
  var parameters = resolver.modelParameters()
  adjust(&parameters)
  let arms = resolver.arms()
  guard case .synthetic(let spec) = scenario.population.source else {
    throw TableError("test needs a synthetic population")
  }
  var block = PopulationSynthesizer(
    spec: spec, startYear: scenario.time.startYear,
    conditionPrevalences: parameters.conditions.map { ($0.name, $0.prevalence) },
    seed: scenario.seed
  ).block(range)
  // As the run driver does once the result file has the persons.
  block.releaseWrittenColumns(
    keepingRiskFactors: ArmSimulator.readsBlockRiskFactors(
      parameters: parameters, arms: [arms[armIndex]], recordsRiskFactors: recordsRiskFactors))
  var recorder = CapturingRecorder()
  let outcome = try ArmSimulator(
    parameters: parameters, arm: arms[armIndex], seed: scenario.seed,
    recordsRiskFactors: recordsRiskFactors
  ).run(block: block, recorder: &recorder)
  return (recorder.states, outcome.counts, outcome.events)
}

/// Bitwise equality that treats NaN payloads as values (NaN == NaN here).
func bitwiseEqual(_ lhs: [Double], _ rhs: [Double]) -> Bool {
  lhs.map(\.bitPattern) == rhs.map(\.bitPattern)
}

@Suite struct EngineTests {
  @Test func armsWithIdenticalInterventionsAreBitIdentical() throws {
    let scenario = try loadEngineScenario()
    let a = try simulate(scenario, arm: 1, range: 0..<300)
    let b = try simulate(scenario, arm: 2, range: 0..<300)
    #expect(a.counts == b.counts)
    #expect(a.events == b.events)
    #expect(a.states.count == b.states.count)
    for (stateA, stateB) in zip(a.states, b.states) {
      #expect(stateA.alive == stateB.alive)
      #expect(bitwiseEqual(stateA.sbp, stateB.sbp))
      #expect(bitwiseEqual(stateA.totalCholesterol, stateB.totalCholesterol))
      #expect(bitwiseEqual(stateA.risk10, stateB.risk10))
      #expect(stateA.conditions == stateB.conditions)
    }
  }

  @Test func riskFactorColumnsAreLeftOutWhenNothingReadsThem() throws {
    // A hazard-only model (no risk equation, no physiology) that records no risk factor:
    // the state leaves sbp, cholesterol, HDL, BMI and risk10 empty; everything else, and
    // every count and event, is as with the columns kept.
    let hazardOnly = try loadEngineScenario(
      engineScenarioYAML.replacingOccurrences(of: "risk_equation: pce", with: "risk_equation: none")
        .replacingOccurrences(of: "eligibility: {min_risk10: 0.075}", with: "fraction: 0.7"))
    // Arms 0-2 run on a block without its risk-factor columns (released); arm 3 gives
    // antihypertensive treatment, which reads the block's SBP.
    var resolver = ParameterResolver(
      scenario: hazardOnly, realisation: Realisation.all(hazardOnly.uncertainty)[0])
    let parameters = resolver.modelParameters()
    let arms = resolver.arms()
    let reads = arms.map {
      ArmSimulator.readsBlockRiskFactors(
        parameters: parameters, arms: [$0], recordsRiskFactors: false)
    }
    #expect(reads == [false, false, false, true])
    #expect(
      ArmSimulator.readsBlockRiskFactors(
        parameters: parameters, arms: arms, recordsRiskFactors: false))
    #expect(
      ArmSimulator.readsBlockRiskFactors(
        parameters: parameters, arms: [arms[0]], recordsRiskFactors: true))
    for arm in 0..<4 {
      let kept = try simulate(hazardOnly, arm: arm, range: 0..<300)
      let lean = try simulate(hazardOnly, arm: arm, range: 0..<300, recordsRiskFactors: false)
      #expect(lean.counts == kept.counts)
      #expect(lean.events == kept.events)
      #expect(kept.counts.deaths.reduce(0, +) > 0)
      #expect(lean.states.count == kept.states.count)
      for (leanState, keptState) in zip(lean.states, kept.states) {
        #expect(!leanState.keepsRiskFactors && keptState.keepsRiskFactors)
        #expect(leanState.sbp.isEmpty && leanState.totalCholesterol.isEmpty)
        #expect(leanState.hdl.isEmpty && leanState.bmi.isEmpty && leanState.risk10.isEmpty)
        #expect(keptState.sbp.count == 300 && keptState.risk10.count == 300)
        #expect(leanState.alive == keptState.alive)
        #expect(bitwiseEqual(leanState.ageYears, keptState.ageYears))
        #expect(leanState.smoking == keptState.smoking)
        #expect(leanState.bpTreated == keptState.bpTreated)
        #expect(leanState.conditions == keptState.conditions)
      }
    }
    // A risk equation reads them: kept whatever the recorder records.
    let withRisk = try simulate(
      try loadEngineScenario(), arm: 1, range: 0..<300, recordsRiskFactors: false)
    #expect(withRisk.states.allSatisfy { $0.keepsRiskFactors && $0.risk10.count == 300 })
  }

  @Test func interventionsChangeOutcomes() throws {
    let scenario = try loadEngineScenario()
    let baseline = try simulate(scenario, arm: 0, range: 0..<300)
    let statin = try simulate(scenario, arm: 1, range: 0..<300)
    let last = baseline.states.count - 1
    // Statins and a vegan diet lower cholesterol for those reached.
    let lowered = zip(baseline.states[2].totalCholesterol, statin.states[2].totalCholesterol)
      .filter { $0.1 < $0.0 }.count
    #expect(lowered > 100)
    // Lower risk, fewer cardiovascular events (same draws: common random numbers).
    let baselineEvents: Int64 = baseline.counts.cvdEvents.reduce(0, +)
    let statinEvents: Int64 = statin.counts.cvdEvents.reduce(0, +)
    #expect(statinEvents < baselineEvents)
    #expect(baseline.states[last].alive.count == statin.states[last].alive.count)
  }

  @Test func resultsDoNotDependOnTheBlockSplit() throws {
    let scenario = try loadEngineScenario()
    let whole = try simulate(scenario, arm: 3, range: 0..<300)
    let first = try simulate(scenario, arm: 3, range: 0..<113)
    let second = try simulate(scenario, arm: 3, range: 113..<300)
    for (index, state) in whole.states.enumerated() {
      let (left, right) = (first.states[index], second.states[index])
      let alive: [UInt8] = left.alive + right.alive
      let sbp: [Double] = left.sbp + right.sbp
      let risk: [Double] = left.risk10 + right.risk10
      #expect(state.alive == alive)
      #expect(bitwiseEqual(state.sbp, sbp))
      #expect(bitwiseEqual(state.risk10, risk))
    }
    let summed = zip(first.counts.flattened, second.counts.flattened).map { $0 + $1 }
    #expect(summed == whole.counts.flattened)
    var joined = first.events
    joined.person += second.events.person
    joined.time += second.events.time
    joined.kind += second.events.kind
    #expect(joined == whole.events)
  }

  @Test func countsAgreeWithStatesAndEvents() throws {
    let scenario = try loadEngineScenario()
    let run = try simulate(scenario, arm: 0, range: 0..<300)
    for (index, state) in run.states.enumerated() {
      #expect(run.counts.alive[index] == Int64(state.alive.reduce(0) { $0 + Int($1) }))
    }
    let deaths: Int64 = run.counts.deaths.reduce(0, +)
    #expect(deaths == 300 - run.counts.alive.last!)
    let deathKinds = Set([EventKind.cvdDeath, EventKind.otherDeath]).union(
      (0..<2).map { EventKind.conditionDeath($0) })
    #expect(Int64(run.events.kind.filter { deathKinds.contains($0) }.count) == deaths)
    let cvdDeaths: Int64 = run.counts.cvdDeaths.reduce(0, +)
    let otherDeaths: Int64 = run.counts.otherDeaths.reduce(0, +)
    #expect(deaths == cvdDeaths + otherDeaths)
    // Events are in person, then time order.
    for index in 1..<run.events.count {
      let ordered =
        run.events.person[index - 1] < run.events.person[index]
        || (run.events.person[index - 1] == run.events.person[index]
          && run.events.time[index - 1] <= run.events.time[index])
      #expect(ordered)
    }
  }

  @Test func blockDecompositionCoversEveryPersonOnce() {
    for count in [0, 1, 7, 100, 1001] {
      for ranks in 1...5 {
        let split = BlockDecomposition(count: count, ranks: ranks)
        let ranges = (0..<ranks).map(split.range(ofRank:))
        #expect(ranges.map(\.count).reduce(0, +) == count)
        for index in 1..<ranks { #expect(ranges[index].lowerBound == ranges[index - 1].upperBound) }
        #expect(ranges.map(\.count).max()! - ranges.map(\.count).min()! <= 1)
      }
    }
  }
}

@Suite struct ResumeTests {
  @Test func resumingFromSavedStateGivesTheUninterruptedResult() throws {
    let scenario = try loadEngineScenario()
    let realisation = Realisation.all(scenario.uncertainty)[0]
    var resolver = ParameterResolver(scenario: scenario, realisation: realisation)
    let parameters = resolver.modelParameters()
    let arms = resolver.arms()
    guard case .synthetic(let spec) = scenario.population.source else { return }
    let block = PopulationSynthesizer(
      spec: spec, startYear: scenario.time.startYear,
      conditionPrevalences: parameters.conditions.map { ($0.name, $0.prevalence) },
      seed: scenario.seed
    ).block(0..<300)
    for armIndex in arms.indices {
      let simulator = ArmSimulator(parameters: parameters, arm: arms[armIndex], seed: scenario.seed)
      var whole = CapturingRecorder()
      let uninterrupted = try simulator.run(block: block, recorder: &whole)

      var first = CapturingRecorder()
      var progress = simulator.start(block: block)
      for _ in 0..<5 { _ = try simulator.advance(&progress, block: block, recorder: &first) }
      let saved = progress.saved
      var second = CapturingRecorder()
      var resumed = simulator.resume(block: block, saved: saved)
      while try simulator.advance(&resumed, block: block, recorder: &second) {}
      let result = simulator.finish(resumed)

      #expect(result.counts == uninterrupted.counts)
      #expect(result.events == uninterrupted.events)
      let states = first.states + second.states
      #expect(states.count == whole.states.count)
      for (lhs, rhs) in zip(states, whole.states) {
        #expect(lhs.alive == rhs.alive)
        #expect(lhs.smoking == rhs.smoking)
        #expect(bitwiseEqual(lhs.sbp, rhs.sbp))
        #expect(bitwiseEqual(lhs.totalCholesterol, rhs.totalCholesterol))
        #expect(bitwiseEqual(lhs.risk10, rhs.risk10))
        #expect(bitwiseEqual(lhs.ageYears, rhs.ageYears))
      }
    }
  }
}
