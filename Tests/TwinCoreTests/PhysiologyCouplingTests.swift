import Foundation
import Testing
import TwinModels
import TwinPhysiology

@testable import TwinCore

/// A small scenario with the physiology on: arms for blood-pressure treatment (twice, to check
/// bit identity), quitting smoking, and a statin whose eligibility depends on the risk.
let physiologyScenarioYAML = """
  name: physiology-test
  seed: 5
  time: {start_year: 2025, horizon_years: 5}
  population:
    size: 96
    synthetic:
      age: {min: 40, max: 75}
      smoking: 0.3
  models:
    risk_equation: score2
  physiology: {model: smith2004}
  arms:
    - name: baseline
    - name: treat
      interventions:
        - {type: antihypertensive, from_year: 2027, eligibility: {min_sbp: 130}}
    - name: treat_again
      interventions:
        - {type: antihypertensive, from_year: 2027, eligibility: {min_sbp: 130}}
    - name: quit
      interventions:
        - {type: smoking, action: stop, from_year: 2027}
        - {type: statin, eligibility: {min_risk10: 0.05}}
  """

/// Everything a run of one arm produced, for comparisons.
struct ArmRun {
  var states: [ArmState]
  var counts: StepCounts
  var events: EventLog
}

func physiologyScenario(_ yaml: String = physiologyScenarioYAML) throws -> Scenario {
  try loadEngineScenario(yaml)
}

func runArm(_ scenario: Scenario, arm: Int, range: Range<Int>) throws -> ArmRun {
  let run = try simulate(scenario, arm: arm, range: range)
  return ArmRun(states: run.states, counts: run.counts, events: run.events)
}

/// The physiology's recorded columns of a state, in a fixed order.
func physiologyColumns(_ state: ArmState) -> [[Double]] {
  let physiology = state.physiology
  return [
    physiology.metrics.sbp, physiology.metrics.dbp, physiology.metrics.pulsePressure,
    physiology.metrics.cardiacOutput, physiology.metrics.ejectionFraction, physiology.pwv,
    physiology.riskSbp, state.risk10,
  ]
}

@Suite struct PhysiologyCouplingTests {
  @Test func physiologyOffBehavesExactlyLikeNoPhysiologyKey() throws {
    let absent = try loadEngineScenario()
    let off = try loadEngineScenario(engineScenarioYAML + "\nphysiology: {model: off}\n")
    #expect(off.physiology == nil)
    for arm in 0..<4 {
      let a = try simulate(absent, arm: arm, range: 0..<300)
      let b = try simulate(off, arm: arm, range: 0..<300)
      #expect(a.counts == b.counts)
      #expect(a.events == b.events)
      for (lhs, rhs) in zip(a.states, b.states) {
        #expect(bitwiseEqual(lhs.sbp, rhs.sbp))
        #expect(bitwiseEqual(lhs.risk10, rhs.risk10))
        #expect(!rhs.physiology.isOn && rhs.physiology.metrics.count == 0)
      }
    }
  }

  @Test func defaultRecordAddsThePhysiologyOutputs() throws {
    let scenario = try physiologyScenario()
    #expect(scenario.physiology?.model == .smith2004)
    for name in [
      "sbp_model", "dbp_model", "pulse_pressure", "cardiac_output", "ejection_fraction", "pwv",
    ] {
      #expect(scenario.output.record.contains(name))
    }
    let without = try loadEngineScenario()
    #expect(!without.output.record.contains("sbp_model"))
  }

  @Test func physiologyVariablesWithoutPhysiologyAreRefused() {
    let yaml = """
      name: x
      population: {size: 10, synthetic: {age: {min: 40, max: 60}}}
      output: {record: [alive, sbp_model]}
      """
    let problems = ScenarioTestSupport.diagnostics(yaml)
    #expect(problems.count == 1)
    #expect(problems.first?.contains("output.record[1]: expected variables that exist") == true)
    #expect(problems.first?.contains("physiology: {model: smith2004}") == true)
    let badModel = ScenarioTestSupport.diagnostics(
      "name: x\npopulation: {size: 10, synthetic: {age: {min: 40, max: 60}}}\n"
        + "physiology: {model: smith2005}\n")
    #expect(badModel.count == 1)
    #expect(badModel.first?.contains("physiology.model") == true)
  }

  @Test func armsWithIdenticalInterventionsAreBitIdenticalWithPhysiology() throws {
    let scenario = try physiologyScenario()
    let a = try runArm(scenario, arm: 1, range: 0..<96)
    let b = try runArm(scenario, arm: 2, range: 0..<96)
    #expect(a.counts == b.counts)
    #expect(a.events == b.events)
    for (lhs, rhs) in zip(a.states, b.states) {
      #expect(lhs.alive == rhs.alive)
      for (left, right) in zip(physiologyColumns(lhs), physiologyColumns(rhs)) {
        #expect(bitwiseEqual(left, right))
      }
    }
  }

  @Test func physiologyResultsDoNotDependOnTheBlockSplit() throws {
    let scenario = try physiologyScenario()
    for arm in [0, 3] {
      let whole = try runArm(scenario, arm: arm, range: 0..<96)
      let parts = try [0..<17, 17..<50, 50..<96].map { try runArm(scenario, arm: arm, range: $0) }
      for (index, state) in whole.states.enumerated() {
        let joined = parts.map { physiologyColumns($0.states[index]) }
        for (column, values) in physiologyColumns(state).enumerated() {
          #expect(bitwiseEqual(values, joined.flatMap { $0[column] }))
        }
      }
      let summed = parts.map(\.counts.flattened).reduce(
        [Int64](repeating: 0, count: whole.counts.flattened.count)
      ) { zip($0, $1).map { $0 + $1 } }
      #expect(summed == whole.counts.flattened)
      #expect(parts.flatMap(\.events.person) == whole.events.person)
      #expect(bitwiseEqual(parts.flatMap(\.events.time), whole.events.time))
    }
  }

  @Test func riskEquationsSeeObservedBaselinePlusModelledChange() throws {
    let scenario = try physiologyScenario()
    let run = try runArm(scenario, arm: 3, range: 0..<96)
    let risk = try #require(
      ParameterResolver(
        scenario: scenario, realisation: Realisation.all(scenario.uncertainty)[0]
      ).modelParametersCopy().cardiovascularRisk)
    let first = run.states[0]
    var checked = 0
    for state in run.states {
      for person in 0..<state.count where state.alive[person] == 1 {
        let modelled = state.physiology.metrics.sbp[person]
        let expected = first.sbp[person] + (modelled - first.physiology.metrics.sbp[person])
        #expect(abs(state.physiology.riskSbp[person] - expected) < 1e-9)
        let factors = RiskFactors(
          sex: isFemale(state, person) ? .female : .male,
          ageYears: state.ageYears[person], totalCholesterolMmolL: state.totalCholesterol[person],
          hdlCholesterolMmolL: state.hdl[person], sbpMmHg: expected,
          bpTreated: state.bpTreated[person] == 1, smoker: state.smoking[person] == 1,
          diabetes: state.diabetes[person] == 1)
        #expect(abs(state.risk10[person] - risk.tenYearRisk(factors)) < 1e-9)
        checked += 1
      }
    }
    #expect(checked > 400)
    // At time 0 the equations see exactly the observed SBP.
    for person in 0..<first.count {
      #expect(first.physiology.riskSbp[person] == first.sbp[person])
    }
  }

  @Test func interventionsReachThePhysiologyThroughTheNamedQuantities() throws {
    let scenario = try physiologyScenario()
    let baseline = try runArm(scenario, arm: 0, range: 0..<96)
    let treat = try runArm(scenario, arm: 1, range: 0..<96)
    let quit = try runArm(scenario, arm: 3, range: 0..<96)
    let year = 3
    let (base, treated, quitted) = (baseline.states[year], treat.states[year], quit.states[year])
    var lowered = 0
    var quitters = 0
    for person in 0..<base.count where base.alive[person] == 1 && treated.alive[person] == 1 {
      // Treatment lowers `sbp`; the calibrated model lowers its SBP by the same amount (the
      // resistance table is exact at its nodes; between nodes interpolation and the PWV effect
      // leave a fraction of a mmHg).
      let sbpChange = treated.sbp[person] - base.sbp[person]
      let modelChange =
        treated.physiology.metrics.sbp[person] - base.physiology.metrics.sbp[person]
      if sbpChange < -1 {
        lowered += 1
        #expect(abs(modelChange - sbpChange) < 0.6)
      } else {
        #expect(modelChange == 0)
      }
      // Quitting changes no `sbp` but lowers PWV by the smokers' factor 1.08, and with it the
      // modelled SBP (the mediated effect of smoking).
      if quitted.alive[person] == 1, base.smoking[person] == 1, quitted.smoking[person] == 0 {
        quitters += 1
        #expect(quitted.sbp[person] == base.sbp[person])
        #expect(abs(base.physiology.pwv[person] / quitted.physiology.pwv[person] - 1.08) < 1e-12)
        #expect(quitted.physiology.metrics.sbp[person] < base.physiology.metrics.sbp[person] - 1)
        #expect(quitted.physiology.riskSbp[person] < base.physiology.riskSbp[person] - 1)
      }
    }
    #expect(lowered > 20)
    #expect(quitters > 5)
  }

  @Test func nonSmokersModelledSbpFollowsTheirSbp() throws {
    let scenario = try physiologyScenario()
    let run = try runArm(scenario, arm: 0, range: 0..<96)
    var checked = 0
    for state in run.states {
      for person in 0..<state.count where state.alive[person] == 1 && state.smoking[person] == 0 {
        #expect(abs(state.physiology.metrics.sbp[person] - state.sbp[person]) < 1)
        #expect(state.physiology.metrics.converged[person] || state.timeIndex > 0)
        checked += 1
      }
    }
    #expect(checked > 300)
  }

  @Test func deadPersonsHaveNoPhysiologyValues() throws {
    let scenario = try physiologyScenario()
    let run = try runArm(scenario, arm: 0, range: 0..<96)
    let last = try #require(run.states.last)
    #expect(last.alive.contains(0))
    for person in 0..<last.count where last.alive[person] == 0 {
      #expect(last.physiology.metrics.sbp[person].isNaN)
      #expect(last.physiology.pwv[person].isNaN)
      #expect(last.physiology.riskSbp[person].isNaN)
    }
  }

  @Test func monthlyStepsSolveOnceAYearAndResumeMidYearIdentically() throws {
    let yaml = physiologyScenarioYAML.replacingOccurrences(
      of: "horizon_years: 5}", with: "horizon_years: 2, step: month}"
    ).replacingOccurrences(of: "from_year: 2027", with: "from_year: 2026")
    let scenario = try physiologyScenario(yaml)
    let realisation = Realisation.all(scenario.uncertainty)[0]
    var resolver = ParameterResolver(scenario: scenario, realisation: realisation)
    let parameters = resolver.modelParameters()
    let arms = resolver.arms()
    guard case .synthetic(let spec) = scenario.population.source else { return }
    let block = PopulationSynthesizer(
      spec: spec, startYear: scenario.time.startYear,
      conditionPrevalences: [], seed: scenario.seed
    ).block(0..<96)
    let simulator = ArmSimulator(parameters: parameters, arm: arms[1], seed: scenario.seed)
    var whole = CapturingRecorder()
    var uninterrupted = simulator.start(block: block)
    while try simulator.advance(&uninterrupted, block: block, recorder: &whole) {}

    // Solved at time points 0, 12 and 24 only: within a year the model's values hold.
    let states = whole.states
    #expect(states.count == 25)
    for index in 1..<states.count where index % 12 != 0 {
      for person in 0..<block.count where states[index].alive[person] == 1 {
        #expect(
          states[index].physiology.metrics.sbp[person]
            == states[index - 1].physiology.metrics.sbp[person])
      }
    }
    let yearlyAlive = [0, 12, 24].map { states[$0].alive.reduce(0) { $0 + Int($1) } }
    #expect(uninterrupted.state.physiology.statistics.persons == yearlyAlive.reduce(0, +))

    // Stop in the middle of the second year, keep only what a checkpoint keeps, resume.
    var first = CapturingRecorder()
    var progress = simulator.start(block: block)
    for _ in 0..<17 { _ = try simulator.advance(&progress, block: block, recorder: &first) }
    let saved = progress.saved
    #expect(saved.physiology?.columns.count == SavedPhysiologyState.columnNames.count)
    var second = CapturingRecorder()
    var resumed = simulator.resume(block: block, saved: saved)
    while try simulator.advance(&resumed, block: block, recorder: &second) {}
    #expect(simulator.finish(resumed).counts == simulator.finish(uninterrupted).counts)
    #expect(simulator.finish(resumed).events == simulator.finish(uninterrupted).events)
    for (lhs, rhs) in zip(first.states + second.states, states) {
      #expect(lhs.alive == rhs.alive)
      for (left, right) in zip(physiologyColumns(lhs), physiologyColumns(rhs)) {
        #expect(bitwiseEqual(left, right))
      }
    }
    #expect(resumed.saved == uninterrupted.saved)
  }
}

/// Sex is not a column of the state; the block's persons are drawn by the synthesizer with
/// the test's seed, so read it from a fresh block.
private func isFemale(_ state: ArmState, _ person: Int) -> Bool {
  femaleFlags[person]
}

private let femaleFlags: [Bool] = {
  guard let scenario = try? physiologyScenario(),
    case .synthetic(let spec) = scenario.population.source
  else { return [] }
  return PopulationSynthesizer(
    spec: spec, startYear: scenario.time.startYear, conditionPrevalences: [],
    seed: scenario.seed
  ).block(0..<96).sex.map { $0 == 0 }
}()

extension ParameterResolver {
  /// `modelParameters()` on a copy (tests read parameters without keeping the resolver).
  func modelParametersCopy() -> ModelParameters {
    var copy = self
    return copy.modelParameters()
  }
}
