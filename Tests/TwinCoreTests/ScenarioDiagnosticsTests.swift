import Foundation
import Testing

@testable import TwinCore

/// Broken scenarios report file, line, column, key path, what was expected and
/// what was found, exactly, and all problems of a file at once.
@Suite struct ScenarioDiagnosticsTests {
  private func diagnostics(_ yaml: String) -> [String] {
    ScenarioTestSupport.diagnostics(yaml)
  }

  @Test func wrongTypeNamesExpectedIntegerAndFoundText() {
    let yaml = """
      name: t
      time:
        horizon_years: thirty
      population:
        size: 10
        synthetic: {}
      """
    #expect(
      diagnostics(yaml) == [
        "test.yaml:3:18: time.horizon_years: expected an integer number of years between 1 "
          + "and 120, found the text \"thirty\""
      ])
  }

  @Test func outOfRangeFractionInNestedInterventionGivesFullKeyPath() {
    let yaml = """
      name: t
      population:
        size: 10
        synthetic: {}
      arms:
        - name: a
        - name: b
        - name: c
          interventions:
            - type: smoking
              action: stop
              fraction: 1.5
      """
    #expect(
      diagnostics(yaml) == [
        "test.yaml:12:19: arms[2].interventions[0].fraction: expected a fraction between 0 "
          + "and 1, found 1.5 (a percentage? give 0.015)"
      ])
  }

  @Test func unknownKeySuggestsTheNearestKnownKey() {
    let yaml = """
      name: t
      time:
        horizon_year: 30
      population: {size: 10, synthetic: {}}
      """
    #expect(
      diagnostics(yaml) == [
        "test.yaml:3:3: time.horizon_year: unknown key 'horizon_year'; did you mean 'horizon_years'?"
      ])
  }

  @Test func unknownKeyWithoutNearNameListsTheKnownKeys() {
    let yaml = """
      name: t
      time: {colour: red}
      population: {size: 10, synthetic: {}}
      """
    #expect(
      diagnostics(yaml) == [
        "test.yaml:2:8: time.colour: unknown key 'colour'; expected one of: start_year, "
          + "horizon_years, step"
      ])
  }

  @Test func missingRequiredKeysAreReportedAtTheParentMapping() {
    let yaml = """
      description: no name
      population:
        synthetic: {}
      arms:
        - description: nameless
      """
    #expect(
      diagnostics(yaml) == [
        "test.yaml:1:1: name: missing required key 'name'",
        "test.yaml:3:3: population.size: missing required key 'size' (required for a synthetic "
          + "population)",
        "test.yaml:5:5: arms[0].name: missing required key 'name'",
      ])
  }

  @Test func duplicateArmNamesPointAtTheSecondName() {
    let yaml = """
      name: t
      population: {size: 10, synthetic: {}}
      arms:
        - name: statin
        - name: vegan
        - name: statin
      """
    #expect(
      diagnostics(yaml) == [
        "test.yaml:6:11: arms[2].name: duplicate arm name 'statin'; arms[0] at line 4 has the "
          + "same name"
      ])
  }

  @Test func ageAndBirthCohortTogetherAreRejected() {
    let yaml = """
      name: t
      population:
        size: 10
        synthetic:
          age: {min: 40, max: 50}
          birth_cohort: {from: 1950, to: 1960}
      """
    #expect(
      diagnostics(yaml) == [
        "test.yaml:6:5: population.synthetic.birth_cohort: expected either 'age' or "
          + "'birth_cohort', found both"
      ])
  }

  @Test func syntheticAndTableTogetherOrNeitherAreRejected() {
    let both = """
      name: t
      population:
        synthetic: {}
        table: {path: data/cohort-example.csv}
      """
    #expect(
      diagnostics(both) == [
        "test.yaml:4:3: population: expected exactly one of 'synthetic' or 'table', found both"
      ])
    let neither = """
      name: t
      population:
        size: 10
      """
    #expect(
      diagnostics(neither) == [
        "test.yaml:3:3: population: expected exactly one of 'synthetic' or 'table', found neither"
      ])
  }

  @Test func badInterventionTypeSuggestsTheNearestType() {
    let yaml = """
      name: t
      population: {size: 10, synthetic: {}}
      arms:
        - name: a
          interventions:
            - type: smokin
              action: stop
      """
    #expect(
      diagnostics(yaml) == [
        "test.yaml:6:15: arms[0].interventions[0].type: expected one of smoking, diet, statin, "
          + "antihypertensive, found 'smokin'; did you mean 'smoking'?"
      ])
  }

  @Test func interventionKeysOfAnotherTypeAreUnknown() {
    let yaml = """
      name: t
      population: {size: 10, synthetic: {}}
      arms:
        - name: a
          interventions:
            - {type: smoking, action: stop, kind: vegan}
      """
    #expect(
      diagnostics(yaml) == [
        "test.yaml:6:39: arms[0].interventions[0].kind: unknown key 'kind'; expected one of: "
          + "type, from_year, from_age, fraction, action"
      ])
  }

  @Test func badUncertainNumberDistributionsAreExplained() {
    let yaml = """
      name: t
      population: {size: 10, synthetic: {}}
      models:
        cvd_case_fatality: {gamma: {shape: 2}}
        cvd_history_relative_risk: {lognormal: {mean: 1.5, ci95: [1.6, 2.0]}}
        mortality:
          cvd_share: {normal: {mean: 0.3}}
        trajectories:
          sbp_per_year: {uniform: {min: 1, max: 7}}
      """
    #expect(
      diagnostics(yaml) == [
        "test.yaml:4:23: models.cvd_case_fatality.gamma: unknown distribution 'gamma'; "
          + "expected a number or one of: normal, lognormal, uniform, beta",
        "test.yaml:5:60: models.cvd_history_relative_risk.lognormal.ci95: expected 0 < low <= "
          + "mean <= high, found ci95 [1.6, 2] with mean 1.5",
        "test.yaml:7:25: models.mortality.cvd_share.normal.sd: missing required key 'sd'",
        "test.yaml:9:43: models.trajectories.sbp_per_year.uniform.max: expected a maximum "
          + "in mmHg/year between -5 and 5 (the range of this parameter), found 7",
      ])
  }

  @Test func normalDistributionMustStayInsideTheKeysRange() {
    let yaml = """
      name: t
      population: {size: 10, synthetic: {}}
      models:
        cvd_case_fatality: {normal: {mean: 0.25, sd: 0.1}}
      """
    #expect(
      diagnostics(yaml) == [
        "test.yaml:4:48: models.cvd_case_fatality.normal.sd: expected a normal distribution "
          + "whose central 99.9 % (mean +- 3.29 sd = -0.0790527 ... 0.579053) "
          + "lies between 0 and 1, found sd 0.1; use a smaller sd, beta for fractions or "
          + "lognormal for ratios"
      ])
  }

  @Test func yamlSyntaxErrorsUseTheSameFormat() {
    let yaml = """
      name: t
      population:
        size: 10
        synthetic: {age: [1, 2}
      """
    #expect(
      diagnostics(yaml) == [
        "test.yaml:4:25: (syntax): invalid YAML: did not find expected ',' or ']' (while parsing "
          + "a flow sequence at line 4, column 20)"
      ])
  }

  @Test func duplicateMappingKeysAreReportedAndTheRestIsStillChecked() {
    let yaml = """
      name: t
      population: {size: 10, synthetic: {smoking: 0.2, smoking: 0.3, diabetes: 7}}
      name: u
      """
    #expect(
      diagnostics(yaml) == [
        "test.yaml:2:50: population.synthetic.smoking: duplicate key 'smoking'; first given at "
          + "line 2, column 36",
        "test.yaml:2:74: population.synthetic.diabetes: expected a fraction between 0 and 1, "
          + "found 7 (a percentage? give 0.07)",
        "test.yaml:3:1: name: duplicate key 'name'; first given at line 1, column 1",
      ])
  }

  @Test func nonFiniteNumbersAndIntegersWrittenAsFloatsAreRejected() {
    let yaml = """
      name: t
      seed: 1.0
      population:
        size: 1e4
        synthetic: {female_fraction: .nan, smoking: -.inf}
      """
    #expect(
      diagnostics(yaml) == [
        "test.yaml:2:7: seed: expected an integer between 0 and 9223372036854775807, found 1.0 "
          + "(write whole numbers without a decimal point or exponent)",
        "test.yaml:4:9: population.size: expected an integer number of persons between 1 and "
          + "100000000, found 1e4 (write whole numbers without a decimal point or exponent)",
        "test.yaml:5:32: population.synthetic.female_fraction: expected a fraction between 0 "
          + "and 1, found .nan (not a finite number)",
        "test.yaml:5:47: population.synthetic.smoking: expected a fraction between 0 and 1, "
          + "found -.inf (not a finite number)",
      ])
  }

  @Test func textWhereANumberIsExpectedIsATypeError() {
    let yaml = """
      name: t
      population: {size: 10, synthetic: {smoking: "0.2", diabetes: yes}}
      """
    #expect(
      diagnostics(yaml) == [
        "test.yaml:2:45: population.synthetic.smoking: expected a fraction between 0 and 1, "
          + "found the text \"0.2\"",
        "test.yaml:2:62: population.synthetic.diabetes: expected a fraction between 0 and 1, "
          + "found the text \"yes\"",
      ])
  }

  @Test func crossKeyNamesAreChecked() {
    let yaml = """
      name: t
      population: {size: 10, synthetic: {}}
      models:
        risk_equation: none
        conditions:
          - name: copd
            incidence: {gompertz: {a: 0.001, b: 0.05}}
            relative_risks: {smokng: 2, copd: 1.5, asthma: 2}
      arms: [{name: a}, {name: b}]
      baseline: c
      output:
        record: [alive, copd, sbq, risk10, alive]
      """
    #expect(
      diagnostics(yaml) == [
        "test.yaml:8:24: models.conditions[0].relative_risks.smokng: unknown risk factor or "
          + "condition 'smokng'; did you mean 'smoking'?",
        "test.yaml:8:35: models.conditions[0].relative_risks.copd: expected a risk factor or "
          + "another condition, found the condition's own name 'copd'",
        "test.yaml:8:46: models.conditions[0].relative_risks.asthma: unknown risk factor or "
          + "condition 'asthma'; expected one of: smoking, diabetes, bp_treated",
        "test.yaml:10:11: baseline: expected the name of an arm (a, b), found 'c'",
        "test.yaml:12:25: output.record[2]: unknown variable 'sbq'; did you mean 'sbp'?",
        "test.yaml:12:30: output.record[3]: expected variables that exist, found 'risk10' while "
          + "models.risk_equation is none (no 10-year risk is computed)",
        "test.yaml:12:38: output.record[4]: duplicate variable 'alive'; already listed as "
          + "output.record[0]",
      ])
  }

  @Test func fivePlantedErrorsGiveFiveDiagnostics() {
    let yaml = """
      name: five errors
      time:
        horizon_years: 0
      population:
        size: 10
        synthetic:
          female_fraction: 2
      models:
        risk_equation: qrisk
      arms:
        - name: a
          interventions:
            - type: diet
              kind: vegan
              onset_yrs: 2
      """
    let found = diagnostics(yaml)
    #expect(found.count == 5, "\(found.joined(separator: "\n"))")
    #expect(
      found.map { $0.split(separator: ":")[1] + ":" + $0.split(separator: ":")[3] } == [
        "1: name", "3: time.horizon_years", "7: population.synthetic.female_fraction",
        "9: models.risk_equation", "15: arms[0].interventions[0].onset_yrs",
      ])
  }

  @Test func diagnosticsComeInFileOrder() {
    let yaml = """
      population:
        size: 0
        synthetic: {}
      time: {horizon_years: 500}
      """
    let lines = ScenarioLoader.validate(
      yaml: yaml, fileName: "x.yaml", directoryURL: ScenarioTestSupport.scenariosFolder
    ).map(\.position.line)
    #expect(lines == [1, 2, 4])
  }

  @Test func missingTableFileAndUnknownExtensionAreReported() {
    let yaml = """
      name: t
      population:
        table: {path: data/no-such-file.txt}
      """
    let folder = ScenarioTestSupport.scenariosFolder.standardizedFileURL.path
    #expect(
      diagnostics(yaml) == [
        "test.yaml:3:17: population.table.path: expected an existing CSV or HDF5 file, found no "
          + "file at \(folder)/data/no-such-file.txt",
        "test.yaml:3:17: population.table.path: expected a path ending in .csv, .h5 or .hdf5 "
          + "(or a 'format' key), found 'data/no-such-file.txt'",
      ])
  }

  @Test func refusingOutsideValidityRejectsAHorizonThatAgesPersonsOut() {
    let yaml = """
      name: t
      time: {horizon_years: 30}
      population: {size: 10, synthetic: {age: {min: 40, max: 60}}}
      models: {risk_equation: score2, outside_validity: refuse}
      """
    #expect(
      diagnostics(yaml) == [
        "test.yaml:4:51: models.outside_validity: expected ages within score2's validity range "
          + "40 ... <70 years for the whole horizon, found ages from 40 at the start up to 90 "
          + "at the end; use outside_validity: hold, a shorter horizon or a narrower age range"
      ])
  }

  @Test func birthCohortMustGiveAgesBetweenZeroAndHundredAtStart() {
    let yaml = """
      name: t
      time: {start_year: 2025}
      population: {size: 10, synthetic: {birth_cohort: {from: 1910, to: 2030}}}
      """
    #expect(
      diagnostics(yaml) == [
        "test.yaml:3:50: population.synthetic.birth_cohort: expected birth years from 1925 to "
          + "2024 (ages 0 ... 100 at start_year 2025), found 1910 ... 2030"
      ])
  }

  @Test func unreadableFileIsNamedInTheDiagnostic() {
    let path = "/nonexistent-folder/scenario.yaml"
    #expect(
      ScenarioLoader.validate(path: path).map(\.description) == [
        "/nonexistent-folder/scenario.yaml:1:1: (file): cannot read the file: it does not exist"
      ])
  }

  @Test func emptyAndNonMappingDocumentsAreReported() {
    #expect(
      diagnostics("# nothing here\n") == [
        "test.yaml:1:1: (document): expected a mapping of scenario keys (at least 'name' and "
          + "'population'), found an empty document"
      ])
    #expect(
      diagnostics("- a\n- b\n") == [
        "test.yaml:1:1: (document): expected a mapping of scenario keys (at least 'name' and "
          + "'population'), found a sequence"
      ])
  }

  @Test func loadThrowsEveryDiagnostic() {
    let error = #expect(throws: ScenarioError.self) {
      try ScenarioTestSupport.load("name: 't t'\n")
    }
    #expect(error?.diagnostics.map(\.keyPath) == ["population", "name"])
  }
}

/// Hostile input does not make validation run away.
@Suite struct ScenarioInputLimitTests {
  @Test func nestedAliasesDoNotExpandPastTheSchemasLimits() {
    // Each level holds ten aliases of the level below: 10^7 names in all, if
    // expanded. Validation reads only what the schema describes: ten items
    // that are not names, and an unknown key. An alias reports the position of
    // its anchor (here `&l5` on line 9).
    var yaml = "name: t\npopulation: {size: 10, synthetic: {}}\nlevels:\n"
    yaml += "  - &l0 [alive, alive, alive, alive, alive, alive, alive, alive, alive, alive]\n"
    for level in 1...6 {
      let aliases = Array(repeating: "*l\(level - 1)", count: 10).joined(separator: ", ")
      yaml += "  - &l\(level) [\(aliases)]\n"
    }
    yaml += "output: {record: *l6}\n"
    let diagnostics = ScenarioTestSupport.diagnostics(yaml)
    #expect(diagnostics.count == 11)
    #expect(diagnostics.first?.hasPrefix("test.yaml:3:1: levels: unknown key 'levels'") == true)
    #expect(
      diagnostics.last
        == "test.yaml:9:5: output.record[9]: expected a string, found a sequence")
  }
}
