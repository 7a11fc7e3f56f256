import Foundation
import Testing

@testable import TwinCore

/// The example scenarios in scenarios/ are valid and mean what their comments say.
@Suite struct ScenarioExamplesTests {
  static let exampleNames = try! FileManager.default
    .contentsOfDirectory(atPath: ScenarioTestSupport.scenariosFolder.path)
    .filter { $0.hasSuffix(".yaml") }.sorted()

  @Test func scenariosFolderHoldsTheDocumentedExamples() {
    for name in [
      "quickstart.yaml", "cohort-life-table.yaml", "conditions.yaml", "table-cohort.yaml",
    ] {
      #expect(Self.exampleNames.contains(name))
    }
  }

  @Test(arguments: exampleNames)
  func everyExampleScenarioValidates(name: String) {
    let path = ScenarioTestSupport.scenariosFolder.appendingPathComponent(name).path
    let diagnostics = ScenarioLoader.validate(path: path)
    #expect(diagnostics.isEmpty, "\(diagnostics.map(\.description).joined(separator: "\n"))")
  }

  private func example(_ name: String) throws -> Scenario {
    try ScenarioLoader.load(
      path: ScenarioTestSupport.scenariosFolder.appendingPathComponent(name).path)
  }

  @Test func quickstartHasTenThousandPersonsFourArmsThirtyYears() throws {
    let scenario = try example("quickstart.yaml")
    #expect(scenario.population.size == 10_000)
    #expect(scenario.arms.map(\.name) == ["baseline", "lifelong_smoking", "vegan", "statin"])
    #expect(scenario.time.horizonYears == 30)
    #expect(scenario.baselineArmName == "baseline")
    #expect(scenario.output.directory == "runs/quickstart")
    guard case .synthetic(let synthetic) = scenario.population.source else {
      Issue.record("quickstart should be synthetic")
      return
    }
    #expect(synthetic.ageAtStart == .uniform(minYears: 40, maxYears: 70))
    #expect(synthetic.groups.count == 2)
    #expect(synthetic.groups[0].ageYears == ClosedOpenRangeYears(minYears: 40, maxYears: 55))
    #expect(synthetic.groups[1].sbpMmHg?.mean == 134)
    #expect(synthetic.groups[1].smokingFraction == nil)
    // The smoking arm starts smoking for everyone from the start year.
    #expect(
      scenario.arms[1].interventions == [
        .smoking(SmokingIntervention(start: .year(2025), fraction: .fixed(1), action: .start))
      ])
    guard case .statin(let statin) = scenario.arms[3].interventions.first else {
      Issue.record("statin arm should hold a statin")
      return
    }
    #expect(statin.uptake == .uniform(min: 0.5, max: 0.9))
    #expect(statin.minRisk10 == 0.075)
    #expect(statin.ldlRelativeReduction == .fixed(0.30))
    #expect(scenario.sourceYAML.hasPrefix("# twin-sim quickstart scenario"))
  }

  @Test func cohortLifeTableIsAFortyYearOldCohortWithBackgroundMortalityOnly() throws {
    let scenario = try example("cohort-life-table.yaml")
    #expect(scenario.population.size == 100_000)
    #expect(scenario.time.horizonYears == 60)
    #expect(scenario.models.riskEquation == .none)
    #expect(scenario.models.conditions.isEmpty)
    #expect(scenario.models.mortality.lifeTable == .destatis2016to2018)
    #expect(scenario.arms.count == 1 && scenario.arms[0].interventions.isEmpty)
    guard case .synthetic(let synthetic) = scenario.population.source else {
      Issue.record("cohort should be synthetic")
      return
    }
    #expect(synthetic.ageAtStart == .uniform(minYears: 40, maxYears: 41))
  }

  @Test func conditionsExampleDeclaresTwoConditionsWithDistributions() throws {
    let scenario = try example("conditions.yaml")
    #expect(scenario.uncertainty.replicates == 2)
    #expect(scenario.uncertainty.parameterDraws == 4)
    let conditions = scenario.models.conditions
    #expect(conditions.map(\.name) == ["copd", "heart_failure"])
    #expect(
      conditions[0].relativeRisks == [
        ConditionRelativeRisk(
          factor: .smoking, relativeRisk: .lognormal(mean: 4.0, ci95Low: 3.3, ci95High: 4.8))
      ])
    #expect(conditions[1].relativeRisks.map(\.factor) == [.smoking, .diabetes, .condition("copd")])
    // One {a, b} applies to both sexes.
    let bothSexes = GompertzIncidence(aPerYear: .fixed(1.0e-6), bPerYearOfAge: .fixed(0.11))
    #expect(conditions[1].incidence == .gompertz(female: bothSexes, male: bothSexes))
    #expect(conditions[1].countsAsCVD)
    #expect(conditions[0].historyRelativeRisk == .fixed(1))
    #expect(scenario.arms[1].interventions.first?.start == .ageYears(50))
  }

  @Test func tableCohortMapsColumnsSexCodesAndUnits() throws {
    let scenario = try example("table-cohort.yaml")
    #expect(scenario.population.size == nil)
    guard case .table(let table) = scenario.population.source else {
      Issue.record("table-cohort should read a table")
      return
    }
    #expect(table.format == .csv)
    #expect(table.columnNames[.sex] == "gender")
    #expect(table.columnNames[.totalCholesterol] == "chol_total")
    #expect(table.femaleCode == "F" && table.maleCode == "M")
    #expect(table.totalCholesterolUnit == .mgPerDL && table.hdlUnit == .mgPerDL)
    #expect(
      table.url.path
        == ScenarioTestSupport.scenariosFolder.appendingPathComponent("data/cohort-example.csv")
        .standardizedFileURL.path)
    // The mapped columns exist in the file's header, and it holds 20 persons.
    let text = try String(contentsOf: table.url, encoding: .utf8)
    let lines = text.split(separator: "\n")
    let header = lines[0].split(separator: ",").map(String.init)
    for column in TableColumn.allCases {
      #expect(header.contains(table.columnNames[column]!), "column \(column)")
    }
    #expect(lines.count - 1 == 20)
  }
}
