import Foundation

/// The scenario file's schema: every key, its type, default, range and meaning,
/// and the rules between keys. Validation, the defaults of the typed
/// `Scenario`, and the key reference in docs/scenario.md all come from here.
///
/// Units: years, mmHg, mmol/L for lipids, kg/m^2 for BMI, fractions in [0, 1]
/// (never percent), hazards per year.
public enum ScenarioSchema {
  // MARK: Names

  /// The per-person variables that `output.record` may name (besides condition
  /// names); each becomes the HDF5 dataset of the same name.
  public static let recordableVariables = [
    "alive", "age", "sbp", "total_cholesterol", "hdl", "bmi", "smoking", "diabetes",
    "bp_treated", "risk10", "cvd_history", "sbp_model", "dbp_model", "pulse_pressure",
    "cardiac_output", "ejection_fraction", "pwv", "sbp_risk", "on_smoking", "on_diet",
    "on_statin", "on_antihypertensive",
  ]

  /// The recordable variables the cardiovascular physiology computes (they need
  /// `physiology.model: smith2004`); recorded by default when it is on.
  public static let physiologyVariables = [
    "sbp_model", "dbp_model", "pulse_pressure", "cardiac_output", "ejection_fraction", "pwv",
    "sbp_risk",
  ]

  /// Names a condition may not take: recordable variables and the other names
  /// twin-sim uses for datasets and attributes in the result file.
  public static let reservedNames =
    recordableVariables + [
      "sex", "id", "ldl", "time", "person", "events", "summary", "deaths", "cvd_events",
      "cvd_deaths", "person_years", "person_years_risk_held", "treatment_starts",
    ]

  /// Risk factors (person attributes that are yes/no) a condition's incidence
  /// may be multiplied by, besides other conditions.
  public static let relativeRiskFactors = ["smoking", "diabetes", "bp_treated"]

  /// The columns a population table may map.
  public static let tableColumns = [
    "id", "sex", "age", "sbp", "total_cholesterol", "hdl", "bmi", "smoking", "diabetes",
    "bp_treated",
  ]

  private static let letters = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
  private static let lowercase = Set("abcdefghijklmnopqrstuvwxyz")
  private static let digits = Set("0123456789")

  static let scenarioName = StringRule(
    characters: letters.union(digits).union("_.-"), length: 1...64,
    notation: "[A-Za-z0-9_.-]{1,64}")
  static let armName = StringRule(
    characters: letters.union(digits).union("_-"), length: 1...64,
    notation: "[A-Za-z0-9_-]{1,64}")
  static let conditionName = StringRule(
    firstCharacters: lowercase, characters: lowercase.union(digits).union("_"), length: 1...32,
    notation: "[a-z][a-z0-9_]{0,31}")
  static let variableName = StringRule(
    length: 1...64, notation: "a recordable variable or condition name")

  private static let fraction = NumberRange.closed(0, 1)
  /// mg/dL per mmol/L as the documentation writes it (38.67; `ValueUnits`).
  private static let mgPerDL = formatNumber(ValueUnits.mgPerDLPerMmolPerL)

  // MARK: Root

  /// The whole scenario file.
  public static let root = ObjectSchema(
    fields: [
      Field(
        "name", .string(scenarioName), .required,
        doc: "Scenario name; names the default run folder `runs/<name>`."),
      Field(
        "description", .string(.text(maximum: 4000)), .defaulted("\"\""),
        doc: "Free text: purpose, sources, author."),
      Field(
        "seed", .integer(0...Int.max), .defaulted("1"),
        doc:
          "Master seed of all random streams (Philox key). A result is a pure function of "
          + "(scenario, seed, software version)."),
      Field(
        "time", .object(time), .defaultsOfItsKeys,
        doc: "Calendar start, horizon and step length."),
      Field(
        "population", .object(population), .required, doc: "Who is simulated."),
      Field(
        "models", .object(models), .defaultsOfItsKeys,
        doc: "Risk equation, mortality, risk-factor trajectories and conditions."),
      Field(
        "arms",
        .sequence(SequenceRule(of: .object(arm), count: 1...64, itemNoun: "arm")),
        .defaulted("[{name: baseline}]"),
        doc:
          "What-if arms, 1 to 64. Arms share every random draw that their interventions do "
          + "not change (common random numbers), so differences between arms are effects."),
      Field(
        "baseline", .string(armName), .derived("name of the first arm"),
        doc: "The reference arm for comparisons; must name an arm."),
      Field(
        "output", .object(output), .defaultsOfItsKeys,
        doc: "Where results go and which per-person time series are written."),
      Field(
        "uncertainty", .object(uncertainty), .defaultsOfItsKeys,
        doc: "Replicates and probabilistic sensitivity analysis."),
      Field(
        "dmp", .object(dmp), .optional,
        doc:
          "The data management plan (maDMP JSON) this run obeys and its workflow step; "
          + "`twin-sim dmp check` checks a run against it (docs/dmp.md)."),
      Field(
        "physiology", .object(physiology), .optional,
        doc:
          "A closed-loop model of heart and circulation for every person, solved once a "
          + "simulated year, whose blood pressure feeds the risk equations "
          + "(docs/physiology.md). Left out: no physiology."),
    ],
    rules: [
      .uniqueNames(in: "arms", nameKey: "name", noun: "arm"),
      baselineNamesAnArm,
      recordedVariablesAreKnown,
      interventionYearsFallInHorizon,
      birthCohortGivesValidAges,
      refusedPopulationStaysInValidity,
    ],
    doc: "The top level of a scenario file.")

  // MARK: time

  static let time = ObjectSchema(
    fields: [
      Field(
        "start_year", .integer(1900...2200), .defaulted("2025"), unit: "calendar year",
        doc: "Calendar year at t = 0 (1 January)."),
      Field(
        "horizon_years", .integer(1...120), .defaulted("30"), unit: "years",
        doc: "Simulated years."),
      Field(
        "step",
        .choice([SchemaChoice("year", "yearly steps"), SchemaChoice("month", "monthly steps")]),
        .defaulted("year"), doc: "Step length."),
    ],
    doc: "Calendar and step length.")

  // MARK: population

  static let population = ObjectSchema(
    fields: [
      Field(
        "size", .integer(1...100_000_000),
        .derived("required for `synthetic`; for `table`: all rows"), unit: "persons",
        doc: "Number of persons simulated (for a table: the first `size` rows)."),
      Field(
        "synthetic", .object(synthetic), .optional,
        doc: "Persons drawn from distributions (see below)."),
      Field(
        "table", .object(table), .optional,
        doc: "Persons read from a CSV or HDF5 table, one row per person (see below)."),
    ],
    rules: [
      .exactlyOne(of: "synthetic", or: "table"),
      CrossRule(doc: "`size` is required with `synthetic`") { context in
        let object = context.object
        guard object.isGiven("synthetic"), !object.isGiven("table"), !object.isGiven("size")
        else { return }
        context.report(
          "missing required key 'size' (required for a synthetic population)",
          at: context.path.appending(key: "size"), context.object.position)
      },
    ],
    doc: "Exactly one of `synthetic` or `table`.")

  /// `{mean, sd}` of a normally distributed attribute; draws outside the
  /// physiological range (the range of the mean) are redrawn.
  static func normalAttribute(mean: NumberRange, sd: NumberRange, unit: String) -> ObjectSchema {
    ObjectSchema(fields: [
      Field("mean", .number(mean), .required, unit: unit, doc: "mean"),
      Field("sd", .number(sd), .required, unit: unit, doc: "standard deviation"),
    ])
  }

  static let sbpDistribution = normalAttribute(
    mean: .closed(70, 250), sd: .closed(0, 60), unit: "mmHg")
  static let totalCholesterolDistribution = normalAttribute(
    mean: .closed(2, 15), sd: .closed(0, 5), unit: "mmol/L")
  static let hdlDistribution = normalAttribute(
    mean: .closed(0.3, 4), sd: .closed(0, 2), unit: "mmol/L")
  static let bmiDistribution = normalAttribute(
    mean: .closed(12, 60), sd: .closed(0, 20), unit: "kg/m^2")

  private static let redrawNote =
    " Normal; a draw outside the physiological range (the range of `mean`) is redrawn "
    + "(truncated normal)."

  static let synthetic = ObjectSchema(
    fields: [
      Field(
        "female_fraction", .number(fraction), .defaulted("0.5"), unit: "fraction",
        doc: "Share of women."),
      Field(
        "age", .object(ageRange),
        .defaultedUnlessGiven("{min: 40, max: 70}", otherKey: "birth_cohort"),
        unit: "years",
        doc: "Age at start, uniform in [min, max)."),
      Field(
        "birth_cohort", .object(birthCohort), .optional, unit: "calendar years",
        doc:
          "Alternative to `age`: birth years, uniform from `from` to `to`; a person born in "
          + "year Y is aged start_year - Y - U at the start, U uniform in [0, 1) (birthdays "
          + "spread over the year). Ages at the start must lie in 0 ... 100."),
      Field(
        "sbp", .object(sbpDistribution), .defaulted("{mean: 128, sd: 16}"), unit: "mmHg",
        doc: "Systolic blood pressure." + redrawNote),
      Field(
        "total_cholesterol", .object(totalCholesterolDistribution),
        .defaulted("{mean: 5.4, sd: 1.0}"), unit: "mmol/L",
        doc: "Total cholesterol." + redrawNote),
      Field(
        "hdl", .object(hdlDistribution), .defaulted("{mean: 1.45, sd: 0.4}"), unit: "mmol/L",
        doc: "HDL cholesterol." + redrawNote),
      Field(
        "bmi", .object(bmiDistribution), .defaulted("{mean: 27, sd: 4.5}"), unit: "kg/m^2",
        doc: "Body-mass index." + redrawNote),
      Field(
        "smoking", .number(fraction), .defaulted("0.25"), unit: "fraction",
        doc: "Prevalence of current smoking."),
      Field(
        "diabetes", .number(fraction), .defaulted("0.07"), unit: "fraction",
        doc: "Prevalence of diabetes."),
      Field(
        "bp_treated", .number(fraction), .defaulted("0.15"), unit: "fraction",
        doc: "Share on antihypertensive treatment."),
      Field(
        "groups",
        .sequence(SequenceRule(of: .object(group), count: 0...1000, itemNoun: "group")),
        .defaulted("[]"),
        doc:
          "Overrides by sex and age group. A person takes the values of every group that "
          + "matches; later groups override earlier ones for the keys they set."),
    ],
    rules: [.atMostOne(of: "age", or: "birth_cohort")],
    doc: "Person attributes are drawn independently from these distributions.")

  static let ageRange = ObjectSchema(
    fields: [
      Field("min", .number(.closed(0, 100)), .required, unit: "years", doc: "lowest age"),
      Field(
        "max", .number(.closed(0, 100)), .required, unit: "years",
        doc: "upper end (not included), > min"),
    ],
    rules: [
      CrossRule(doc: "min < max") { context in
        guard let min = context.object["min"]?.number, let max = context.object["max"]?.number,
          min >= max
        else { return }
        context.report(
          "expected max > min, found min \(formatNumber(min)) and max \(formatNumber(max))",
          key: "max")
      }
    ])

  static let birthCohort = ObjectSchema(
    fields: [
      Field(
        "from", .integer(1900...2100), .required, unit: "calendar year", doc: "first birth year"),
      Field(
        "to", .integer(1900...2100), .required, unit: "calendar year",
        doc: "last birth year, >= from"),
    ],
    rules: [
      CrossRule(doc: "from <= to") { context in
        guard let from = context.object["from"]?.integer, let to = context.object["to"]?.integer,
          from > to
        else { return }
        context.report("expected to >= from, found from \(from) and to \(to)", key: "to")
      }
    ])

  static let group = ObjectSchema(
    fields: [
      Field(
        "sex",
        .choice([
          SchemaChoice("female"), SchemaChoice("male"), SchemaChoice("any", "both sexes"),
        ]), .defaulted("any"), doc: "Which persons the group applies to."),
      Field(
        "age", .numberPair(.closed(0, 120)), .optional, unit: "years",
        doc: "Age range `[min, max]` at start (min included, max not); left out: all ages."),
      Field("sbp", .object(sbpDistribution), .optional, unit: "mmHg", doc: "as above"),
      Field(
        "total_cholesterol", .object(totalCholesterolDistribution), .optional, unit: "mmol/L",
        doc: "as above"),
      Field("hdl", .object(hdlDistribution), .optional, unit: "mmol/L", doc: "as above"),
      Field("bmi", .object(bmiDistribution), .optional, unit: "kg/m^2", doc: "as above"),
      Field("smoking", .number(fraction), .optional, unit: "fraction", doc: "as above"),
      Field("diabetes", .number(fraction), .optional, unit: "fraction", doc: "as above"),
      Field("bp_treated", .number(fraction), .optional, unit: "fraction", doc: "as above"),
    ],
    doc: "One override group.")

  static let table = ObjectSchema(
    fields: [
      Field(
        "path", .string(.text(minimum: 1, maximum: 4096)), .required,
        doc:
          "CSV or HDF5 file; a relative path is relative to the scenario file's folder. "
          + "Validation checks that the file exists; its columns are checked when it is read."),
      Field(
        "format",
        .choice([
          SchemaChoice("csv", "comma-separated, header row with column names"),
          SchemaChoice("hdf5", "one 1-D dataset per column in `group`"),
        ]),
        .derived("from the extension: `.csv` -> csv, `.h5`/`.hdf5` -> hdf5"),
        doc: "File format."),
      Field(
        "group", .string(.text(minimum: 1, maximum: 1024)), .defaulted("/"),
        doc: "HDF5 group holding one 1-D dataset per column (HDF5 only)."),
      Field(
        "columns", .object(tableColumnMapping), .defaultsOfItsKeys,
        doc:
          "Column mapping: twin-sim's name -> the column's name in the file. `sex` and `age` "
          + "are required in the file (mapped or under their own name), checked when the "
          + "table is read."),
      Field(
        "sex_values", .object(sexValues), .defaultsOfItsKeys,
        doc: "How sex is coded in the file."),
      Field(
        "units", .object(lipidUnits), .defaultsOfItsKeys,
        doc: "Units of the lipid columns (1 mmol/L = \(mgPerDL) mg/dL)."),
    ],
    rules: [tableFileExists, tableFormatIsKnown, groupOnlyForHDF5],
    doc: "A table of persons, one row per person.")

  static let tableColumnMapping = ObjectSchema(
    fields: tableColumns.map { column in
      Field(
        column, .string(.text(minimum: 1, maximum: 256)), .derived("`\(column)`"),
        doc: "name of the column holding `\(column)`")
    },
    doc: "Keys are twin-sim's names, values the names in the file.")

  static let sexValues = ObjectSchema(fields: [
    Field(
      "female", .string(.text(minimum: 1, maximum: 64)), .defaulted("female"), doc: "code for women"
    ),
    Field("male", .string(.text(minimum: 1, maximum: 64)), .defaulted("male"), doc: "code for men"),
  ])

  static let lipidUnit = SchemaType.choice([
    SchemaChoice("mmol/L"), SchemaChoice("mg/dL", "converted with 1 mmol/L = \(mgPerDL) mg/dL"),
  ])

  static let lipidUnits = ObjectSchema(fields: [
    Field("total_cholesterol", lipidUnit, .defaulted("mmol/L"), doc: "unit of total cholesterol"),
    Field("hdl", lipidUnit, .defaulted("mmol/L"), doc: "unit of HDL cholesterol"),
  ])

  // MARK: models

  static let models = ObjectSchema(
    fields: [
      Field(
        "risk_equation",
        .choice([
          SchemaChoice("pce", "Pooled Cohort Equations, Goff 2013 (ages 40-79)"),
          SchemaChoice("framingham", "Framingham general CVD, D'Agostino 2008 (ages 30-74)"),
          SchemaChoice("score2", "SCORE2, Eur Heart J 2021 (ages 40-69)"),
          SchemaChoice("score2-op", "SCORE2-OP for older persons, Eur Heart J 2021 (ages 70-89)"),
          SchemaChoice(
            "score2+op",
            "SCORE2 below 70 and SCORE2-OP from 70, as the ESC 2021 guideline uses them "
              + "(ages 40-89)"),
          SchemaChoice("none", "no risk equation: only declared conditions"),
        ]), .defaulted("score2"),
        doc: "10-year CVD risk equation driving cardiovascular events."),
      Field(
        "score2_region",
        .choice([
          SchemaChoice("low"), SchemaChoice("moderate"), SchemaChoice("high"),
          SchemaChoice("very-high"),
        ]), .defaulted("moderate"),
        doc: "SCORE2 and SCORE2-OP risk region (Germany: moderate)."),
      Field(
        "race", .choice([SchemaChoice("white"), SchemaChoice("black")]), .defaulted("white"),
        doc: "PCE group."),
      Field(
        "outside_validity",
        .choice([
          SchemaChoice(
            "hold", "evaluate at the nearest valid age (recorded as a result-file attribute)"),
          SchemaChoice(
            "refuse",
            "validation fails if the horizon takes any synthetic person outside the "
              + "equation's ages (a table is checked when it is read)"),
        ]), .defaulted("hold"),
        doc: "What happens to persons whose age leaves the risk equation's validity range."),
      Field(
        "hazard_timing",
        .choice([
          SchemaChoice(
            "exact",
            "age-dependent hazards (life table, Gompertz) follow the person's age within "
              + "each step"),
          SchemaChoice(
            "step_start",
            "every hazard is evaluated at the age at the start of the step and held for "
              + "the step, the convention of most discrete-time microsimulations (Vivarium)"),
        ]), .defaulted("exact"),
        doc: "How age-dependent hazards are discretised within a step."),
      Field(
        "cvd_case_fatality", .uncertain(fraction), .defaulted("0.25"), unit: "fraction",
        doc: "Share of first cardiovascular events that are fatal (check: scenario parameter)."),
      Field(
        "cvd_history_relative_risk", .uncertain(.closed(1, 10)), .defaulted("1.5"),
        unit: "ratio", doc: "Hazard multiplier after a non-fatal cardiovascular event."),
      Field(
        "mortality", .object(mortality), .defaultsOfItsKeys,
        doc: "Background (non-cardiovascular) mortality."),
      Field(
        "trajectories", .object(trajectories), .defaultsOfItsKeys,
        doc: "Yearly drifts of risk factors."),
      Field(
        "conditions",
        .sequence(SequenceRule(of: .object(condition), count: 0...32, itemNoun: "condition")),
        .defaulted("[]"), doc: "Hazard-based conditions declared without code (up to 32)."),
    ],
    rules: [
      .uniqueNames(in: "conditions", nameKey: "name", noun: "condition"),
      relativeRisksNameKnownFactors,
    ],
    doc: "Which models drive events.")

  static let mortality = ObjectSchema(
    fields: [
      Field(
        "life_table",
        .choice([
          SchemaChoice("destatis-2022-2024", "German period life table 2022/24"),
          SchemaChoice("destatis-2016-2018", "German period life table 2016/18"),
        ]), .defaulted("destatis-2022-2024"),
        doc: "Destatis table 12621-0001, single-year q(x) by sex."),
      Field(
        "cvd_share", .uncertain(.closedOpen(0, 1)), .defaulted("0.33"), unit: "fraction",
        doc:
          "Share of background deaths that are cardiovascular, removed when CVD is simulated "
          + "explicitly (ignored when `risk_equation` is `none`). Circulatory deaths are "
          + "roughly a third of German deaths (check)."),
      Field(
        "smoking_relative_risk", .uncertain(.closed(1, 10)), .defaulted("2.8"), unit: "ratio",
        doc:
          "Relative risk of background (non-cardiovascular) death for current smokers versus "
          + "non-smokers; all-cause hazard ratio about 2.8 to 3 (Jha 2013, NEJM 368:341; "
          + "check). 1 switches the effect off."),
      Field(
        "smoking_reference_prevalence", .number(.closed(0, 1)), .defaulted("0.25"),
        unit: "fraction",
        doc:
          "Share of current smokers in the population the background hazard describes (the "
          + "life table's); the hazard is split so that this mix reproduces it (check)."),
      Field(
        "gompertz", .object(backgroundGompertz), .optional,
        doc: "Background mortality a exp(b age) per year replacing the life table "
          + "(for benchmark models)."),
    ],
    doc: "Background mortality.")

  static let backgroundGompertz = ObjectSchema(fields: [
    Field("a", .number(.openClosed(0, 10)), .required, unit: "per year", doc: "hazard at age 0"),
    Field(
      "b", .number(.closed(0, 1)), .required, unit: "per year of age",
      doc: "log-hazard increase per year of age"),
  ])

  static let trajectories = ObjectSchema(
    fields: [
      Field(
        "sbp_per_year", .uncertain(.closed(-5, 5)), .defaulted("0.6"), unit: "mmHg/year",
        doc: "Yearly change of SBP."),
      Field(
        "total_cholesterol_per_year", .uncertain(.closed(-1, 1)), .defaulted("0.0"),
        unit: "mmol/L/year", doc: "Yearly change of total cholesterol."),
      Field(
        "hdl_per_year", .uncertain(.closed(-0.5, 0.5)), .defaulted("0.0"),
        unit: "mmol/L/year", doc: "Yearly change of HDL cholesterol."),
      Field(
        "bmi_per_year", .uncertain(.closed(-2, 2)), .defaulted("0.1"), unit: "kg/m^2/year",
        doc: "Yearly change of BMI."),
    ],
    doc: "Yearly drifts, each a U-number.")

  static let condition = ObjectSchema(
    fields: [
      Field(
        "name", .string(conditionName), .required,
        doc: "Condition name; becomes the HDF5 dataset name. Not a reserved name."),
      Field("incidence", .object(incidence), .required, doc: "Incidence hazard per year."),
      Field(
        "prevalence", .uncertain(fraction), .defaulted("0"), unit: "fraction",
        doc: "Share with the condition at start."),
      Field(
        "relative_risks",
        .dictionary(
          DictionaryRule(
            keyDoc: "`smoking`, `diabetes`, `bp_treated` or another condition's name",
            value: .uncertain(.greaterThan(0)))),
        .defaulted("{}"), unit: "ratio",
        doc:
          "Multipliers of the incidence for persons with the named risk factor or condition: "
          + "`{smoking: 2.0, diabetes: {lognormal: {mean: 1.8, ci95: [1.5, 2.2]}}}`."),
      Field(
        "excess_mortality", .uncertain(.closed(0, 10)), .defaulted("0"), unit: "per year",
        doc: "Extra death hazard while having the condition."),
      Field(
        "case_fatality", .uncertain(fraction), .defaulted("0"), unit: "fraction",
        doc: "Share of incident cases that die at onset."),
      Field(
        "counts_as_cvd", .boolean, .defaulted("false"),
        doc: "Onset counts as a cardiovascular event, death as a cardiovascular death."),
      Field(
        "history_relative_risk", .uncertain(.closed(1, 10)), .defaulted("1"), unit: "ratio",
        doc: "Multiplies the risk-equation CVD hazard once a person has the condition."),
    ],
    rules: [
      CrossRule(doc: "`name` is not a reserved name") { context in
        guard let name = context.object["name"]?.string, reservedNames.contains(name) else {
          return
        }
        context.report(
          "expected a condition name other than twin-sim's own names ("
            + reservedNames.joined(separator: ", ") + "), found '\(name)'", key: "name")
      }
    ],
    doc: "One hazard-based condition.")

  static let incidence = ObjectSchema(
    fields: [
      Field(
        "gompertz", .object(incidenceGompertz), .optional, unit: "per year",
        doc: "Hazard a exp(b age) per year: `{a, b}`, or by sex `{female: {a, b}, male: {a, b}}`."),
      Field(
        "table", .object(incidenceTable), .optional, unit: "per year",
        doc: "Hazard by age and sex, a step function from each age."),
    ],
    rules: [.exactlyOne(of: "gompertz", or: "table")],
    doc: "Exactly one of `gompertz` or `table`.")

  static let gompertzA = SchemaType.uncertain(.greaterThan(0))
  static let gompertzB = SchemaType.uncertain(.closed(-1, 1))

  static let gompertzBySex = ObjectSchema(fields: [
    Field("a", gompertzA, .required, unit: "per year", doc: "hazard at age 0, > 0"),
    Field("b", gompertzB, .required, unit: "per year of age", doc: "log-hazard slope"),
  ])

  static let incidenceGompertz = ObjectSchema(
    fields: [
      Field("a", gompertzA, .optional, unit: "per year", doc: "hazard at age 0, > 0 (both sexes)"),
      Field(
        "b", gompertzB, .optional, unit: "per year of age",
        doc: "log-hazard increase per year of age (both sexes)"),
      Field("female", .object(gompertzBySex), .optional, doc: "`{a, b}` for women"),
      Field("male", .object(gompertzBySex), .optional, doc: "`{a, b}` for men"),
    ],
    rules: [
      CrossRule(doc: "either `a` and `b`, or `female` and `male`") { context in
        let object = context.object
        let bothSexes = object.isGiven("a") || object.isGiven("b")
        let bySex = object.isGiven("female") || object.isGiven("male")
        if bothSexes && bySex {
          context.reportOnObject(
            "expected either {a, b} or {female: {a, b}, male: {a, b}}, found both forms")
          return
        }
        let needed = bySex ? ["female", "male"] : ["a", "b"]
        for key in needed where !object.isGiven(key) {
          context.report(
            "missing required key '\(key)'", at: context.path.appending(key: key),
            object.position)
        }
      }
    ])

  static let incidenceTable = ObjectSchema(
    fields: [
      Field(
        "ages",
        .sequence(SequenceRule(of: .number(.closed(0, 120)), count: 1...200, itemNoun: "age")),
        .required, unit: "years",
        doc: "Ages where the rates start, increasing; the hazard is 0 below the first age."),
      Field(
        "female",
        .sequence(SequenceRule(of: .number(.atLeast(0)), count: 1...200, itemNoun: "rate")),
        .required, unit: "per year", doc: "Rates for women, one per age."),
      Field(
        "male",
        .sequence(SequenceRule(of: .number(.atLeast(0)), count: 1...200, itemNoun: "rate")),
        .required, unit: "per year", doc: "Rates for men, one per age."),
    ],
    rules: [
      CrossRule(doc: "`ages` increase; `female` and `male` have one rate per age") { context in
        guard let ages = context.object["ages"]?.sequence else { return }
        for index in ages.indices.dropFirst() {
          guard let previous = ages[index - 1].number, let age = ages[index].number,
            age <= previous
          else { continue }
          context.report(
            "expected ages in increasing order, found \(formatNumber(age)) after "
              + formatNumber(previous),
            at: context.path.appending(key: "ages").appending(index: index),
            ages[index].position)
        }
        for sex in ["female", "male"] {
          guard let rates = context.object[sex]?.sequence, rates.count != ages.count else {
            continue
          }
          context.report(
            "expected \(ages.count) rates (one per age), found \(rates.count)", key: sex)
        }
      }
    ])

  // MARK: arms

  static let arm = ObjectSchema(
    fields: [
      Field(
        "name", .string(armName), .required,
        doc: "Arm name, unique; becomes the HDF5 group `/arms/<name>`."),
      Field("description", .string(.text(maximum: 4000)), .defaulted("\"\""), doc: "Free text."),
      Field(
        "interventions",
        .sequence(
          SequenceRule(of: .taggedUnion(intervention), count: 0...64, itemNoun: "intervention")),
        .defaulted("[]"), doc: "What this arm changes; each a mapping with `type`."),
    ],
    doc: "One what-if arm.")

  static let uptakeField = Field(
    "uptake", .uncertain(fraction), .defaulted("1"), unit: "fraction",
    doc: "Share of reached (and eligible) persons who start treatment.")
  static let adherenceField = Field(
    "adherence", .uncertain(fraction), .defaulted("0.8"), unit: "fraction",
    doc: "Share of the full effect realised by treated persons.")

  static let intervention = TaggedUnionSchema(
    tagKey: "type",
    commonFields: [
      Field(
        "from_year", .integer(1900...2200), .derived("`time.start_year`"),
        unit: "calendar year",
        doc:
          "Calendar year the intervention starts (1 January); a year before `start_year` "
          + "means in effect from the start. Must not lie after the last simulated year."),
      Field(
        "from_age", .number(.closed(0, 120)), .optional, unit: "years",
        doc: "Alternative to `from_year`: each person's age at which it starts."),
      Field(
        "fraction", .uncertain(fraction), .defaulted("1"), unit: "fraction",
        doc:
          "Share of persons reached, chosen by a per-person propensity draw, so a larger "
          + "fraction reaches a superset of a smaller one."),
    ],
    commonRules: [.atMostOne(of: "from_year", or: "from_age")],
    variants: [
      .init(
        tag: "smoking", doc: "start or stop smoking",
        fields: [
          Field(
            "action",
            .choice([
              SchemaChoice("start", "sets `smoking` true from the start of the intervention"),
              SchemaChoice("stop", "sets `smoking` false from the start of the intervention"),
            ]), .required,
            doc: "What happens to the person's `smoking` (the risk equations' smoker flag).")
        ]),
      .init(
        tag: "diet", doc: "diet change",
        fields: [
          Field(
            "kind",
            .choice([SchemaChoice("vegan"), SchemaChoice("vegetarian"), SchemaChoice("dash")]),
            .required, doc: "Which diet; sets the default effect sizes."),
          Field(
            "total_cholesterol_shift", .uncertain(.closed(-5, 5)),
            .dependentDefault(
              on: "kind",
              [
                "vegan": "{normal: {mean: -0.36, sd: 0.097}}",
                "vegetarian": "{normal: {mean: -0.36, sd: 0.097}}", "dash": "0",
              ]), unit: "mmol/L",
            doc:
              "Change of total cholesterol at full effect. vegan/vegetarian: Wang 2015 JAHA "
              + "4:e002408, -0.36 (95 % CI -0.55 to -0.17), sd = 0.38 / 3.92; DASH: 0 (check)."),
          Field(
            "hdl_shift", .uncertain(.closed(-2, 2)),
            .dependentDefault(on: "kind", ["vegan": "-0.10", "vegetarian": "-0.10", "dash": "0"]),
            unit: "mmol/L",
            doc: "Change of HDL cholesterol. vegan/vegetarian: Wang 2015, -0.10; DASH: 0 (check)."),
          Field(
            "sbp_shift", .uncertain(.closed(-60, 60)),
            .dependentDefault(on: "kind", ["vegan": "-4.8", "vegetarian": "-4.8", "dash": "-5.5"]),
            unit: "mmHg",
            doc:
              "Change of SBP. vegan/vegetarian: Yokoyama 2014 JAMA Intern Med 174:577, -4.8 "
              + "(check); DASH: Appel 1997 NEJM 336:1117, -5.5 (check)."),
          Field(
            "bmi_shift", .uncertain(.closed(-20, 20)),
            .dependentDefault(on: "kind", ["vegan": "-0.7", "vegetarian": "-0.7", "dash": "0"]),
            unit: "kg/m^2",
            doc:
              "Change of BMI. vegan/vegetarian: Huang 2016 J Gen Intern Med 31:109, -2.02 kg, "
              + "about -0.7 kg/m^2 at 1.70 m (check); DASH: 0."),
          Field(
            "onset_years", .number(.closed(0, 10)), .defaulted("1"), unit: "years",
            doc: "Linear ramp to the full effect (0: immediate)."),
        ]),
      .init(
        tag: "statin", doc: "statin treatment",
        fields: [
          Field(
            "ldl_relative_reduction", .uncertain(fraction), .defaulted("0.30"),
            unit: "fraction",
            doc:
              "Relative LDL reduction (moderate intensity). Stored with the result; the risk "
              + "equations use total cholesterol, see the next key."),
          Field(
            "total_cholesterol_relative_reduction", .uncertain(fraction), .defaulted("0.25"),
            unit: "fraction",
            doc: "Relative reduction of total cholesterol the risk equations see (check)."),
          uptakeField,
          adherenceField,
          Field(
            "eligibility", .object(statinEligibility), .optional,
            doc: "Who is eligible; left out: everyone reached."),
        ]),
      .init(
        tag: "antihypertensive", doc: "blood-pressure treatment",
        fields: [
          Field(
            "sbp_reduction", .uncertain(.closed(0, 60)), .defaulted("10"), unit: "mmHg",
            doc: "SBP reduction at full adherence."),
          uptakeField,
          adherenceField,
          Field(
            "eligibility", .object(antihypertensiveEligibility), .optional,
            doc: "Who is eligible; left out: everyone reached."),
        ]),
    ],
    doc: "intervention")

  static let statinEligibility = ObjectSchema(fields: [
    Field(
      "min_risk10", .number(fraction), .required, unit: "fraction",
      doc: "Only persons whose 10-year risk is at least this.")
  ])

  static let antihypertensiveEligibility = ObjectSchema(fields: [
    Field(
      "min_sbp", .number(.closed(90, 250)), .required, unit: "mmHg",
      doc: "Only persons whose SBP is at least this.")
  ])

  // MARK: output and uncertainty

  static let output = ObjectSchema(
    fields: [
      Field(
        "dir", .string(.text(minimum: 1, maximum: 4096)), .derived("`runs/<name>`"),
        doc: "Run folder, relative to the current directory; `--output` overrides it."),
      Field(
        "record",
        .sequence(SequenceRule(of: .string(variableName), count: 0...64, itemNoun: "variable")),
        .defaulted("[alive, sbp, total_cholesterol, hdl, smoking, risk10]"),
        doc:
          "Per-person time series to write, no duplicates: "
          + recordableVariables.map { "`\($0)`" }.joined(separator: ", ")
          + ", and condition names. Without `risk_equation`, the default leaves out `risk10`; "
          + "with `physiology.model: smith2004` it adds "
          + physiologyVariables.map { "`\($0)`" }.joined(separator: ", ") + "."),
      Field(
        "precision", .choice([SchemaChoice("float32"), SchemaChoice("float64")]),
        .defaulted("float32"), doc: "Precision of floating-point datasets."),
      Field(
        "compression",
        .choice([
          SchemaChoice(
            "none",
            "no filter: the file is written about as fast as the disk takes a plain write "
              + "(docs/benchmarks.md)"),
          SchemaChoice(
            "deflate",
            "HDF5's deflate (gzip) filter on every chunked dataset: float series shrink to "
              + "about 40 %, but writing is several times slower"),
        ]),
        .defaulted("none"), doc: "Filter of the datasets in `results.h5`."),
      Field(
        "compression_level", .integer(1...9), .defaulted("1"),
        doc: "Deflate level (1 fastest ... 9 smallest); only with `compression: deflate`."),
    ],
    rules: [compressionLevelNeedsDeflate],
    doc: "What is written.")

  static let uncertainty = ObjectSchema(
    fields: [
      Field(
        "replicates", .integer(1...1000), .defaulted("1"),
        doc: "Independent replicates (seeds derived from `seed` by stream)."),
      Field(
        "parameter_draws", .integer(0...10000), .defaulted("0"),
        doc: "PSA draws of every U-number (0: point values)."),
    ],
    doc: "Monte Carlo and parameter uncertainty.")

  // MARK: physiology

  static let physiology = ObjectSchema(
    fields: [
      Field(
        "model",
        .choice([
          SchemaChoice(
            "smith2004",
            "the reduced Smith 2004 closed-loop model with the person-level mapping of "
              + "docs/physiology.md"),
          SchemaChoice("off", "no physiology: the engine runs exactly as without the key"),
        ]), .required,
        doc: "Which circulation model every person carries."),
      Field(
        "elastance_exponent", .integer(1...2), .defaulted("2"),
        doc:
          "k in arterial elastance proportional to PWV^k. 2: Bramwell-Hill at constant "
          + "arterial volume (issue 4); in the lumped model it gives old persons very low "
          + "diastolic pressures. 1: diastolic pressures near survey means "
          + "(docs/physiology.md, \"Arterial elastance\")."),
    ],
    doc: "The cardiovascular physiology coupled into the engine (docs/physiology.md).")

  // MARK: data management plan

  static let dmp = ObjectSchema(
    fields: [
      Field(
        "file", .string(.text(minimum: 1, maximum: 4096)), .required,
        doc:
          "maDMP JSON file (RDA DMP Common Standard 1.1 or 1.2); a relative path is relative "
          + "to the scenario file's folder."),
      Field(
        "step", .string(.text(minimum: 1, maximum: 256)), .required,
        doc: "The DMP workflow step (`twin_sim:workflow.steps[].name`) this run is."),
    ],
    doc: "The data management plan this run obeys (docs/dmp.md).")
}
