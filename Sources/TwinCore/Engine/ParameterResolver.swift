import Foundation
import TwinModels
import TwinPhysiology
import TwinRandom

/// One realisation of a scenario: a replicate (its own seed for population
/// and events) combined with a parameter draw (its own values of every
/// uncertain scenario number).
public struct Realisation: Sendable, Equatable {
  /// 0 ..< replicates.
  public var replicate: Int
  /// 0 ..< max(1, parameter_draws); without draws every value is its point value.
  public var draw: Int
  /// Position in the result file's `realisation` dimension.
  public var index: Int

  /// Seed of the replicate's population and event streams: seed + replicate.
  public func seed(scenarioSeed: UInt64) -> UInt64 { scenarioSeed &+ UInt64(replicate) }

  /// All realisations of a scenario in file order: replicate-major.
  public static func all(_ uncertainty: UncertaintySpec) -> [Realisation] {
    let draws = max(1, uncertainty.parameterDraws)
    return (0..<uncertainty.replicates).flatMap { replicate in
      (0..<draws).map { Realisation(replicate: replicate, draw: $0, index: replicate * draws + $0) }
    }
  }
}

/// Turns a validated scenario into the numbers the engine needs for one
/// realisation: draws every uncertain value (or takes its point value),
/// converts units, and builds the arms' interventions.
///
/// A parameter's draw is keyed by a stable name that does not mention the arm
/// (`statin#0.uptake`: the first statin intervention of any arm), so arms with
/// the same interventions get the same values (common random numbers), and by
/// the draw index only, so every replicate sees the same parameter draws.
public struct ParameterResolver {
  public let scenario: Scenario
  public let realisation: Realisation
  /// Every value used, by parameter name, in the order first used.
  public private(set) var values: [(name: String, value: Double)] = []

  public init(scenario: Scenario, realisation: Realisation) {
    self.scenario = scenario
    self.realisation = realisation
  }

  /// The value of `uncertain` in this realisation.
  public mutating func value(_ uncertain: UncertainValue, name: String) -> Double {
    let value: Double
    if scenario.uncertainty.parameterDraws == 0 || uncertain.isFixed {
      value = uncertain.pointValue
    } else {
      let stream = RandomStream(seed: scenario.seed, name: "\(StreamName.parameters):\(name)")
      value = uncertain.quantile(
        stream.uniform(person: UInt64(realisation.draw), step: 0, draw: 0))
    }
    if !values.contains(where: { $0.name == name }) { values.append((name, value)) }
    return value
  }

  /// The model parameters of this realisation.
  public mutating func modelParameters() -> ModelParameters {
    let models = scenario.models
    let cvdOn = models.riskEquation != .none
    let cvdShare = cvdOn ? value(models.mortality.cvdShare, name: "models.mortality.cvd_share") : 0
    let smokingRelativeRisk = value(
      models.mortality.smokingRelativeRisk, name: "models.mortality.smoking_relative_risk")
    let smokingPrevalence = models.mortality.smokingReferencePrevalence
    let background: BackgroundMortality
    if let gompertz = models.mortality.gompertz {
      let hazard = GompertzHazard(a: gompertz.aPerYear, b: gompertz.bPerYearOfAge)
      background = BackgroundMortality(
        source: "gompertz a=\(gompertz.aPerYear) b=\(gompertz.bPerYearOfAge)",
        smokingRelativeRisk: smokingRelativeRisk, smokingReferencePrevalence: smokingPrevalence,
        gompertz: (gompertz.aPerYear, gompertz.bPerYearOfAge)
      ) { _, age in hazard.hazard(ageYears: Double(age)) }
    } else {
      let table = LifeTable(LifeTableID(rawValue: models.mortality.lifeTable.rawValue)!)
      background = BackgroundMortality(
        source: "\(models.mortality.lifeTable.rawValue), cardiovascular share removed: \(cvdShare)",
        smokingRelativeRisk: smokingRelativeRisk, smokingReferencePrevalence: smokingPrevalence
      ) { sex, age in
        table.annualHazard(ageYears: Double(age), female: sex == .female) * (1 - cvdShare)
      }
    }
    let trajectories = Trajectories(
      sbpMmHgPerYear: value(
        models.trajectories.sbpMmHgPerYear, name: "models.trajectories.sbp_per_year"),
      totalCholesterolMmolLPerYear: value(
        models.trajectories.totalCholesterolMmolPerLPerYear,
        name: "models.trajectories.total_cholesterol_per_year"),
      hdlMmolLPerYear: value(
        models.trajectories.hdlMmolPerLPerYear, name: "models.trajectories.hdl_per_year"),
      bmiPerYear: value(
        models.trajectories.bmiKgPerM2PerYear, name: "models.trajectories.bmi_per_year"))
    let region = SCORE2.Region(rawValue: models.score2Region.rawValue)!
    let risk: CardiovascularRisk? =
      switch models.riskEquation {
      case .pce:
        CardiovascularRisk(
          equation: .pooledCohort(
            PooledCohortEquations(race: models.race == .black ? .black : .white)))
      case .framingham: CardiovascularRisk(equation: .framingham(Framingham2008()))
      case .score2: CardiovascularRisk(equation: .score2(SCORE2(region: region)))
      case .score2OP: CardiovascularRisk(equation: .score2OP(SCORE2OP(region: region)))
      case .score2PlusOP: CardiovascularRisk(equation: .score2PlusOP(SCORE2PlusOP(region: region)))
      case .none: nil
      }
    let conditionNames = models.conditions.map(\.name)
    let conditions = models.conditions.map { condition($0, conditionNames: conditionNames) }
    var parameters = ModelParameters(
      stepYears: scenario.time.step.lengthYears, steps: scenario.time.stepCount,
      cardiovascularRisk: risk,
      cvdCaseFatality: cvdOn ? value(models.cvdCaseFatality, name: "models.cvd_case_fatality") : 0,
      cvdHistoryRelativeRisk: cvdOn
        ? value(models.cvdHistoryRelativeRisk, name: "models.cvd_history_relative_risk") : 1,
      background: background, trajectories: trajectories, conditions: conditions)
    parameters.exactHazardTiming = models.hazardTiming == .exact
    if let physiology = scenario.physiology {
      parameters.physiology = PhysiologyCoupling(
        mapping: physiology.elastanceExponent == 1 ? .linearElastance : .standard)
    }
    return parameters
  }

  private mutating func condition(
    _ spec: ConditionSpec, conditionNames: [String]
  ) -> ConditionParameters {
    let prefix = "conditions.\(spec.name)"
    let incidence: ConditionParameters.Incidence
    switch spec.incidence {
    case .gompertz(let female, let male):
      incidence = .gompertz(
        a: [
          value(female.aPerYear, name: "\(prefix).incidence.female.a"),
          value(male.aPerYear, name: "\(prefix).incidence.male.a"),
        ],
        b: [
          value(female.bPerYearOfAge, name: "\(prefix).incidence.female.b"),
          value(male.bPerYearOfAge, name: "\(prefix).incidence.male.b"),
        ])
    case .table(let table):
      incidence = .table(ages: table.agesYears, rates: [table.femalePerYear, table.malePerYear])
    }
    var smoking = 1.0
    var diabetes = 1.0
    var treated = 1.0
    var others: [(index: Int, relativeRisk: Double)] = []
    for entry in spec.relativeRisks {
      let relativeRisk = value(
        entry.relativeRisk, name: "\(prefix).relative_risks.\(entry.factor.name)")
      switch entry.factor {
      case .smoking: smoking = relativeRisk
      case .diabetes: diabetes = relativeRisk
      case .bpTreated: treated = relativeRisk
      case .condition(let name):
        if let index = conditionNames.firstIndex(of: name) { others.append((index, relativeRisk)) }
      }
    }
    return ConditionParameters(
      name: spec.name, incidence: incidence,
      prevalence: value(spec.prevalence, name: "\(prefix).prevalence"),
      relativeRiskSmoking: smoking, relativeRiskDiabetes: diabetes,
      relativeRiskBpTreated: treated, relativeRiskConditions: others,
      excessMortality: value(spec.excessMortalityPerYear, name: "\(prefix).excess_mortality"),
      caseFatality: value(spec.caseFatality, name: "\(prefix).case_fatality"),
      countsAsCVD: spec.countsAsCVD,
      historyRelativeRisk: value(spec.historyRelativeRisk, name: "\(prefix).history_relative_risk"))
  }

  /// The arms of this realisation, in scenario order.
  public mutating func arms() -> [ArmParameters] {
    scenario.arms.map { arm in
      var occurrences: [String: Int] = [:]
      let interventions = arm.interventions.map { intervention -> InterventionParameters in
        let type = intervention.typeName
        let occurrence = occurrences[type, default: 0]
        occurrences[type] = occurrence + 1
        return resolve(intervention, key: "\(type)#\(occurrence)")
      }
      return ArmParameters(name: arm.name, interventions: interventions)
    }
  }

  private mutating func resolve(_ intervention: Intervention, key: String) -> InterventionParameters
  {
    let start: InterventionParameters.Start =
      switch intervention.start {
      case .year(let year): .time(years: Double(year - scenario.time.startYear))
      case .ageYears(let age): .age(years: age)
      }
    var reached = value(intervention.fraction, name: "\(key).fraction")
    let effect: InterventionParameters.Effect
    switch intervention {
    case .smoking(let smoking):
      effect = .smoking(smoker: smoking.action == .start)
    case .diet(let diet):
      effect = .diet(
        totalCholesterolShiftMmolL: value(
          diet.totalCholesterolShiftMmolPerL, name: "\(key).total_cholesterol_shift"),
        hdlShiftMmolL: value(diet.hdlShiftMmolPerL, name: "\(key).hdl_shift"),
        sbpShiftMmHg: value(diet.sbpShiftMmHg, name: "\(key).sbp_shift"),
        bmiShift: value(diet.bmiShiftKgPerM2, name: "\(key).bmi_shift"),
        onsetYears: diet.onsetYears)
    case .statin(let statin):
      let reduction = value(
        statin.totalCholesterolRelativeReduction,
        name: "\(key).total_cholesterol_relative_reduction")
      let adherence = value(statin.adherence, name: "\(key).adherence")
      reached *= value(statin.uptake, name: "\(key).uptake")
      effect = .statin(
        totalCholesterolFactor: 1 - reduction * adherence, minimumRisk10: statin.minRisk10)
    case .antihypertensive(let treatment):
      let reduction = value(treatment.sbpReductionMmHg, name: "\(key).sbp_reduction")
      let adherence = value(treatment.adherence, name: "\(key).adherence")
      reached *= value(treatment.uptake, name: "\(key).uptake")
      effect = .antihypertensive(
        sbpShiftMmHg: -reduction * adherence, minimumSbpMmHg: treatment.minSbpMmHg)
    }
    return InterventionParameters(
      effect: effect, start: start, reachedFraction: reached,
      propensityStream: "propensity:\(key)")
  }
}
