import Foundation
import Testing

@testable import TwinCore

/// Range errors name the unit of the key and, where the value fits another common
/// unit (cholesterol in mg/dL, fractions in percent), say how to convert it.
@Suite struct UnitDiagnosticsTests {
  @Test func cholesterolInMilligramsPerDecilitreIsNamedWithItsConversion() {
    let yaml = """
      name: t
      population:
        size: 10
        synthetic:
          total_cholesterol: {mean: 213, sd: 40}
      """
    #expect(
      ScenarioTestSupport.diagnostics(yaml) == [
        "test.yaml:5:31: population.synthetic.total_cholesterol.mean: expected mmol/L between 2 "
          + "and 15, found 213 (mg/dL? divide by 38.67)",
        "test.yaml:5:40: population.synthetic.total_cholesterol.sd: expected mmol/L between 0 "
          + "and 5, found 40 (mg/dL? divide by 38.67)",
      ])
  }

  @Test func noHintWhereTheConvertedValueIsStillOutOfRange() {
    let yaml = """
      name: t
      population:
        size: 10
        synthetic:
          total_cholesterol: {mean: 1000, sd: 1}
          hdl: {mean: 0.05, sd: 0.1}
          sbp: {mean: 400, sd: 10}
          smoking: 250
      """
    #expect(
      ScenarioTestSupport.diagnostics(yaml) == [
        "test.yaml:5:31: population.synthetic.total_cholesterol.mean: expected mmol/L between 2 "
          + "and 15, found 1000",
        "test.yaml:6:17: population.synthetic.hdl.mean: expected mmol/L between 0.3 and 4, "
          + "found 0.05",
        "test.yaml:7:17: population.synthetic.sbp.mean: expected mmHg between 70 and 250, "
          + "found 400",
        "test.yaml:8:14: population.synthetic.smoking: expected a fraction between 0 and 1, "
          + "found 250",
      ])
  }

  @Test func percentagesShiftsDriftsAndDistributionParametersGetHints() {
    let yaml = """
      name: t
      population: {size: 10, synthetic: {smoking: 30}}
      models:
        cvd_case_fatality: {beta: {mean: 25, sd: 0.1}}
        trajectories: {total_cholesterol_per_year: 2}
      arms:
        - name: diet
          interventions:
            - type: diet
              kind: vegan
              total_cholesterol_shift: {normal: {mean: -14, sd: 4}}
              hdl_shift: -4
        - name: statin
          interventions:
            - type: statin
              uptake: {uniform: {min: 50, max: 90}}
              eligibility: {min_risk10: 7.5}
      """
    #expect(
      ScenarioTestSupport.diagnostics(yaml) == [
        "test.yaml:2:45: population.synthetic.smoking: expected a fraction between 0 and 1, "
          + "found 30 (a percentage? give 0.30)",
        "test.yaml:4:36: models.cvd_case_fatality.beta.mean: expected a fraction greater than 0 "
          + "and less than 1, found 25 (a percentage? give 0.25)",
        "test.yaml:5:46: models.trajectories.total_cholesterol_per_year: expected mmol/L/year "
          + "between -1 and 1, found 2 (mg/dL/year? divide by 38.67)",
        "test.yaml:11:50: arms[0].interventions[0].total_cholesterol_shift.normal.mean: expected "
          + "a mean in mmol/L between -5 and 5 (the range of this parameter), found -14 (mg/dL? "
          + "divide by 38.67)",
        "test.yaml:12:20: arms[0].interventions[0].hdl_shift: expected mmol/L between -2 and 2, "
          + "found -4 (mg/dL? divide by 38.67)",
        "test.yaml:16:33: arms[1].interventions[0].uptake.uniform.min: expected a minimum as a "
          + "fraction between 0 and 1 (the range of this parameter), found 50 (a percentage? "
          + "give 0.50)",
        "test.yaml:16:42: arms[1].interventions[0].uptake.uniform.max: expected a maximum as a "
          + "fraction between 0 and 1 (the range of this parameter), found 90 (a percentage? "
          + "give 0.90)",
        "test.yaml:17:35: arms[1].interventions[0].eligibility.min_risk10: expected a fraction "
          + "between 0 and 1, found 7.5 (a percentage? give 0.075)",
      ])
  }

  @Test func integersPairsAndCalendarYearsNameTheirUnits() {
    let yaml = """
      name: t
      time: {start_year: 1800, horizon_years: 0}
      population:
        size: 10
        synthetic:
          groups:
            - {age: [40, 130]}
      """
    #expect(
      ScenarioTestSupport.diagnostics(yaml) == [
        "test.yaml:2:20: time.start_year: expected a calendar year between 1900 and 2200, "
          + "found 1800",
        "test.yaml:2:41: time.horizon_years: expected an integer number of years between 1 and "
          + "120, found 0",
        "test.yaml:7:20: population.synthetic.groups[0].age[1]: expected years between 0 and "
          + "120, found 130",
      ])
  }

  @Test func hintsAppearOnlyWhereTheConversionLandsInTheRange() {
    let cholesterol = NumberRange.closed(2, 15)
    #expect(
      ValueUnits.hint(for: 213, unit: "mmol/L", range: cholesterol) == " (mg/dL? divide by 38.67)")
    #expect(ValueUnits.hint(for: 1000, unit: "mmol/L", range: cholesterol) == "")
    #expect(ValueUnits.hint(for: 5, unit: "mmol/L", range: cholesterol) == "")
    #expect(ValueUnits.hint(for: 213, unit: "mmHg", range: .closed(70, 250)) == "")
    #expect(
      ValueUnits.hint(for: 30, unit: "fraction", range: .closed(0, 1))
        == " (a percentage? give 0.30)")
    #expect(ValueUnits.hint(for: 100, unit: "fraction", range: .closedOpen(0, 1)) == "")
    #expect(
      ValueUnits.hint(for: 12.5, unit: "fraction", range: .closed(0, 1))
        == " (a percentage? give 0.125)")
    #expect(ValueUnits.mgPerDLPerMmolPerL == 38.67)
    #expect(LipidUnit.mgPerDLPerMmolPerL == ValueUnits.mgPerDLPerMmolPerL)
  }

  // MARK: Population tables

  private func tableSpec(cholesterol: LipidUnit, hdl: LipidUnit) -> TablePopulation {
    TablePopulation(
      path: "t.csv", url: ScenarioTestSupport.scenariosFolder.appendingPathComponent("t.csv"),
      format: .csv, group: "/",
      columnNames: [:], femaleCode: "female", maleCode: "male",
      totalCholesterolUnit: cholesterol, hdlUnit: hdl)
  }

  private func tableError(
    age: Double = 50, sbp: Double = 120, totalCholesterol: Double, hdl: Double,
    units: (LipidUnit, LipidUnit) = (.mmolPerL, .mmolPerL)
  ) -> String? {
    let table = PersonTable(
      source: "t.csv", totalRows: 1, firstRow: 0,
      columns: [
        "sex": .text(["female"]), "age": .numbers([age]), "sbp": .numbers([sbp]),
        "total_cholesterol": .numbers([totalCholesterol]), "hdl": .numbers([hdl]),
      ], lines: [2])
    do {
      _ = try TablePopulationBuilder.block(
        table: table, spec: tableSpec(cholesterol: units.0, hdl: units.1), conditionCount: 0)
      return nil
    } catch {
      return error.description
    }
  }

  @Test func tableRangeErrorsUseTheSameWordingInTheTablesUnit() {
    #expect(tableError(totalCholesterol: 5.4, hdl: 1.3) == nil)
    #expect(
      tableError(totalCholesterol: 213, hdl: 1.3)
        == "t.csv:2: total_cholesterol: expected mmol/L between 2 and 15, found 213 (mg/dL? set "
        + "population.table.units.total_cholesterol: mg/dL)")
    #expect(
      tableError(totalCholesterol: 213, hdl: 1.3, units: (.mgPerDL, .mgPerDL))
        == "t.csv:2: hdl: expected mg/dL between 11.601 and 154.68, found 1.3 (mmol/L? set "
        + "population.table.units.hdl: mmol/L)")
    #expect(
      tableError(totalCholesterol: 2000, hdl: 50, units: (.mgPerDL, .mgPerDL))
        == "t.csv:2: total_cholesterol: expected mg/dL between 77.34 and 580.05, found 2000")
    #expect(
      tableError(sbp: 1200, totalCholesterol: 5.4, hdl: 1.3)
        == "t.csv:2: sbp: expected mmHg between 70 and 250, found 1200")
    #expect(
      tableError(age: 130, totalCholesterol: 5.4, hdl: 1.3)
        == "t.csv:2: age: expected years between 0 and 120, found 130")
  }
}
