import ArgumentParser
import Foundation
import TwinCore
import TwinDMP

/// `twin-sim dmp ...`: the data management plan of runs (docs/dmp.md).
struct DMP: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "dmp",
    abstract: "Check data management plans (maDMP) and runs against them.",
    discussion: """
      twin-sim reads machine-actionable DMPs (RDA DMP Common Standard 1.1 or
      1.2, JSON) with twin-sim's namespaced keys (twin_sim:workflow,
      twin_sim:allowed_geo_locations, twin_sim:path, twin_sim:io_intensity,
      twin_sim:retention). Guide and example: docs/dmp.md, scenarios/dmp/.
      """,
    subcommands: [DMPValidate.self, DMPCheckCommand.self, DMPLifecycle.self, DMPUpdateCommand.self])
}

/// `twin-sim dmp validate FILE...`.
struct DMPValidate: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "validate",
    abstract: "Check maDMP files: the parts twin-sim uses and its twin_sim: keys.",
    discussion: """
      Problems are printed one per line as FILE: JSON-POINTER: expected ..., found ...
      Exit status: 0 when every file is valid, 2 otherwise.
      """)

  @Argument(help: "maDMP JSON files.")
  var files: [String]

  func run() throws {
    var invalid = 0
    for file in files {
      do {
        let plan = try DataManagementPlan.load(path: file)
        print(
          "\(file): valid (\(plan.datasets.count) dataset(s), \(plan.steps.count) workflow step(s))"
        )
      } catch let failure as DMPValidationFailure {
        invalid += 1
        printError(failure.description)
      }
    }
    if invalid > 0 { throw ExitCode(exitCodeInvalidInput) }
  }
}

/// `twin-sim dmp check SCENARIO.yaml [--dmp FILE --step NAME]`.
struct DMPCheckCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "check",
    abstract: "Check that a run of a scenario obeys its DMP, without running it.",
    discussion: """
      The DMP and step come from the scenario's key dmp: {file: plan.json, step: NAME}
      (file relative to the scenario's folder), or from --dmp and --step, which win.
      The same check a run makes before any work starts. It fails (exit 2) when
        - the DMP has no such workflow step;
        - the run's result file (RUN_FOLDER/results.h5) is not a file of a dataset
          the step writes (a distribution's twin_sim:path matches it);
        - such a dataset has personal_data or sensitive_data 'yes' or 'unknown' and
          the output is not written encrypted (--encrypted-output: a secure run), or
          a distribution of it has data_access 'open';
        - this site's location, or a matched distribution's host.geo_location, is
          not in the DMP's twin_sim:allowed_geo_locations;
        - an input (population.table) is not a file of a dataset the step reads.
      Every violation names the DMP entry (JSON pointer) it comes from.

      The site's location: TWIN_SIM_SITE_LOCATION (ISO 3166-1 alpha-2, e.g. DE),
      else geo_location in the JSON file TWIN_SIM_SITE_CONFIG names, else in
      /etc/twin-sim/site.json. Unknown location: a violation.
      """)

  @Argument(help: "Scenario file (YAML).")
  var scenario: String

  @Option(
    help: ArgumentHelp("maDMP file (JSON); default: the scenario's dmp.file.", valueName: "file"))
  var dmp: String?

  @Option(
    help: ArgumentHelp(
      "Workflow step of the DMP; default: the scenario's dmp.step.", valueName: "name"))
  var step: String?

  @Option(help: ArgumentHelp("Run folder (default: the scenario's output.dir).", valueName: "dir"))
  var output: String?

  @Flag(help: "The run writes its output encrypted (a secure run).")
  var encryptedOutput = false

  @Option(
    help: ArgumentHelp(
      "With --encrypted-output: the ciphertext the result is published as, taken as the"
        + " run's output instead of RUN_FOLDER/results.h5.", valueName: "file"))
  var publishedAs: String?

  func validate() throws {
    if publishedAs != nil && !encryptedOutput {
      throw ValidationError("--published-as goes with --encrypted-output (a secure run)")
    }
  }

  func run() throws {
    let (loaded, diagnostics) = ScenarioLoader.check(path: scenario)
    guard let loaded else {
      for diagnostic in diagnostics { printError(diagnostic.description) }
      throw reportInvalidInput("\(scenario): invalid scenario, DMP not checked")
    }
    guard let dmp = dmp ?? loaded.dmp?.url.path, let step = step ?? loaded.dmp?.step else {
      throw reportInvalidInput(
        "\(scenario): no DMP to check against: give --dmp FILE --step NAME or the scenario key dmp")
    }
    let folder = output ?? loaded.output.directory
    var inputs: [String] = []
    if case .table(let table) = loaded.population.source { inputs.append(table.url.path) }
    let location: String?
    let violations: [Violation]
    do {
      let output =
        publishedAs
        ?? URL(fileURLWithPath: folder).appendingPathComponent(RunRecord.completeName).path
      (location, violations) = try RunGate.violations(
        dmpFile: dmp, step: step, output: output, inputs: inputs,
        encryptedOutput: encryptedOutput)
    } catch let failure as DMPValidationFailure {
      printError(failure.description)
      throw reportInvalidInput("\(dmp): invalid DMP")
    } catch {
      throw reportInvalidInput("site location: \(error)")
    }
    for violation in violations {
      printError("twin-sim: error: \(dmp): \(violation)")
    }
    if !violations.isEmpty {
      throw reportInvalidInput(
        "\(scenario): \(violations.count) violation(s) of the DMP \(dmp) (step \(step))")
    }
    print("\(scenario): obeys the DMP \(dmp) as step \(step) (site \(location ?? "?"))")
  }
}
