import ArgumentParser
import Foundation
import TwinModels

/// `twin-sim risk`: one person's ten-year cardiovascular risk by a published equation.
/// Parses and converts units; the equations live in TwinModels.
struct Risk: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "risk",
    abstract: "Ten-year cardiovascular risk of one person by a published risk equation.",
    discussion: """
      Computes the ten-year risk of a first cardiovascular event with one of the
      published equations below, and the constant annual hazard that a yearly simulation
      step uses, h = -ln(1 - risk10) / 10 (assumes the hazard is constant over the
      ten years).

      Equations, outcomes and valid inputs:
        pce         ACC/AHA Pooled Cohort Equations, Goff et al. 2013 (Circulation
                    2014;129:S49-S73). First hard ASCVD event: coronary death,
                    nonfatal myocardial infarction, fatal or nonfatal stroke.
                    Age 40-79 years, total cholesterol 130-320 mg/dL,
                    HDL 20-100 mg/dL, SBP 90-200 mmHg. Separate equations for
                    white and black women and men (--race; the guideline uses
                    the white equations for other races).
        framingham  Framingham general CVD, D'Agostino et al. 2008 (Circulation
                    117:743-753). First CVD event including heart failure and
                    peripheral artery disease. Age 30-74 years.
        score2      SCORE2 (Eur Heart J 2021;42:2439-2454). Fatal and nonfatal
                    CVD, recalibrated to an ESC risk region (--region; Germany is
                    in the moderate region). Age 40-69 years; not intended for
                    people with diabetes (the term exists for recalibration only).
        score2-op   SCORE2-OP for older persons (Eur Heart J 2021;42:2455-2467).
                    The same outcome, accounting for the competing risk of
                    non-cardiovascular death, by ESC risk region. Age 70-89 years.
        score2+op   SCORE2 below 70 and SCORE2-OP from 70, as the ESC 2021
                    prevention guideline uses them. Age 40-89 years.

      Units: cholesterol is read in mg/dL for pce and framingham and in mmol/L for
      the SCORE2 family unless --units says otherwise (1 mmol/L = 38.67 mg/dL).
      Systolic blood pressure in mmHg, age in years.

      Inputs outside an equation's valid range, or outside physiologically
      plausible values (age 0-120 years, SBP 70-250 mmHg, total cholesterol 2-15
      and HDL 0.3-4 mmol/L), are refused with exit status 2 and a message naming
      the range; nothing is extrapolated. The JSON never holds a non-finite number.

      Examples:
        twin-sim risk --equation pce --sex female --age 55 \\
                      --total-cholesterol 213 --hdl 50 --sbp 120
        twin-sim risk --equation score2 --sex male --age 50 --smoker \\
                      --total-cholesterol 6.3 --hdl 1.4 --sbp 140 --region high --json
        twin-sim risk --equation score2+op --sex female --age 75 --smoker \\
                      --total-cholesterol 5.5 --hdl 1.3 --sbp 140
      """)

  enum EquationOption: String, ExpressibleByArgument, CaseIterable {
    case pce
    case framingham
    case score2
    case score2OP = "score2-op"
    case score2PlusOP = "score2+op"

    /// SCORE2 and SCORE2-OP: ESC risk regions, lipids in mmol/L.
    var isSCORE2Family: Bool { self == .score2 || self == .score2OP || self == .score2PlusOP }
  }

  enum SexOption: String, ExpressibleByArgument, CaseIterable {
    case female
    case male
  }

  enum UnitsOption: String, ExpressibleByArgument, CaseIterable {
    case mgPerDL = "mg/dL"
    case mmolPerL = "mmol/L"
  }

  enum RaceOption: String, ExpressibleByArgument, CaseIterable {
    case white
    case black
  }

  enum RegionOption: String, ExpressibleByArgument, CaseIterable {
    case low
    case moderate
    case high
    case veryHigh = "very-high"
  }

  @Option(help: "Risk equation (see above for outcomes and ranges).")
  var equation: EquationOption

  @Option(help: "Sex (each equation has separate coefficients).")
  var sex: SexOption

  @Option(name: .customLong("age"), help: ArgumentHelp("Age in years.", valueName: "years"))
  var ageYears: Double

  @Option(
    help: ArgumentHelp(
      "Total cholesterol, in --units (default mg/dL for pce and framingham, mmol/L for the"
        + " SCORE2 family).",
      valueName: "value"))
  var totalCholesterol: Double

  @Option(help: ArgumentHelp("HDL cholesterol, in --units.", valueName: "value"))
  var hdl: Double

  @Option(help: "Unit of --total-cholesterol and --hdl.")
  var units: UnitsOption?

  @Option(
    name: .customLong("sbp"),
    help: ArgumentHelp("Systolic blood pressure in mmHg.", valueName: "mmHg"))
  var sbpMmHg: Double

  @Flag(help: "The person takes blood-pressure-lowering medication.")
  var bpTreated = false

  @Flag(help: "The person currently smokes.")
  var smoker = false

  @Flag(help: "The person has diabetes.")
  var diabetes = false

  @Option(help: "pce only: race group (default white).")
  var race: RaceOption?

  @Option(help: "score2, score2-op and score2+op: ESC risk region (default moderate).")
  var region: RegionOption?

  @Flag(help: "Print one JSON object instead of a sentence.")
  var json = false

  func validate() throws {
    if race != nil && equation != .pce {
      throw ValidationError(
        "--race applies only to --equation pce (race-specific Pooled Cohort Equations).")
    }
    if region != nil && !equation.isSCORE2Family {
      throw ValidationError(
        "--region applies only to --equation score2, score2-op and score2+op (ESC risk regions).")
    }
  }

  func run() throws {
    let cholesterolUnit: CholesterolUnit
    switch units ?? (equation.isSCORE2Family ? .mmolPerL : .mgPerDL) {
    case .mgPerDL: cholesterolUnit = .mgPerDL
    case .mmolPerL: cholesterolUnit = .mmolPerL
    }
    let factors = RiskFactors(
      sex: sex == .female ? .female : .male, ageYears: ageYears,
      totalCholesterolMmolL: cholesterolUnit.mmolPerL(totalCholesterol),
      hdlCholesterolMmolL: cholesterolUnit.mmolPerL(hdl), sbpMmHg: sbpMmHg,
      bpTreated: bpTreated, smoker: smoker, diabetes: diabetes)

    let model: any RiskEquation
    var groupWords: [String] = []
    var report = RiskReport()
    switch equation {
    case .pce:
      let chosenRace: PooledCohortEquations.Race = race == .black ? .black : .white
      model = PooledCohortEquations(race: chosenRace)
      report.race = chosenRace.rawValue
      groupWords.append(chosenRace.rawValue)
    case .framingham:
      model = Framingham2008()
    case .score2, .score2OP, .score2PlusOP:
      let chosenRegion = scoreTwoRegion(region ?? .moderate)
      switch equation {
      case .score2OP: model = SCORE2OP(region: chosenRegion)
      case .score2PlusOP: model = SCORE2PlusOP(region: chosenRegion)
      default: model = SCORE2(region: chosenRegion)
      }
      report.region = chosenRegion.rawValue
    }

    let estimate: RiskEstimate
    do {
      estimate = try model.evaluate(factors)
    } catch {
      throw reportInvalidInput(error.description)
    }

    groupWords.append(factors.sex.description)
    report.equation = model.kind.rawValue
    report.equationName = model.kind.displayName
    report.outcome = model.kind.outcome
    report.sex = factors.sex.description
    report.inputs = RiskReport.Inputs(
      ageYears: factors.ageYears, totalCholesterolMmolL: factors.totalCholesterolMmolL,
      hdlCholesterolMmolL: factors.hdlCholesterolMmolL, sbpMmHg: factors.sbpMmHg,
      bpTreated: factors.bpTreated, smoker: factors.smoker, diabetes: factors.diabetes)
    report.linearPredictor = estimate.linearPredictor
    report.risk10 = estimate.risk10
    report.risk10Uncalibrated = estimate.risk10Uncalibrated
    // A ten-year risk of 1 has no finite constant hazard: JSON carries null, never inf.
    report.annualHazard = estimate.annualHazard.isFinite ? estimate.annualHazard : nil
    report.validRanges = model.validRanges.map {
      RiskReport.Range(
        variable: $0.variable.rawValue, min: $0.lowerBound, max: $0.upperBound,
        unit: $0.unit.rawValue, source: $0.source)
    }

    if json {
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
      print(String(decoding: try encoder.encode(report), as: UTF8.self))
    } else {
      var context = [
        model.kind.displayName, groupWords.joined(separator: " "),
        "\(formatNumber(factors.ageYears)) years",
      ]
      if let regionName = report.region { context.append("\(regionName) risk region") }
      var line =
        context.joined(separator: ", ") + ": 10-year risk "
        + String(format: "%.2f %%", estimate.risk10 * 100)
      if let uncalibrated = estimate.risk10Uncalibrated {
        line += String(format: " (uncalibrated %.2f %%)", uncalibrated * 100)
      }
      line += String(
        format: ", linear predictor %.4f, annual hazard %.5f per year.",
        estimate.linearPredictor, estimate.annualHazard)
      print(line)
    }
  }

  private func scoreTwoRegion(_ option: RegionOption) -> SCORE2.Region {
    switch option {
    case .low: return .low
    case .moderate: return .moderate
    case .high: return .high
    case .veryHigh: return .veryHigh
    }
  }

  private func formatNumber(_ value: Double) -> String {
    String(format: "%g", value)
  }
}

/// The `--json` output of `twin-sim risk`: snake_case keys, risks as fractions,
/// lipids in mmol/L.
struct RiskReport: Encodable {
  struct Inputs: Encodable {
    var ageYears: Double
    var totalCholesterolMmolL: Double
    var hdlCholesterolMmolL: Double
    var sbpMmHg: Double
    var bpTreated: Bool
    var smoker: Bool
    var diabetes: Bool

    enum CodingKeys: String, CodingKey {
      case ageYears = "age_years"
      case totalCholesterolMmolL = "total_cholesterol_mmol_l"
      case hdlCholesterolMmolL = "hdl_cholesterol_mmol_l"
      case sbpMmHg = "sbp_mmhg"
      case bpTreated = "bp_treated"
      case smoker
      case diabetes
    }
  }

  struct Range: Encodable {
    var variable: String
    var min: Double
    var max: Double
    var unit: String
    var source: String
  }

  var equation = ""
  var equationName = ""
  var outcome = ""
  var sex = ""
  var race: String?
  var region: String?
  var inputs: Inputs?
  var linearPredictor = 0.0
  var risk10 = 0.0
  var risk10Uncalibrated: Double?
  var annualHazard: Double?
  var validRanges: [Range] = []

  enum CodingKeys: String, CodingKey {
    case equation
    case equationName = "equation_name"
    case outcome
    case sex
    case race
    case region
    case inputs
    case linearPredictor = "linear_predictor"
    case risk10
    case risk10Uncalibrated = "risk10_uncalibrated"
    case annualHazard = "annual_hazard"
    case validRanges = "valid_ranges"
  }
}
