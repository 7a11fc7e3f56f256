import Foundation

/// Builds the typed `Scenario` from a validated tree. Defaults are already in
/// the tree (the schema put them there); only the derived defaults the schema
/// describes in words (`baseline`, `output.dir`, `from_year`, table `format`,
/// identity column names) are computed here.
extension Scenario {
  init(
    validated root: ValidatedObject, sourceYAML: String, sourcePath: String, directoryURL: URL
  ) {
    let name = root.requiredString("name")
    let time = TimeSpec(validated: root.requiredObject("time"))
    let models = ModelsSpec(validated: root.requiredObject("models"))
    let physiology = root.optionalObject("physiology").flatMap { object in
      PhysiologyModelChoice(rawValue: object.requiredString("model")).map {
        PhysiologySpec(
          model: $0, elastanceExponent: object.requiredInteger("elastance_exponent"))
      }
    }
    let arms = root.requiredSequence("arms").map {
      ArmSpec(validated: $0.object!, startYear: time.startYear)
    }
    self.init(
      name: name,
      description: root.requiredString("description"),
      seed: UInt64(root.requiredInteger("seed")),
      time: time,
      population: PopulationSpec(
        validated: root.requiredObject("population"), directoryURL: directoryURL),
      models: models,
      arms: arms,
      baselineArmName: root.optionalString("baseline") ?? arms[0].name,
      output: OutputSpec(
        validated: root.requiredObject("output"), scenarioName: name,
        riskEquation: models.riskEquation, physiology: physiology != nil),
      uncertainty: UncertaintySpec(validated: root.requiredObject("uncertainty")),
      dmp: root.optionalObject("dmp").map {
        DMPReference(validated: $0, directoryURL: directoryURL)
      },
      physiology: physiology,
      sourceYAML: sourceYAML,
      sourcePath: sourcePath,
      directoryURL: directoryURL)
  }
}

extension TimeSpec {
  init(validated object: ValidatedObject) {
    self.init(
      startYear: object.requiredInteger("start_year"),
      horizonYears: object.requiredInteger("horizon_years"),
      step: TimeStep(rawValue: object.requiredString("step"))!)
  }
}

extension NormalAttribute {
  /// The attribute from `{mean, sd}`; the limits are the schema's range of the mean.
  init(validated object: ValidatedObject, schema: ObjectSchema) {
    guard case .number(let range)? = schema.field("mean")?.type,
      let lower = range.lower, let upper = range.upper
    else { preconditionFailure("schema: a normal attribute's mean needs a closed range") }
    self.init(
      mean: object.requiredNumber("mean"), sd: object.requiredNumber("sd"),
      lowerLimit: lower, upperLimit: upper)
  }

  init?(validated object: ValidatedObject?, schema: ObjectSchema) {
    guard let object else { return nil }
    self.init(validated: object, schema: schema)
  }
}

extension PopulationSpec {
  init(validated object: ValidatedObject, directoryURL: URL) {
    let source: PopulationSource
    if let synthetic = object.optionalObject("synthetic") {
      source = .synthetic(SyntheticPopulation(validated: synthetic))
    } else {
      source = .table(
        TablePopulation(validated: object.requiredObject("table"), directoryURL: directoryURL))
    }
    self.init(size: object.optionalInteger("size"), source: source)
  }
}

extension SyntheticPopulation {
  init(validated object: ValidatedObject) {
    let ageAtStart: AgeAtStart
    if let cohort = object.optionalObject("birth_cohort") {
      ageAtStart = .birthCohort(
        fromYear: cohort.requiredInteger("from"), toYear: cohort.requiredInteger("to"))
    } else {
      let age = object.requiredObject("age")
      ageAtStart = .uniform(
        minYears: age.requiredNumber("min"), maxYears: age.requiredNumber("max"))
    }
    typealias Schema = ScenarioSchema
    self.init(
      femaleFraction: object.requiredNumber("female_fraction"),
      ageAtStart: ageAtStart,
      sbpMmHg: NormalAttribute(
        validated: object.requiredObject("sbp"), schema: Schema.sbpDistribution),
      totalCholesterolMmolPerL: NormalAttribute(
        validated: object.requiredObject("total_cholesterol"),
        schema: Schema.totalCholesterolDistribution),
      hdlMmolPerL: NormalAttribute(
        validated: object.requiredObject("hdl"), schema: Schema.hdlDistribution),
      bmiKgPerM2: NormalAttribute(
        validated: object.requiredObject("bmi"), schema: Schema.bmiDistribution),
      smokingFraction: object.requiredNumber("smoking"),
      diabetesFraction: object.requiredNumber("diabetes"),
      bpTreatedFraction: object.requiredNumber("bp_treated"),
      groups: object.requiredSequence("groups").map { PopulationGroup(validated: $0.object!) })
  }
}

extension PopulationGroup {
  init(validated object: ValidatedObject) {
    typealias Schema = ScenarioSchema
    self.init(
      sex: SexSelector(rawValue: object.requiredString("sex"))!,
      ageYears: object["age"]?.pair.map { ClosedOpenRangeYears(minYears: $0.0, maxYears: $0.1) },
      sbpMmHg: NormalAttribute(
        validated: object.optionalObject("sbp"), schema: Schema.sbpDistribution),
      totalCholesterolMmolPerL: NormalAttribute(
        validated: object.optionalObject("total_cholesterol"),
        schema: Schema.totalCholesterolDistribution),
      hdlMmolPerL: NormalAttribute(
        validated: object.optionalObject("hdl"), schema: Schema.hdlDistribution),
      bmiKgPerM2: NormalAttribute(
        validated: object.optionalObject("bmi"), schema: Schema.bmiDistribution),
      smokingFraction: object.optionalNumber("smoking"),
      diabetesFraction: object.optionalNumber("diabetes"),
      bpTreatedFraction: object.optionalNumber("bp_treated"))
  }
}

extension TablePopulation {
  init(validated object: ValidatedObject, directoryURL: URL) {
    let path = object.requiredString("path")
    let format =
      object.optionalString("format").flatMap(TableFormat.init(rawValue:))
      ?? TableFormat(inferredFromPath: path)!
    let columns = object.requiredObject("columns")
    var columnNames: [TableColumn: String] = [:]
    for column in TableColumn.allCases {
      columnNames[column] = columns.optionalString(column.rawValue) ?? column.rawValue
    }
    let sexValues = object.requiredObject("sex_values")
    let units = object.requiredObject("units")
    self.init(
      path: path,
      url: Self.resolve(path: path, relativeTo: directoryURL),
      format: format,
      group: object.requiredString("group"),
      columnNames: columnNames,
      femaleCode: sexValues.requiredString("female"),
      maleCode: sexValues.requiredString("male"),
      totalCholesterolUnit: LipidUnit(rawValue: units.requiredString("total_cholesterol"))!,
      hdlUnit: LipidUnit(rawValue: units.requiredString("hdl"))!)
  }
}

extension ModelsSpec {
  init(validated object: ValidatedObject) {
    let mortality = object.requiredObject("mortality")
    let trajectories = object.requiredObject("trajectories")
    let conditions = object.requiredSequence("conditions").map { $0.object! }
    let conditionNames = Set(conditions.map { $0.requiredString("name") })
    self.init(
      riskEquation: RiskEquationChoice(rawValue: object.requiredString("risk_equation"))!,
      score2Region: Score2Region(rawValue: object.requiredString("score2_region"))!,
      race: PCERace(rawValue: object.requiredString("race"))!,
      outsideValidity: OutsideValidityPolicy(
        rawValue: object.requiredString("outside_validity"))!,
      hazardTiming: HazardTiming(rawValue: object.requiredString("hazard_timing"))!,
      cvdCaseFatality: object.requiredUncertain("cvd_case_fatality"),
      cvdHistoryRelativeRisk: object.requiredUncertain("cvd_history_relative_risk"),
      mortality: MortalitySpec(
        lifeTable: LifeTableChoice(rawValue: mortality.requiredString("life_table"))!,
        cvdShare: mortality.requiredUncertain("cvd_share"),
        smokingRelativeRisk: mortality.requiredUncertain("smoking_relative_risk"),
        smokingReferencePrevalence: mortality.requiredNumber("smoking_reference_prevalence"),
        gompertz: mortality.optionalObject("gompertz").map {
          BackgroundGompertz(
            aPerYear: $0.requiredNumber("a"), bPerYearOfAge: $0.requiredNumber("b"))
        }),
      trajectories: TrajectorySpec(
        sbpMmHgPerYear: trajectories.requiredUncertain("sbp_per_year"),
        totalCholesterolMmolPerLPerYear: trajectories.requiredUncertain(
          "total_cholesterol_per_year"),
        hdlMmolPerLPerYear: trajectories.requiredUncertain("hdl_per_year"),
        bmiKgPerM2PerYear: trajectories.requiredUncertain("bmi_per_year")),
      conditions: conditions.map { ConditionSpec(validated: $0, conditionNames: conditionNames) })
  }
}

extension GompertzIncidence {
  init(validated object: ValidatedObject) {
    self.init(aPerYear: object.requiredUncertain("a"), bPerYearOfAge: object.requiredUncertain("b"))
  }
}

extension ConditionSpec {
  init(validated object: ValidatedObject, conditionNames: Set<String>) {
    let incidenceObject = object.requiredObject("incidence")
    let incidence: IncidenceSpec
    if let gompertz = incidenceObject.optionalObject("gompertz") {
      if let female = gompertz.optionalObject("female") {
        incidence = .gompertz(
          female: GompertzIncidence(validated: female),
          male: GompertzIncidence(validated: gompertz.requiredObject("male")))
      } else {
        let bothSexes = GompertzIncidence(validated: gompertz)
        incidence = .gompertz(female: bothSexes, male: bothSexes)
      }
    } else {
      let table = incidenceObject.requiredObject("table")
      func numbers(_ key: String) -> [Double] {
        table.requiredSequence(key).map { $0.number! }
      }
      incidence = .table(
        IncidenceTable(
          agesYears: numbers("ages"), femalePerYear: numbers("female"),
          malePerYear: numbers("male")))
    }
    let relativeRisks = object.requiredDictionary("relative_risks").map { entry in
      let factor: RelativeRiskFactor
      switch entry.key {
      case "smoking": factor = .smoking
      case "diabetes": factor = .diabetes
      case "bp_treated": factor = .bpTreated
      default:
        precondition(conditionNames.contains(entry.key), "validated relative risk name")
        factor = .condition(entry.key)
      }
      return ConditionRelativeRisk(factor: factor, relativeRisk: entry.value.uncertain!)
    }
    self.init(
      name: object.requiredString("name"),
      incidence: incidence,
      prevalence: object.requiredUncertain("prevalence"),
      relativeRisks: relativeRisks,
      excessMortalityPerYear: object.requiredUncertain("excess_mortality"),
      caseFatality: object.requiredUncertain("case_fatality"),
      countsAsCVD: object.requiredBoolean("counts_as_cvd"),
      historyRelativeRisk: object.requiredUncertain("history_relative_risk"))
  }
}

extension ArmSpec {
  init(validated object: ValidatedObject, startYear: Int) {
    self.init(
      name: object.requiredString("name"),
      description: object.requiredString("description"),
      interventions: object.requiredSequence("interventions").map {
        Intervention(validated: $0.object!, startYear: startYear)
      })
  }
}

extension Intervention {
  init(validated object: ValidatedObject, startYear: Int) {
    let start: InterventionStart =
      object.optionalNumber("from_age").map { .ageYears($0) }
      ?? .year(object.optionalInteger("from_year") ?? startYear)
    let fraction = object.requiredUncertain("fraction")
    switch object.requiredString("type") {
    case "smoking":
      self = .smoking(
        SmokingIntervention(
          start: start, fraction: fraction,
          action: SmokingAction(rawValue: object.requiredString("action"))!))
    case "diet":
      self = .diet(
        DietIntervention(
          start: start, fraction: fraction,
          kind: DietKind(rawValue: object.requiredString("kind"))!,
          totalCholesterolShiftMmolPerL: object.requiredUncertain("total_cholesterol_shift"),
          hdlShiftMmolPerL: object.requiredUncertain("hdl_shift"),
          sbpShiftMmHg: object.requiredUncertain("sbp_shift"),
          bmiShiftKgPerM2: object.requiredUncertain("bmi_shift"),
          onsetYears: object.requiredNumber("onset_years")))
    case "statin":
      self = .statin(
        StatinIntervention(
          start: start, fraction: fraction,
          ldlRelativeReduction: object.requiredUncertain("ldl_relative_reduction"),
          totalCholesterolRelativeReduction: object.requiredUncertain(
            "total_cholesterol_relative_reduction"),
          uptake: object.requiredUncertain("uptake"),
          adherence: object.requiredUncertain("adherence"),
          minRisk10: object.optionalObject("eligibility")?.requiredNumber("min_risk10")))
    case "antihypertensive":
      self = .antihypertensive(
        AntihypertensiveIntervention(
          start: start, fraction: fraction,
          sbpReductionMmHg: object.requiredUncertain("sbp_reduction"),
          uptake: object.requiredUncertain("uptake"),
          adherence: object.requiredUncertain("adherence"),
          minSbpMmHg: object.optionalObject("eligibility")?.requiredNumber("min_sbp")))
    case let other:
      preconditionFailure("schema and decoder disagree: intervention type \(other)")
    }
  }
}

extension OutputSpec {
  init(
    validated object: ValidatedObject, scenarioName: String, riskEquation: RiskEquationChoice,
    physiology: Bool
  ) {
    var record = object.requiredSequence("record").map { $0.string! }
    // The default list names risk10, which does not exist without an equation,
    // and adds the physiology's outputs when it is on (documented with
    // `output.record`); a list the user wrote is kept as is.
    if !object.isGiven("record"), riskEquation == .none {
      record.removeAll { $0 == "risk10" }
    }
    if !object.isGiven("record"), physiology {
      record += ScenarioSchema.physiologyVariables
    }
    self.init(
      directory: object.optionalString("dir") ?? "runs/\(scenarioName)",
      record: record,
      precision: FloatPrecision(rawValue: object.requiredString("precision"))!,
      compression: object.requiredString("compression") == "deflate"
        ? .deflate(level: object.requiredInteger("compression_level")) : .none)
  }
}

extension UncertaintySpec {
  init(validated object: ValidatedObject) {
    self.init(
      replicates: object.requiredInteger("replicates"),
      parameterDraws: object.requiredInteger("parameter_draws"))
  }
}

extension DMPReference {
  init(validated object: ValidatedObject, directoryURL: URL) {
    let file = object.requiredString("file")
    self.init(
      file: file, url: TablePopulation.resolve(path: file, relativeTo: directoryURL),
      step: object.requiredString("step"))
  }
}
