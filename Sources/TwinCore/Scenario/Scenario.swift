import Foundation
import TwinModels

/// A validated scenario with every default applied: what the engine runs.
///
/// Built only by `ScenarioLoader` after a validation without problems, so the
/// values satisfy every range and rule in `ScenarioSchema` (documented in
/// docs/scenario.md). Property names follow the YAML keys in camel case, with
/// units added where a mix-up is possible.
public struct Scenario: Sendable {
  /// `name`: `[A-Za-z0-9_.-]{1,64}`.
  public var name: String
  public var description: String
  /// Master seed of all random streams, 0 ... 2^63 - 1.
  public var seed: UInt64
  public var time: TimeSpec
  public var population: PopulationSpec
  public var models: ModelsSpec
  /// 1 ... 64 arms with unique names, in file order.
  public var arms: [ArmSpec]
  /// The name of the reference arm (an element of `arms`).
  public var baselineArmName: String
  public var output: OutputSpec
  public var uncertainty: UncertaintySpec
  /// `dmp`: the data management plan and workflow step, if the scenario names one.
  public var dmp: DMPReference?
  /// `physiology`: the circulation model every person carries; nil when the key is left out
  /// or `model: off`.
  public var physiology: PhysiologySpec?
  /// The scenario file's text as read; the result file stores it.
  public var sourceYAML: String
  /// The scenario file's path as the user gave it (for messages).
  public var sourcePath: String
  /// The folder relative paths in the scenario (tables) are resolved against.
  public var directoryURL: URL

  /// The index of the baseline arm in `arms`.
  public var baselineArmIndex: Int {
    arms.firstIndex { $0.name == baselineArmName } ?? 0
  }
}

// MARK: time

/// `time`: calendar start, horizon and step.
public struct TimeSpec: Sendable, Hashable {
  /// Calendar year at t = 0 (1 January), 1900 ... 2200.
  public var startYear: Int
  /// Simulated years, 1 ... 120.
  public var horizonYears: Int
  public var step: TimeStep

  /// The number of steps over the horizon.
  public var stepCount: Int { horizonYears * step.stepsPerYear }
}

/// The length of one simulation step.
public enum TimeStep: String, Sendable, Hashable, CaseIterable {
  case year
  case month

  public var stepsPerYear: Int {
    switch self {
    case .year: return 1
    case .month: return 12
    }
  }

  public var lengthYears: Double { 1 / Double(stepsPerYear) }
}

// MARK: population

/// `population`: how many persons and where they come from.
public struct PopulationSpec: Sendable {
  /// Persons simulated, 1 ... 100,000,000; nil for a table means all rows.
  public var size: Int?
  public var source: PopulationSource
}

/// Where persons come from: exactly one of the two.
public enum PopulationSource: Sendable {
  case synthetic(SyntheticPopulation)
  case table(TablePopulation)
}

/// A normally distributed attribute of synthetic persons. Draws outside
/// [lowerLimit, upperLimit] (the physiological range, equal to the allowed range
/// of the mean in the schema) are redrawn: a truncated normal.
public struct NormalAttribute: Sendable, Hashable {
  public var mean: Double
  public var sd: Double
  public var lowerLimit: Double
  public var upperLimit: Double
}

/// How synthetic persons' ages at the start are drawn.
public enum AgeAtStart: Sendable, Hashable {
  /// Uniform in [minYears, maxYears).
  case uniform(minYears: Double, maxYears: Double)
  /// Birth year uniform in fromYear ... toYear; a person born in year Y is aged
  /// startYear - Y - U at the start, U uniform in [0, 1).
  case birthCohort(fromYear: Int, toYear: Int)
}

/// `population.synthetic`: distributions persons are drawn from.
public struct SyntheticPopulation: Sendable {
  /// Share of women, 0 ... 1.
  public var femaleFraction: Double
  public var ageAtStart: AgeAtStart
  public var sbpMmHg: NormalAttribute
  public var totalCholesterolMmolPerL: NormalAttribute
  public var hdlMmolPerL: NormalAttribute
  public var bmiKgPerM2: NormalAttribute
  /// Prevalence of current smoking, 0 ... 1.
  public var smokingFraction: Double
  /// Prevalence of diabetes, 0 ... 1.
  public var diabetesFraction: Double
  /// Share on antihypertensive treatment, 0 ... 1.
  public var bpTreatedFraction: Double
  /// Overrides by sex and age; later groups override earlier ones.
  public var groups: [PopulationGroup]
}

/// Which sex a population group applies to.
public enum SexSelector: String, Sendable, Hashable {
  case female
  case male
  case any
}

/// One override group of a synthetic population: values it sets replace the
/// population's for persons of its sex and age range.
public struct PopulationGroup: Sendable, Hashable {
  public var sex: SexSelector
  /// Age range at start [min, max) in years; nil: all ages.
  public var ageYears: ClosedOpenRangeYears?
  public var sbpMmHg: NormalAttribute?
  public var totalCholesterolMmolPerL: NormalAttribute?
  public var hdlMmolPerL: NormalAttribute?
  public var bmiKgPerM2: NormalAttribute?
  public var smokingFraction: Double?
  public var diabetesFraction: Double?
  public var bpTreatedFraction: Double?

  /// Whether a person of this sex and age (years) belongs to the group.
  public func contains(isFemale: Bool, ageYears age: Double) -> Bool {
    switch sex {
    case .female where !isFemale: return false
    case .male where isFemale: return false
    default: break
    }
    guard let range = ageYears else { return true }
    return age >= range.minYears && age < range.maxYears
  }
}

/// An age range [minYears, maxYears).
public struct ClosedOpenRangeYears: Sendable, Hashable {
  public var minYears: Double
  public var maxYears: Double
}

/// The file format of a population table.
public enum TableFormat: String, Sendable, Hashable {
  case csv
  case hdf5

  /// The format a file name's extension implies: `.csv` -> csv, `.h5`/`.hdf5`
  /// -> hdf5 (case-insensitive); nil for any other extension.
  public init?(inferredFromPath path: String) {
    switch URL(fileURLWithPath: path).pathExtension.lowercased() {
    case "csv": self = .csv
    case "h5", "hdf5": self = .hdf5
    default: return nil
    }
  }
}

/// A unit of cholesterol concentrations.
public enum LipidUnit: String, Sendable, Hashable {
  case mmolPerL = "mmol/L"
  case mgPerDL = "mg/dL"

  /// mg/dL per mmol/L for cholesterol (total, HDL, LDL): 38.67, TwinModels'
  /// `CholesterolUnit.mgPerDLPerMmolPerL`.
  public static let mgPerDLPerMmolPerL = ValueUnits.mgPerDLPerMmolPerL

  /// Converts a value in this unit to mmol/L.
  public func toMmolPerL(_ value: Double) -> Double {
    switch self {
    case .mmolPerL: return value
    case .mgPerDL: return value / Self.mgPerDLPerMmolPerL
    }
  }
}

/// A column of a population table, named as in `population.table.columns`.
public enum TableColumn: String, Sendable, Hashable, CaseIterable {
  case id
  case sex
  case age
  case sbp
  case totalCholesterol = "total_cholesterol"
  case hdl
  case bmi
  case smoking
  case diabetes
  case bpTreated = "bp_treated"
}

/// `population.table`: persons read from a file, one row per person.
public struct TablePopulation: Sendable {
  /// The path as written in the scenario.
  public var path: String
  /// The file, resolved against the scenario file's folder.
  public var url: URL
  public var format: TableFormat
  /// HDF5 group holding one 1-D dataset per column (HDF5 only).
  public var group: String
  /// The file's column name for every twin-sim column (identity where not mapped).
  public var columnNames: [TableColumn: String]
  /// How women and men are coded in the `sex` column.
  public var femaleCode: String
  public var maleCode: String
  public var totalCholesterolUnit: LipidUnit
  public var hdlUnit: LipidUnit

  /// An absolute path as it is; a relative one against `directory`.
  public static func resolve(path: String, relativeTo directory: URL) -> URL {
    if path.hasPrefix("/") { return URL(fileURLWithPath: path).standardizedFileURL }
    return directory.appendingPathComponent(path).standardizedFileURL
  }
}

// MARK: models

/// The 10-year cardiovascular risk equation.
public enum RiskEquationChoice: String, Sendable, Hashable, CaseIterable {
  /// Pooled Cohort Equations (Goff et al. 2013).
  case pce
  /// Framingham general CVD (D'Agostino et al. 2008).
  case framingham
  /// SCORE2 (SCORE2 working group, Eur Heart J 2021).
  case score2
  /// SCORE2-OP (SCORE2-OP working group, Eur Heart J 2021), ages 70-89.
  case score2OP = "score2-op"
  /// SCORE2 below 70, SCORE2-OP from 70 (ESC 2021 prevention guideline).
  case score2PlusOP = "score2+op"
  /// No risk equation: only declared conditions cause events.
  case none

  /// The exact ages (years) the equation was derived for, [lower, upper), from
  /// the equations' own validity ranges: PCE 40-79 (Goff 2013), Framingham
  /// 30-74 (D'Agostino 2008), SCORE2 40-69, SCORE2-OP 70-89, both together 40-89; nil for
  /// `none`.
  public var validAgesYears: Range<Double>? {
    switch self {
    case .pce: return PooledCohortEquations().validAgeInterval
    case .framingham: return Framingham2008().validAgeInterval
    case .score2: return SCORE2(region: .moderate).validAgeInterval
    case .score2OP: return SCORE2OP(region: .moderate).validAgeInterval
    case .score2PlusOP: return SCORE2PlusOP(region: .moderate).validAgeInterval
    case .none: return nil
    }
  }
}

/// SCORE2 risk regions (recalibration sets).
public enum Score2Region: String, Sendable, Hashable, CaseIterable {
  case low
  case moderate
  case high
  case veryHigh = "very-high"
}

/// The PCE's population group.
public enum PCERace: String, Sendable, Hashable {
  case white
  case black
}

/// What happens to persons whose age leaves the risk equation's validity range.
/// How age-dependent hazards are discretised within a step.
public enum HazardTiming: String, Sendable, Hashable {
  /// Hazards follow the age within the step (exact for the piecewise hazards).
  case exact
  /// Hazards at the age at the start of the step, constant over the step.
  case stepStart = "step_start"
}

public enum OutsideValidityPolicy: String, Sendable, Hashable {
  /// Evaluate the equation at the nearest valid age.
  case hold
  /// Refuse the scenario (validation for synthetic populations; the table
  /// reader for tables).
  case refuse
}

/// The background life table.
public enum LifeTableChoice: String, Sendable, Hashable, CaseIterable {
  case destatis2022to2024 = "destatis-2022-2024"
  case destatis2016to2018 = "destatis-2016-2018"
}

/// `models.mortality`: background mortality.
public struct MortalitySpec: Sendable {
  public var lifeTable: LifeTableChoice
  /// Share of background deaths that are cardiovascular, [0, 1); removed from
  /// background mortality when CVD is simulated explicitly.
  public var cvdShare: UncertainValue
  /// Relative risk of background death for current smokers versus non-smokers.
  public var smokingRelativeRisk: UncertainValue
  /// Share of smokers in the population the background hazard describes.
  public var smokingReferencePrevalence: Double
  /// A Gompertz hazard replacing the life table, if given.
  public var gompertz: BackgroundGompertz?
}

/// Background mortality hazard a exp(b age) per year.
public struct BackgroundGompertz: Sendable, Hashable {
  /// Hazard at age 0 per year, (0, 10].
  public var aPerYear: Double
  /// Increase of the log-hazard per year of age, 0 ... 1.
  public var bPerYearOfAge: Double
}

/// `models.trajectories`: yearly drifts of risk factors.
public struct TrajectorySpec: Sendable {
  public var sbpMmHgPerYear: UncertainValue
  public var totalCholesterolMmolPerLPerYear: UncertainValue
  public var hdlMmolPerLPerYear: UncertainValue
  public var bmiKgPerM2PerYear: UncertainValue
}

/// `models`: which models drive events.
public struct ModelsSpec: Sendable {
  public var riskEquation: RiskEquationChoice
  public var score2Region: Score2Region
  public var race: PCERace
  public var outsideValidity: OutsideValidityPolicy
  /// How age-dependent hazards are discretised within a step.
  public var hazardTiming: HazardTiming
  /// Share of first cardiovascular events that are fatal, 0 ... 1.
  public var cvdCaseFatality: UncertainValue
  /// Hazard multiplier after a non-fatal cardiovascular event, 1 ... 10.
  public var cvdHistoryRelativeRisk: UncertainValue
  public var mortality: MortalitySpec
  public var trajectories: TrajectorySpec
  /// Up to 32 conditions with unique names.
  public var conditions: [ConditionSpec]
}

/// A Gompertz hazard a exp(b age) per year with uncertain parameters.
public struct GompertzIncidence: Sendable, Hashable {
  /// Hazard at age 0 per year, > 0.
  public var aPerYear: UncertainValue
  /// Increase of the log-hazard per year of age, -1 ... 1.
  public var bPerYearOfAge: UncertainValue
}

/// Incidence rates by age and sex: a step function, each rate holding from its
/// age up to the next; the hazard is 0 below the first age.
public struct IncidenceTable: Sendable, Hashable {
  /// Strictly increasing ages, 0 ... 120.
  public var agesYears: [Double]
  /// Rates per year for women, one per age, >= 0.
  public var femalePerYear: [Double]
  /// Rates per year for men, one per age, >= 0.
  public var malePerYear: [Double]
}

/// A condition's incidence hazard per year.
public enum IncidenceSpec: Sendable, Hashable {
  /// Gompertz hazard by sex (the same for both when the file gives one `{a, b}`).
  case gompertz(female: GompertzIncidence, male: GompertzIncidence)
  case table(IncidenceTable)
}

/// What a condition's relative risk applies to.
public enum RelativeRiskFactor: Sendable, Hashable {
  case smoking
  case diabetes
  case bpTreated
  /// Another declared condition, by name.
  case condition(String)

  /// The name as written in the scenario.
  public var name: String {
    switch self {
    case .smoking: return "smoking"
    case .diabetes: return "diabetes"
    case .bpTreated: return "bp_treated"
    case .condition(let name): return name
    }
  }
}

/// One multiplier of a condition's incidence.
public struct ConditionRelativeRisk: Sendable, Hashable {
  public var factor: RelativeRiskFactor
  /// > 0.
  public var relativeRisk: UncertainValue
}

/// `models.conditions[i]`: a hazard-based condition declared in the scenario.
public struct ConditionSpec: Sendable {
  /// `[a-z][a-z0-9_]{0,31}`, not reserved; the HDF5 dataset name.
  public var name: String
  public var incidence: IncidenceSpec
  /// Share with the condition at the start, 0 ... 1.
  public var prevalence: UncertainValue
  /// Multipliers of the incidence, in file order.
  public var relativeRisks: [ConditionRelativeRisk]
  /// Extra death hazard per year while having the condition, 0 ... 10.
  public var excessMortalityPerYear: UncertainValue
  /// Share of incident cases that die at onset, 0 ... 1.
  public var caseFatality: UncertainValue
  /// Onset counts as a cardiovascular event, death as cardiovascular death.
  public var countsAsCVD: Bool
  /// Multiplies the risk-equation CVD hazard once a person has the condition, 1 ... 10.
  public var historyRelativeRisk: UncertainValue
}

// MARK: arms

/// `arms[i]`: one what-if arm.
public struct ArmSpec: Sendable {
  /// `[A-Za-z0-9_-]{1,64}`, unique; the HDF5 group `/arms/<name>`.
  public var name: String
  public var description: String
  public var interventions: [Intervention]
}

/// When an intervention starts.
public enum InterventionStart: Sendable, Hashable {
  /// From 1 January of a calendar year (before `time.start_year`: from the start).
  case year(Int)
  /// From each person's age in years, 0 ... 120.
  case ageYears(Double)
}

/// `type: smoking`: what happens to smoking.
public enum SmokingAction: String, Sendable, Hashable {
  case start
  case stop
}

/// A smoking intervention: sets `smoking` from its start on.
public struct SmokingIntervention: Sendable, Hashable {
  public var start: InterventionStart
  /// Share of persons reached, 0 ... 1 (propensity-nested).
  public var fraction: UncertainValue
  public var action: SmokingAction
}

/// The diets a diet intervention can switch to.
public enum DietKind: String, Sendable, Hashable {
  case vegan
  case vegetarian
  case dash
}

/// A diet change: shifts of risk factors, ramped in linearly over `onsetYears`.
public struct DietIntervention: Sendable, Hashable {
  public var start: InterventionStart
  public var fraction: UncertainValue
  public var kind: DietKind
  public var totalCholesterolShiftMmolPerL: UncertainValue
  public var hdlShiftMmolPerL: UncertainValue
  public var sbpShiftMmHg: UncertainValue
  public var bmiShiftKgPerM2: UncertainValue
  /// Years of the linear ramp to the full effect, 0 ... 10.
  public var onsetYears: Double
}

/// Statin treatment.
public struct StatinIntervention: Sendable, Hashable {
  public var start: InterventionStart
  public var fraction: UncertainValue
  /// Relative LDL reduction, 0 ... 1 (stored; the equations use total cholesterol).
  public var ldlRelativeReduction: UncertainValue
  /// Relative total-cholesterol reduction the risk equations see, 0 ... 1.
  public var totalCholesterolRelativeReduction: UncertainValue
  /// Share of reached, eligible persons who start, 0 ... 1.
  public var uptake: UncertainValue
  /// Share of the full effect realised, 0 ... 1.
  public var adherence: UncertainValue
  /// Only persons with a 10-year risk of at least this (0 ... 1); nil: everyone.
  public var minRisk10: Double?
}

/// Antihypertensive treatment.
public struct AntihypertensiveIntervention: Sendable, Hashable {
  public var start: InterventionStart
  public var fraction: UncertainValue
  /// SBP reduction at full adherence, 0 ... 60 mmHg.
  public var sbpReductionMmHg: UncertainValue
  public var uptake: UncertainValue
  public var adherence: UncertainValue
  /// Only persons with SBP of at least this (90 ... 250 mmHg); nil: everyone.
  public var minSbpMmHg: Double?
}

/// `arms[i].interventions[j]`: one intervention, by `type`.
public enum Intervention: Sendable, Hashable {
  case smoking(SmokingIntervention)
  case diet(DietIntervention)
  case statin(StatinIntervention)
  case antihypertensive(AntihypertensiveIntervention)

  /// The `type` as written in the scenario.
  public var typeName: String {
    switch self {
    case .smoking: return "smoking"
    case .diet: return "diet"
    case .statin: return "statin"
    case .antihypertensive: return "antihypertensive"
    }
  }

  public var start: InterventionStart {
    switch self {
    case .smoking(let intervention): return intervention.start
    case .diet(let intervention): return intervention.start
    case .statin(let intervention): return intervention.start
    case .antihypertensive(let intervention): return intervention.start
    }
  }

  /// Share of persons reached, 0 ... 1.
  public var fraction: UncertainValue {
    switch self {
    case .smoking(let intervention): return intervention.fraction
    case .diet(let intervention): return intervention.fraction
    case .statin(let intervention): return intervention.fraction
    case .antihypertensive(let intervention): return intervention.fraction
    }
  }
}

// MARK: output and uncertainty

/// Precision of floating-point datasets in the result file.
public enum FloatPrecision: String, Sendable, Hashable {
  case float32
  case float64
}

/// How the datasets of the result file are stored (`output.compression`).
public enum OutputCompression: Sendable, Hashable {
  /// No filter: written at close to the disk's sequential rate (the default;
  /// docs/benchmarks.md, "Writing results.h5").
  case none
  /// HDF5's deflate (gzip) filter at `level` 1 ... 9 on every chunked dataset:
  /// smaller files (float series to about 40 % at level 1), written several
  /// times more slowly.
  case deflate(level: Int)

  /// The deflate level, or nil without compression.
  public var deflateLevel: Int? {
    switch self {
    case .none: nil
    case .deflate(let level): level
    }
  }
}

/// `output`: where results go and what is recorded.
public struct OutputSpec: Sendable, Hashable {
  /// Run folder, relative to the current directory (`runs/<name>` by default).
  public var directory: String
  /// Per-person time series to write, each a recordable variable or a condition.
  public var record: [String]
  public var precision: FloatPrecision
  /// Filter of the result file's datasets.
  public var compression: OutputCompression

  public init(
    directory: String, record: [String], precision: FloatPrecision,
    compression: OutputCompression = .none
  ) {
    self.directory = directory
    self.record = record
    self.precision = precision
    self.compression = compression
  }
}

/// `uncertainty`: replicates and PSA draws.
public struct UncertaintySpec: Sendable, Hashable {
  /// Independent replicates, 1 ... 1000.
  public var replicates: Int
  /// PSA draws of every U-number, 0 ... 10000 (0: point values).
  public var parameterDraws: Int
}

// MARK: physiology

/// `physiology.model`: the circulation models the engine can couple in.
public enum PhysiologyModelChoice: String, Sendable, Hashable {
  /// The reduced Smith 2004 closed-loop model with `PhysiologyMapping` (docs/physiology.md).
  case smith2004
}

/// `physiology`: the cardiovascular physiology coupled into the engine.
public struct PhysiologySpec: Sendable, Hashable {
  public var model: PhysiologyModelChoice
  /// k in E_sa proportional to PWV^k: 2 (Bramwell-Hill, default) or 1.
  public var elastanceExponent: Int
}

// MARK: data management plan

/// `dmp`: the maDMP file a run obeys and the workflow step it is (docs/dmp.md).
public struct DMPReference: Sendable, Hashable {
  /// The path as written in the scenario.
  public var file: String
  /// The file, resolved against the scenario file's folder.
  public var url: URL
  /// The workflow step's name in the DMP.
  public var step: String
}
