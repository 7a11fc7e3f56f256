import ArgumentParser
import Foundation
import TwinCore

/// `twin-sim validate FILE...`: checks scenario files without running them.
struct Validate: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "validate",
    abstract: "Check scenario files without running anything.",
    discussion: """
      Reads each scenario file and reports every problem in it at once, before
      any simulation would start. Checked:
        - YAML syntax; one document per file; no duplicated keys
        - every key: known (misspellings get a suggestion), required keys present,
          type, unit range and allowed values (e.g. fractions in 0 ... 1, whole
          numbers where an integer is required, no .nan or .inf)
        - U-numbers: a number or a normal, lognormal, uniform or beta distribution
          whose point value and bounds lie in the key's range
        - rules between keys: exactly one of population.synthetic or .table;
          age or birth_cohort, not both; unique arm and condition names;
          baseline names an arm; relative_risks and output.record name known
          risk factors, conditions and variables; intervention years within the
          horizon; with outside_validity: refuse, ages stay in the risk
          equation's range; with hold (the default), a warning gives the
          estimated share of person-years evaluated at the equation's age
          limits (e.g. SCORE2 past 69; score2+op covers 70-89)
        - that a population table file exists (its columns are checked when the
          table is read)

      Problems are printed on standard error, one per line, as
        FILE:LINE:COLUMN: key.path: message
      for example
        s.yaml:4:18: time.horizon_years: expected an integer number of years between 1 and 120, found 0
      Valid files get a one-line summary on standard output.

      Exit status: 0 when every file is valid, 2 when any is invalid or unreadable.

      Reference of every key (type, unit, default, range, meaning) and of the
      error format: docs/scenario.md; examples: scenarios/quickstart.yaml (commented).
      --print-reference prints the key reference.
      """)

  @Argument(help: "Scenario files (YAML) to check.")
  var files: [String] = []

  @Flag(help: "Print the key reference of docs/scenario.md (Markdown) and exit.")
  var printReference = false

  func validate() throws {
    if files.isEmpty && !printReference {
      throw ValidationError("Give at least one scenario file, e.g. scenarios/quickstart.yaml.")
    }
  }

  func run() throws {
    if printReference {
      print(SchemaReference.markdown(), terminator: "")
      if files.isEmpty { return }
    }
    var invalidFiles = 0
    for file in files {
      let (scenario, diagnostics) = ScenarioLoader.check(path: file)
      if let scenario {
        print("\(file): valid (\(summary(of: scenario)))")
        if let warning = riskValidityEstimate(scenario)?.warning {
          printError("\(file): warning: \(warning)")
        }
      } else {
        invalidFiles += 1
        for diagnostic in diagnostics {
          printError(diagnostic.description)
        }
        printError("\(file): invalid (\(counted(diagnostics.count, "problem")))")
      }
    }
    if invalidFiles > 0 {
      throw ExitCode(exitCodeInvalidInput)
    }
  }

  /// The share of person-time the risk equation will be held at its age limits: from the
  /// age distribution of a synthetic population, from the ages of a CSV table (an HDF5
  /// table's is estimated in run.log when the run reads it). Nil when it cannot be told.
  private func riskValidityEstimate(_ scenario: Scenario) -> RiskValidityEstimate? {
    guard case .table(let spec) = scenario.population.source else {
      return RiskValidityEstimate.estimate(scenario: scenario)
    }
    guard spec.format == .csv,
      let table = try? CSVTableReader.read(
        url: spec.url, displayPath: spec.path,
        rows: scenario.population.size.map { 0..<$0 }),
      let block = try? TablePopulationBuilder.block(
        table: table, spec: spec, conditionCount: scenario.models.conditions.count)
    else { return nil }
    return RiskValidityEstimate.estimate(
      scenario: scenario, persons: (0..<block.count).map { (block.sex[$0], block.ageYears[$0]) })
  }

  /// "10000 persons, 4 arms, 30 years" (for a table without `size`: all rows).
  private func summary(of scenario: Scenario) -> String {
    let persons: String
    switch (scenario.population.size, scenario.population.source) {
    case (let size?, _):
      persons = counted(size, "person")
    case (nil, .table(let table)):
      persons = "all rows of \(table.path)"
    case (nil, .synthetic):
      persons = "no size"
    }
    return "\(persons), \(counted(scenario.arms.count, "arm")), "
      + counted(scenario.time.horizonYears, "year")
  }

  private func counted(_ count: Int, _ noun: String) -> String {
    "\(count) \(noun)\(count == 1 ? "" : "s")"
  }
}
