import Foundation
import Testing

@testable import TwinCore

/// Event times within a step, against an independent root search of the
/// cumulative hazard (bisection on the integral, not the closed forms).
@Suite struct HazardTimingTests {
  /// Solves cumulative(t) = target on [0, limit] by bisection (cumulative increasing).
  func bisect(_ cumulative: (Double) -> Double, target: Double, limit: Double) -> Double {
    var low = 0.0
    var high = limit
    for _ in 0..<200 {
      let middle = (low + high) / 2
      if cumulative(middle) < target { low = middle } else { high = middle }
    }
    return (low + high) / 2
  }

  /// Trapezoid integral of a hazard over [0, t] with fine steps.
  func integral(_ hazard: (Double) -> Double, _ t: Double) -> Double {
    let steps = 4000
    let width = t / Double(steps)
    var sum = 0.0
    for index in 0..<steps {
      sum += (hazard(Double(index) * width) + hazard(Double(index + 1) * width)) / 2 * width
    }
    return sum
  }

  @Test func gompertzBackgroundTimeInvertsTheCumulativeHazard() {
    let background = BackgroundMortality(source: "test", gompertz: (1e-3, 0.1)) { _, _ in 0 }
    let age = 50.3
    let expected = bisect(
      { t in integral({ 1e-3 * exp(0.1 * (age + $0)) }, t) }, target: 0.1, limit: 1)
    let time = background.eventTime(
      sex: 0, smoker: false, ageYears: age, exponential: 0.1, withinYears: 1)
    #expect(abs(time - expected) < 1e-6)
    // Held at the start age: time = E / h(age).
    let held = background.eventTime(
      sex: 0, smoker: false, ageYears: age, exponential: 0.1, withinYears: 1, exactTiming: false)
    #expect(abs(held - 0.1 / (1e-3 * exp(0.1 * age))) < 1e-12)
    #expect(held > time)
  }

  @Test func tableBackgroundChangesHazardAtTheBirthday() {
    // 0.1 per year at 40, 0.4 at 41: from 40.75, a quarter year at 0.1, then 0.4.
    let background = BackgroundMortality(source: "test") { _, age in age <= 40 ? 0.1 : 0.4 }
    let time = background.eventTime(
      sex: 1, smoker: false, ageYears: 40.75, exponential: 0.125, withinYears: 1)
    // 0.025 used by the birthday, the remaining 0.1 at 0.4 per year takes 0.25 years.
    #expect(abs(time - 0.5) < 1e-12)
    #expect(
      background.eventTime(sex: 1, smoker: false, ageYears: 40.75, exponential: 0.5, withinYears: 1)
        == .infinity)
  }

  @Test func smokersHazardIsSplitToReproduceTheTable() {
    let background = BackgroundMortality(
      source: "test", smokingRelativeRisk: 3, smokingReferencePrevalence: 0.25
    ) { _, _ in 0.01 }
    let mix = 0.75 * background.nonSmokerMultiplier + 0.25 * background.smokerMultiplier
    #expect(abs(mix - 1) < 1e-15)
    #expect(abs(background.smokerMultiplier / background.nonSmokerMultiplier - 3) < 1e-12)
  }

  @Test(arguments: [true, false])
  func eventLoopScalarsGiveBitIdenticalOnsetTimes(exactTiming: Bool) {
    let condition = ConditionParameters(
      name: "x", incidence: .gompertz(a: [4e-4, 2.5e-4], b: [0.05, 0.061]), prevalence: 0,
      relativeRiskSmoking: 2, relativeRiskDiabetes: 1, relativeRiskBpTreated: 1,
      relativeRiskConditions: [], excessMortality: 0, caseFatality: 0, countsAsCVD: false,
      historyRelativeRisk: 1)
    let scalars = ConditionScalars(condition)
    var generator = SystemRandomNumberGenerator()
    for _ in 0..<20_000 {
      let sex = UInt8.random(in: 0...1, using: &generator)
      let age = Double.random(in: 0...110, using: &generator)
      let risk = [0, 0.5, 1, 1.8, 3.7].randomElement(using: &generator)!
      let exponential = -log(Double.random(in: 1e-12..<1, using: &generator))
      let within = [1.0, 1.0 / 12].randomElement(using: &generator)!
      let reference = condition.onsetTime(
        sex: sex, ageYears: age, relativeRisk: risk, exponential: exponential,
        withinYears: within, exactTiming: exactTiming)
      let fast = scalars.gompertzOnsetTime(
        sex: sex, ageYears: age, relativeRisk: risk, exponential: exponential,
        withinYears: within, exactTiming: exactTiming)
      #expect(fast?.bitPattern == reference.bitPattern)
    }
    let table = ConditionParameters(
      name: "t", incidence: .table(ages: [0, 50], rates: [[0.01, 0.02], [0.01, 0.02]]),
      prevalence: 0, relativeRiskSmoking: 1, relativeRiskDiabetes: 1, relativeRiskBpTreated: 1,
      relativeRiskConditions: [], excessMortality: 0, caseFatality: 0, countsAsCVD: false,
      historyRelativeRisk: 1)
    #expect(
      ConditionScalars(table).gompertzOnsetTime(
        sex: 0, ageYears: 40, relativeRisk: 1, exponential: 0.1, withinYears: 1,
        exactTiming: exactTiming) == nil)
  }

  @Test func gompertzOnsetInvertsTheCumulativeHazard() {
    let condition = ConditionParameters(
      name: "x", incidence: .gompertz(a: [4e-4, 4e-4], b: [0.05, 0.05]), prevalence: 0,
      relativeRiskSmoking: 2, relativeRiskDiabetes: 1, relativeRiskBpTreated: 1,
      relativeRiskConditions: [], excessMortality: 0, caseFatality: 0, countsAsCVD: false,
      historyRelativeRisk: 1)
    let age = 61.2
    let target = 0.004
    let expected = bisect(
      { t in integral({ 2 * 4e-4 * exp(0.05 * (age + $0)) }, t) }, target: target, limit: 1)
    let time = condition.onsetTime(
      sex: 0, ageYears: age, relativeRisk: 2, exponential: target, withinYears: 1)
    #expect(abs(time - expected) < 1e-6)
  }
}
