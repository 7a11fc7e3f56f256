import ArgumentParser
import Foundation
import TwinCore
import TwinPhysiology

/// `twin-sim physiology`: the periodic steady state of one person's circulation model.
/// Parses the preset and overrides; the model, integrators and metrics live in TwinPhysiology.
struct Physiology: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "physiology",
    abstract:
      "Steady-state blood pressure and cardiac output of one closed-loop circulation model.",
    discussion: discussion)

  enum PresetOption: String, ExpressibleByArgument, CaseIterable {
    case healthyAdult = "healthy-adult"
    case smith2004

    var parameters: PhysiologyParameters {
      switch self {
      case .healthyAdult: return .healthyAdult
      case .smith2004: return .smith2004
      }
    }
  }

  @Option(help: "Parameter set to start from.")
  var preset: PresetOption = .healthyAdult

  @Option(
    name: .customLong("set"),
    help: ArgumentHelp(
      "Override one parameter of the preset: absolute value, units as listed above (repeatable).",
      valueName: "NAME=VALUE"))
  var overrides: [String] = []

  @Flag(help: "Print one JSON object instead of a summary.")
  var json = false

  func run() throws {
    var parameters = preset.parameters
    var overridden: [String: Double] = [:]
    let names = PhysiologyParameters.descriptors.map(\.name)
    for item in overrides {
      let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
      guard parts.count == 2, !parts[0].isEmpty else {
        throw reportInvalidInput("--set expects NAME=VALUE (for example E_sa=1.2), got '\(item)'")
      }
      let name = String(parts[0])
      let text = String(parts[1])
      guard let descriptor = PhysiologyParameters.descriptor(named: name) else {
        let hint =
          NearestName.suggestion(for: name, among: names).map { "; did you mean '\($0)'?" }
          ?? "; expected one of: " + names.joined(separator: ", ")
        throw reportInvalidInput("--set: unknown parameter '\(name)'\(hint)")
      }
      guard let value = Double(text), value.isFinite, value > 0 else {
        throw reportInvalidInput(
          "--set \(name): expected a finite positive number in \(descriptor.unit), got '\(text)'")
      }
      guard overridden[name] == nil else {
        throw reportInvalidInput("--set \(name) is given twice")
      }
      overridden[name] = value
      parameters[keyPath: descriptor.keyPath] = value
    }

    let solution: SteadyStateSolution
    do {
      solution = try PeriodicSteadyState.solve(
        parameters: parameters, options: .singlePerson)
    } catch {
      throw reportInvalidInput(error.description)
    }

    let report = PhysiologyReport(
      preset: preset.rawValue, parameters: parameters, overrides: overridden,
      solution: solution, options: .singlePerson)
    if json {
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
      print(String(decoding: try encoder.encode(report), as: UTF8.self))
    } else {
      print(report.summary)
    }
    if !solution.converged {
      printError(
        "twin-sim: error: no periodic steady state within \(SteadyStateOptions.singlePerson.maximumBeats) "
          + "beats (last change \(solution.residualMl) ml); the numbers above are the last beat's")
      throw ExitCode.failure
    }
  }

  static var discussion: String {
    var lines = [
      "Integrates the reduced Smith 2004 closed-loop model of heart and circulation",
      "(Smith et al., Med Eng Phys 2004;26:131-139: six stressed volumes,",
      "time-varying elastance ventricles, diode valves) beat after beat to its",
      "periodic steady state: adaptive Dormand-Prince 5(4) integration (rtol 1e-10)",
      "and Anderson-accelerated beat-to-beat iteration until the volumes at the end",
      "of a beat differ from those at its start by less than 1e-6 ml. The metrics",
      "come from that last beat:",
      "",
      "  sbp, dbp, map     max, min and time average of the systemic arterial",
      "                    pressure P_sa = E_sa V_sa (mmHg); the model has one",
      "                    lumped aorta, so this is central, not brachial, pressure",
      "  pulse_pressure    sbp - dbp (mmHg)",
      "  lvedv, lvesv      max and min of the left ventricular volume (ml)",
      "  stroke_volume     lvedv - lvesv (ml)",
      "  ejection_fraction 100 stroke_volume / lvedv (percent)",
      "  cardiac_output    stroke_volume x HR (l/min)",
      "  peak_lv_pressure  max of the left ventricular pressure (mmHg)",
      "",
      "Presets: healthy-adult (default; Smith 2004 scaled as in docs/physiology.md,",
      "about 120/80 mmHg) and smith2004 (the paper's values, about 91/63 mmHg).",
      "--set NAME=VALUE replaces one value of the preset (absolute, in the units",
      "below). Parameters (healthy-adult and smith2004 values):",
      "",
    ]
    for descriptor in PhysiologyParameters.descriptors {
      let healthy = formatValue(PhysiologyParameters.healthyAdult[keyPath: descriptor.keyPath])
      let smith = formatValue(PhysiologyParameters.smith2004[keyPath: descriptor.keyPath])
      let columns =
        "  " + descriptor.name.padding(toLength: 11, withPad: " ", startingAt: 0)
        + descriptor.unit.padding(toLength: 10, withPad: " ", startingAt: 0)
        + healthy.padding(toLength: 9, withPad: " ", startingAt: 0)
        + smith.padding(toLength: 9, withPad: " ", startingAt: 0)
      // Help is wrapped at 80 columns: long meanings go on their own line.
      if columns.count + descriptor.meaning.count <= 78 {
        lines.append(columns + descriptor.meaning)
      } else {
        lines.append(String(columns.reversed().drop { $0 == " " }.reversed()))
        lines.append("      " + descriptor.meaning)
      }
    }
    lines += [
      "",
      "Every value must be finite and positive, and C must lie inside the beat",
      "(C < 60/HR); anything else, or an unknown name, is refused with exit status 2.",
      "",
      "Examples:",
      "  twin-sim physiology",
      "  twin-sim physiology --set E_sa=1.7973 --set R_sys=1.6703 --json",
      "  twin-sim physiology --preset smith2004 --set HR=60",
    ]
    return lines.joined(separator: "\n")
  }

  static func formatValue(_ value: Double) -> String {
    String(format: "%.6g", value)
  }
}

/// The `--json` output of `twin-sim physiology`: snake_case keys, units in `units`.
struct PhysiologyReport: Encodable {
  var preset: String
  var sbp: Double
  var dbp: Double
  var map: Double
  var pulsePressure: Double
  var strokeVolume: Double
  var lvedv: Double
  var lvesv: Double
  var cardiacOutput: Double
  var ejectionFraction: Double
  var peakLvPressure: Double
  var beatsToSteadyState: Int
  var converged: Bool
  var residualMl: Double
  var toleranceMl: Double
  var rightHandSideEvaluations: Int
  var integrator: String
  var parameters: [String: Double]
  var overrides: [String: Double]
  var state: [String: Double]
  var units: [String: String]

  init(
    preset: String, parameters: PhysiologyParameters, overrides: [String: Double],
    solution: SteadyStateSolution, options: SteadyStateOptions
  ) {
    let metrics = solution.metrics
    self.preset = preset
    sbp = metrics.sbp
    dbp = metrics.dbp
    map = metrics.map
    pulsePressure = metrics.pulsePressure
    strokeVolume = metrics.strokeVolume
    lvedv = metrics.lvedv
    lvesv = metrics.lvesv
    cardiacOutput = metrics.cardiacOutput
    ejectionFraction = metrics.ejectionFraction
    peakLvPressure = metrics.peakLvPressure
    beatsToSteadyState = solution.beats
    converged = solution.converged
    residualMl = solution.residualMl
    toleranceMl = options.toleranceMl
    rightHandSideEvaluations = solution.rightHandSideEvaluations
    integrator = options.integrator.name
    self.parameters = Dictionary(
      uniqueKeysWithValues: PhysiologyParameters.descriptors.map {
        ($0.name, parameters[keyPath: $0.keyPath])
      })
    self.overrides = overrides
    let volumes = solution.state
    state = [
      "V_lv": volumes.V_lv, "V_rv": volumes.V_rv, "V_pa": volumes.V_pa, "V_pu": volumes.V_pu,
      "V_sa": volumes.V_sa, "V_sv": volumes.V_sv,
    ]
    var units = [
      "sbp": "mmHg", "dbp": "mmHg", "map": "mmHg", "pulse_pressure": "mmHg",
      "stroke_volume": "ml", "lvedv": "ml", "lvesv": "ml", "cardiac_output": "l/min",
      "ejection_fraction": "percent", "peak_lv_pressure": "mmHg", "state": "ml",
      "residual_ml": "ml", "tolerance_ml": "ml",
    ]
    for descriptor in PhysiologyParameters.descriptors {
      units["parameters." + descriptor.name] = descriptor.unit
    }
    self.units = units
  }

  enum CodingKeys: String, CodingKey {
    case preset, sbp, dbp, map, lvedv, lvesv, converged, integrator, parameters, overrides, state
    case units
    case pulsePressure = "pulse_pressure"
    case strokeVolume = "stroke_volume"
    case cardiacOutput = "cardiac_output"
    case ejectionFraction = "ejection_fraction"
    case peakLvPressure = "peak_lv_pressure"
    case beatsToSteadyState = "beats_to_steady_state"
    case residualMl = "residual_ml"
    case toleranceMl = "tolerance_ml"
    case rightHandSideEvaluations = "rhs_evaluations"
  }

  var summary: String {
    func f(_ value: Double, _ digits: Int = 1) -> String {
      String(format: "%.\(digits)f", value)
    }
    var lines = [
      "\(preset) (reduced Smith 2004 model), periodic steady state after "
        + "\(beatsToSteadyState) beats:",
      "  arterial pressure  \(f(sbp))/\(f(dbp)) mmHg, mean \(f(map)), pulse pressure "
        + "\(f(pulsePressure))",
      "  left ventricle     EDV \(f(lvedv)) ml, ESV \(f(lvesv)) ml, stroke volume "
        + "\(f(strokeVolume)) ml, EF \(f(ejectionFraction)) %, peak pressure "
        + "\(f(peakLvPressure)) mmHg",
      "  cardiac output     \(f(cardiacOutput, 2)) l/min at \(f(parameters["HR"] ?? .nan, 0)) "
        + "beats/min",
      "Pressures are those of the model's lumped systemic arterial compartment (central, not "
        + "brachial).",
    ]
    if !overrides.isEmpty {
      lines.append(
        "Overrides: "
          + overrides.keys.sorted().map { "\($0)=\(overrides[$0]!)" }.joined(separator: ", "))
    }
    return lines.joined(separator: "\n")
  }
}
