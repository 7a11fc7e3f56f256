import Foundation
import Testing

@testable import TwinCore

/// Keys left out take the defaults of docs/scenario.md (the specification's
/// values, written out here independently of the schema).
@Suite struct ScenarioDefaultsTests {
  @Test func minimalScenarioTakesEveryDocumentedDefault() throws {
    let scenario = try ScenarioTestSupport.load(
      """
      name: minimal
      population: {size: 5, synthetic: {}}
      """)
    #expect(scenario.description == "")
    #expect(scenario.seed == 1)
    #expect(scenario.time == TimeSpec(startYear: 2025, horizonYears: 30, step: .year))
    #expect(scenario.population.size == 5)
    guard case .synthetic(let synthetic) = scenario.population.source else {
      Issue.record("expected a synthetic population")
      return
    }
    #expect(synthetic.femaleFraction == 0.5)
    #expect(synthetic.ageAtStart == .uniform(minYears: 40, maxYears: 70))
    #expect(
      synthetic.sbpMmHg == NormalAttribute(mean: 128, sd: 16, lowerLimit: 70, upperLimit: 250))
    #expect(
      synthetic.totalCholesterolMmolPerL
        == NormalAttribute(mean: 5.4, sd: 1.0, lowerLimit: 2, upperLimit: 15))
    #expect(
      synthetic.hdlMmolPerL == NormalAttribute(mean: 1.45, sd: 0.4, lowerLimit: 0.3, upperLimit: 4))
    #expect(
      synthetic.bmiKgPerM2 == NormalAttribute(mean: 27, sd: 4.5, lowerLimit: 12, upperLimit: 60))
    #expect(synthetic.smokingFraction == 0.25)
    #expect(synthetic.diabetesFraction == 0.07)
    #expect(synthetic.bpTreatedFraction == 0.15)
    #expect(synthetic.groups.isEmpty)

    let models = scenario.models
    #expect(models.riskEquation == .score2)
    #expect(models.score2Region == .moderate)
    #expect(models.race == .white)
    #expect(models.outsideValidity == .hold)
    #expect(models.cvdCaseFatality == .fixed(0.25))
    #expect(models.cvdHistoryRelativeRisk == .fixed(1.5))
    #expect(models.mortality.lifeTable == .destatis2022to2024)
    #expect(models.mortality.cvdShare == .fixed(0.33))
    #expect(models.mortality.gompertz == nil)
    #expect(models.trajectories.sbpMmHgPerYear == .fixed(0.6))
    #expect(models.trajectories.totalCholesterolMmolPerLPerYear == .fixed(0))
    #expect(models.trajectories.hdlMmolPerLPerYear == .fixed(0))
    #expect(models.trajectories.bmiKgPerM2PerYear == .fixed(0.1))
    #expect(models.conditions.isEmpty)

    #expect(scenario.arms.map(\.name) == ["baseline"])
    #expect(scenario.arms[0].interventions.isEmpty)
    #expect(scenario.baselineArmName == "baseline")
    #expect(
      scenario.output
        == OutputSpec(
          directory: "runs/minimal",
          record: ["alive", "sbp", "total_cholesterol", "hdl", "smoking", "risk10"],
          precision: .float32))
    #expect(scenario.uncertainty == UncertaintySpec(replicates: 1, parameterDraws: 0))
  }

  @Test func interventionDefaultsFollowTheScienceReadme() throws {
    let scenario = try ScenarioTestSupport.load(
      """
      name: interventions
      time: {start_year: 2030}
      population: {size: 5, synthetic: {}}
      arms:
        - name: all
          interventions:
            - {type: diet, kind: vegan}
            - {type: diet, kind: dash, from_age: 60}
            - {type: statin}
            - {type: antihypertensive, from_year: 2032}
            - {type: smoking, action: stop, fraction: 0.5}
      """)
    let interventions = scenario.arms[0].interventions
    #expect(
      interventions[0]
        == .diet(
          DietIntervention(
            start: .year(2030), fraction: .fixed(1), kind: .vegan,
            totalCholesterolShiftMmolPerL: .normal(mean: -0.36, sd: 0.097),
            hdlShiftMmolPerL: .fixed(-0.10), sbpShiftMmHg: .fixed(-4.8),
            bmiShiftKgPerM2: .fixed(-0.7), onsetYears: 1)))
    #expect(
      interventions[1]
        == .diet(
          DietIntervention(
            start: .ageYears(60), fraction: .fixed(1), kind: .dash,
            totalCholesterolShiftMmolPerL: .fixed(0), hdlShiftMmolPerL: .fixed(0),
            sbpShiftMmHg: .fixed(-5.5), bmiShiftKgPerM2: .fixed(0), onsetYears: 1)))
    #expect(
      interventions[2]
        == .statin(
          StatinIntervention(
            start: .year(2030), fraction: .fixed(1), ldlRelativeReduction: .fixed(0.30),
            totalCholesterolRelativeReduction: .fixed(0.25), uptake: .fixed(1),
            adherence: .fixed(0.8), minRisk10: nil)))
    #expect(
      interventions[3]
        == .antihypertensive(
          AntihypertensiveIntervention(
            start: .year(2032), fraction: .fixed(1), sbpReductionMmHg: .fixed(10),
            uptake: .fixed(1), adherence: .fixed(0.8), minSbpMmHg: nil)))
    #expect(
      interventions[4]
        == .smoking(SmokingIntervention(start: .year(2030), fraction: .fixed(0.5), action: .stop)))
  }

  @Test func tableDefaultsAreIdentityColumnsAndMillimoles() throws {
    let scenario = try ScenarioTestSupport.load(
      """
      name: table
      population:
        table: {path: data/cohort-example.csv}
      """)
    guard case .table(let table) = scenario.population.source else {
      Issue.record("expected a table population")
      return
    }
    #expect(scenario.population.size == nil)
    #expect(table.format == .csv)
    #expect(table.group == "/")
    for column in TableColumn.allCases {
      #expect(table.columnNames[column] == column.rawValue)
    }
    #expect(table.femaleCode == "female" && table.maleCode == "male")
    #expect(table.totalCholesterolUnit == .mmolPerL && table.hdlUnit == .mmolPerL)
  }

  @Test func defaultRecordLeavesOutRisk10WithoutARiskEquation() throws {
    let scenario = try ScenarioTestSupport.load(
      """
      name: none
      population: {size: 5, synthetic: {}}
      models: {risk_equation: none}
      """)
    #expect(scenario.output.record == ["alive", "sbp", "total_cholesterol", "hdl", "smoking"])
  }

  @Test func birthCohortReplacesTheDefaultAgeRange() throws {
    let scenario = try ScenarioTestSupport.load(
      """
      name: cohort
      population: {size: 5, synthetic: {birth_cohort: {from: 1950, to: 1960}}}
      baseline: second
      arms: [{name: first}, {name: second}]
      """)
    guard case .synthetic(let synthetic) = scenario.population.source else {
      Issue.record("expected a synthetic population")
      return
    }
    #expect(synthetic.ageAtStart == .birthCohort(fromYear: 1950, toYear: 1960))
    #expect(scenario.baselineArmIndex == 1)
  }

  @Test func plainNumbersWithDigitGroupingAreAccepted() throws {
    let scenario = try ScenarioTestSupport.load(
      """
      name: grouped
      population: {size: 100_000, synthetic: {}}
      """)
    #expect(scenario.population.size == 100_000)
  }
}
