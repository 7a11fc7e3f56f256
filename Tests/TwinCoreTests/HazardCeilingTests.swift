import Foundation
import Testing

@testable import TwinCore

/// The event loop's log-free check (`HazardCeilings`) must never skip a draw that gives an
/// event: results with and without it are bit-identical.
@Suite struct HazardCeilingTests {
  /// `engineScenarioYAML` with some of its lines replaced.
  func scenario(_ replacements: [(String, String)]) throws -> Scenario {
    var yaml = engineScenarioYAML
    for (old, new) in replacements {
      precondition(yaml.contains(old), "test scenario has no \(old)")
      yaml = yaml.replacingOccurrences(of: old, with: new)
    }
    return try loadEngineScenario(yaml)
  }

  func run(_ scenario: Scenario, arm: Int, skipping: Bool) throws -> (
    states: [ArmState], counts: StepCounts, events: EventLog
  ) {
    try simulate(scenario, arm: arm, range: 0..<(scenario.population.size ?? 0)) {
      $0.skipsDrawsWithoutEvents = skipping
    }
  }

  static let variants: [(String, [(String, String)])] = [
    ("life table, PCE, Gompertz conditions, yearly", []),
    ("monthly steps", [("horizon_years: 12}", "horizon_years: 6, step: month}")]),
    (
      "hazards held at the step's start",
      [("risk_equation: pce", "risk_equation: pce\n  hazard_timing: step_start")]
    ),
    (
      "Gompertz background",
      [
        (
          "risk_equation: pce",
          "risk_equation: none\n  mortality: {gompertz: {a: 3.0e-5, b: 0.09}}"
        )
      ]
    ),
    (
      "table incidence",
      [
        (
          "incidence: {gompertz: {a: 0.0002, b: 0.055}}",
          "incidence: {table: {ages: [0, 50, 65], female: [0.001, 0.01, 0.04], male: [0.002, 0.02, 0.06]}}"
        )
      ]
    ),
  ]

  @Test(arguments: 0..<variants.count)
  func skippingDrawsWithoutEventsIsBitIdentical(variant: Int) throws {
    let (name, replacements) = Self.variants[variant]
    let changed = try scenario(replacements + [("size: 300", "size: 4000")])
    for arm in [0, 3] {
      let fast = try run(changed, arm: arm, skipping: true)
      let full = try run(changed, arm: arm, skipping: false)
      #expect(fast.counts == full.counts, "\(name), arm \(arm)")
      #expect(fast.events == full.events, "\(name), arm \(arm)")
      #expect(fast.events.count > 100, "\(name): the scenario has events")
      for (a, b) in zip(fast.states, full.states) {
        #expect(a.alive == b.alive && a.conditions == b.conditions && a.cvdHistory == b.cvdHistory)
      }
    }
  }

  @Test func noDrawThatGivesAnEventIsSkipped() {
    // Draws placed just around each cause's cumulative hazard H (E = -ln u within 1e-6 of H,
    // where the bound is tightest) and at random: a skipped draw must give no event.
    let gompertzMortality = BackgroundMortality(
      source: "test", smokingRelativeRisk: 2.5, smokingReferencePrevalence: 0.3,
      gompertz: (a: 3e-5, b: 0.09)
    ) { _, age in 3e-5 * exp(0.09 * Double(age)) }
    let tableMortality = BackgroundMortality(
      source: "test", smokingRelativeRisk: 2.5, smokingReferencePrevalence: 0.3
    ) { sex, age in (sex == .female ? 2e-5 : 3e-5) * exp(0.095 * Double(age)) }
    let conditions = [
      ConditionParameters(
        name: "g", incidence: .gompertz(a: [4e-4, 2.5e-4], b: [0.05, 0.061]), prevalence: 0,
        relativeRiskSmoking: 2, relativeRiskDiabetes: 1, relativeRiskBpTreated: 1,
        relativeRiskConditions: [], excessMortality: 0.03, caseFatality: 0,
        countsAsCVD: false, historyRelativeRisk: 1),
      ConditionParameters(
        name: "t", incidence: .table(ages: [0, 50.5], rates: [[0.01, 0.04], [0.02, 0.05]]),
        prevalence: 0, relativeRiskSmoking: 1, relativeRiskDiabetes: 1,
        relativeRiskBpTreated: 1, relativeRiskConditions: [], excessMortality: 0,
        caseFatality: 0, countsAsCVD: false, historyRelativeRisk: 1),
    ]
    var generator = SystemRandomNumberGenerator()
    var skipped = 0
    var checked = 0
    for mortality in [gompertzMortality, tableMortality] {
      for stepYears in [1.0, 1.0 / 12] {
        var parameters = ModelParameters(
          stepYears: stepYears, steps: 10, cardiovascularRisk: nil, cvdCaseFatality: 0,
          cvdHistoryRelativeRisk: 1, background: mortality,
          trajectories: Trajectories(
            sbpMmHgPerYear: 0, totalCholesterolMmolLPerYear: 0, hdlMmolLPerYear: 0,
            bmiPerYear: 0),
          conditions: conditions)
        for exact in [true, false] {
          parameters.exactHazardTiming = exact
          let ceilings = HazardCeilings(parameters: parameters)
          for _ in 0..<20_000 {
            let sex = UInt8.random(in: 0...1, using: &generator)
            let age = Double.random(in: 0..<130.9, using: &generator)
            let smoker = Bool.random(using: &generator)
            let risk = [0, 0.5, 1, 2.7].randomElement(using: &generator)!
            guard let k = ceilings.wholeAge(age) else { continue }
            // Cumulative hazards over the step from the exact code: E at which the event time
            // equals the step, found from the times of two draws.
            func background(_ e: Double) -> Double {
              mortality.eventTime(
                sex: sex, smoker: smoker, ageYears: age, exponential: e,
                withinYears: stepYears, exactTiming: exact)
            }
            func onset(_ c: Int, _ e: Double) -> Double {
              conditions[c].onsetTime(
                sex: sex, ageYears: age, relativeRisk: risk, exponential: e,
                withinYears: stepYears, exactTiming: exact)
            }
            let multiplier = smoker ? mortality.smokerMultiplier : mortality.nonSmokerMultiplier
            let cases: [(rate: Double, time: (Double) -> Double)] = [
              (ceilings.backgroundRate(sex: sex, wholeAge: k, multiplier: multiplier), background),
              (
                ceilings.onsetRate(condition: 0, sex: sex, wholeAge: k, relativeRisk: risk),
                { onset(0, $0) }
              ),
              (
                ceilings.onsetRate(condition: 1, sex: sex, wholeAge: k, relativeRisk: risk),
                { onset(1, $0) }
              ),
              (0.03, { $0 / 0.03 < stepYears ? $0 / 0.03 : .infinity }),
            ]
            for (rate, time) in cases {
              // The E where the event leaves the step, by bisection on the exact code.
              var low = 0.0
              var high = 50.0
              for _ in 0..<200 {
                let middle = (low + high) / 2
                if time(middle) < stepYears { low = middle } else { high = middle }
              }
              for e in [
                low * (1 - 1e-6), low, high, high * (1 + 1e-6),
                Double.random(in: 0..<max(4 * high, 1e-9), using: &generator),
              ] where e > 0 {
                let u = exp(-e)
                guard u < 1 else { continue }
                checked += 1
                if ceilings.certainlyNoEvent(u, rate: rate) {
                  skipped += 1
                  #expect(!(time(-log(u)) < stepYears), "age \(age), e \(e), rate \(rate)")
                }
              }
            }
          }
        }
      }
    }
    #expect(checked > 100_000)
    #expect(skipped > checked / 10)
  }
}
