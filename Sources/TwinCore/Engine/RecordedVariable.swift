/// A per-person quantity that can be recorded as a time series
/// (`/arms/<arm>/<name>`, shape [person, time]). The name is the same in the
/// scenario's `output.record`, the HDF5 file and the docs.
public enum RecordedVariable: Sendable, Hashable {
  case alive, age, sbp, totalCholesterol, hdl, bmi, smoking, diabetes, bpTreated, risk10
  case cvdHistory
  /// Outputs of the cardiovascular physiology (scenario `physiology`), from the last yearly
  /// steady state.
  case sbpModel, dbpModel, pulsePressure, cardiacOutput, ejectionFraction, pwv, sbpRisk
  /// Whether one of the arm's interventions of this type acts on the person (`on_<type>`).
  case onIntervention(InterventionType)
  /// Whether the person has condition `index` (scenario order).
  case condition(index: Int, name: String)

  /// The fixed variables in documentation order.
  public static let fixed: [RecordedVariable] =
    [
      .alive, .age, .sbp, .totalCholesterol, .hdl, .bmi, .smoking, .diabetes, .bpTreated, .risk10,
      .cvdHistory, .sbpModel, .dbpModel, .pulsePressure, .cardiacOutput, .ejectionFraction, .pwv,
      .sbpRisk,
    ] + InterventionType.allCases.map { .onIntervention($0) }

  /// The physiology's variables: recordable only with `physiology.model: smith2004`.
  public static let physiology: [RecordedVariable] = [
    .sbpModel, .dbpModel, .pulsePressure, .cardiacOutput, .ejectionFraction, .pwv, .sbpRisk,
  ]

  /// Looks up a name from `output.record`; condition names need the scenario's list.
  public init?(name: String, conditionNames: [String]) {
    if let match = Self.fixed.first(where: { $0.name == name }) {
      self = match
    } else if let index = conditionNames.firstIndex(of: name) {
      self = .condition(index: index, name: name)
    } else {
      return nil
    }
  }

  public var name: String {
    switch self {
    case .alive: "alive"
    case .age: "age"
    case .sbp: "sbp"
    case .totalCholesterol: "total_cholesterol"
    case .hdl: "hdl"
    case .bmi: "bmi"
    case .smoking: "smoking"
    case .diabetes: "diabetes"
    case .bpTreated: "bp_treated"
    case .risk10: "risk10"
    case .cvdHistory: "cvd_history"
    case .sbpModel: "sbp_model"
    case .dbpModel: "dbp_model"
    case .pulsePressure: "pulse_pressure"
    case .cardiacOutput: "cardiac_output"
    case .ejectionFraction: "ejection_fraction"
    case .pwv: "pwv"
    case .sbpRisk: "sbp_risk"
    case .onIntervention(let type): type.recordedName
    case .condition(_, let name): name
    }
  }

  /// Flags are stored as UInt8 (0 or 1); the rest as floating point.
  public var isFlag: Bool {
    switch self {
    case .alive, .smoking, .diabetes, .bpTreated, .cvdHistory, .condition, .onIntervention: true
    case .age, .sbp, .totalCholesterol, .hdl, .bmi, .risk10: false
    case .sbpModel, .dbpModel, .pulsePressure, .cardiacOutput, .ejectionFraction, .pwv, .sbpRisk:
      false
    }
  }

  /// Whether recording this variable reads the risk-factor columns of the arm state
  /// (`ArmState.keepsRiskFactors`).
  public var readsRiskFactors: Bool {
    switch self {
    case .sbp, .totalCholesterol, .hdl, .bmi, .risk10: true
    case .alive, .age, .smoking, .diabetes, .bpTreated, .cvdHistory, .condition, .onIntervention:
      false
    case .sbpModel, .dbpModel, .pulsePressure, .cardiacOutput, .ejectionFraction, .pwv, .sbpRisk:
      false
    }
  }

  /// The `units` attribute (UDUNITS spelling where one exists).
  public var units: String {
    switch self {
    case .age: "years"
    case .sbp: "mmHg"
    case .totalCholesterol, .hdl: "mmol/L"
    case .bmi: "kg/m2"
    case .risk10: "1"
    case .sbpModel, .dbpModel, .pulsePressure, .sbpRisk: "mmHg"
    case .cardiacOutput: "L/min"
    case .ejectionFraction: "percent"
    case .pwv: "m/s"
    case .alive, .smoking, .diabetes, .bpTreated, .cvdHistory, .condition, .onIntervention: "1"
    }
  }

  /// The `description` attribute.
  public var description: String {
    switch self {
    case .alive: "1 while the person is alive, 0 after death"
    case .age: "age in years; NaN after death"
    case .sbp: "systolic blood pressure after interventions; NaN after death"
    case .totalCholesterol: "total cholesterol after interventions; NaN after death"
    case .hdl: "HDL cholesterol after interventions; NaN after death"
    case .bmi: "body-mass index after interventions; NaN after death"
    case .smoking: "1 if a current smoker (after interventions); value at death after death"
    case .diabetes: "1 if the person has diabetes"
    case .bpTreated: "1 if on antihypertensive treatment"
    case .risk10:
      "ten-year cardiovascular risk (fraction) from the scenario's risk equation; "
        + "NaN after death or without a risk equation"
    case .cvdHistory: "1 after a non-fatal cardiovascular event"
    case .sbpModel:
      "systolic pressure of the circulation model's systemic arteries (central, not cuff) at "
        + "the last yearly periodic steady state; NaN after death"
    case .dbpModel:
      "diastolic pressure of the circulation model's systemic arteries at the last yearly "
        + "periodic steady state; NaN after death"
    case .pulsePressure: "sbp_model - dbp_model; NaN after death"
    case .cardiacOutput:
      "cardiac output (stroke volume x heart rate) of the circulation model; NaN after death"
    case .ejectionFraction:
      "left ventricular ejection fraction of the circulation model; NaN after death"
    case .pwv:
      "carotid-femoral pulse wave velocity the physiology mapping gives the person at the last "
        + "yearly solve; NaN after death"
    case .sbpRisk:
      "systolic pressure the risk equations see: observed sbp at time 0 plus the change of "
        + "sbp_model since time 0 (docs/physiology.md); NaN after death"
    case .onIntervention(let type):
      "1 while one of the arm's \(type.rawValue) interventions acts on the person (reached, "
        + "started and, for treatments, eligible); value at death after death"
    case .condition(_, let name): "1 while the person has the condition \(name)"
    }
  }

  /// The column of `state` holding this variable, as floating point.
  public func doubleValue(_ state: ArmState, person: Int) -> Double {
    switch self {
    case .age: state.ageYears[person]
    case .sbp: state.sbp[person]
    case .totalCholesterol: state.totalCholesterol[person]
    case .hdl: state.hdl[person]
    case .bmi: state.bmi[person]
    case .risk10: state.risk10[person]
    case .sbpModel: physiologyValue(state.physiology.metrics.sbp, person)
    case .dbpModel: physiologyValue(state.physiology.metrics.dbp, person)
    case .pulsePressure: physiologyValue(state.physiology.metrics.pulsePressure, person)
    case .cardiacOutput: physiologyValue(state.physiology.metrics.cardiacOutput, person)
    case .ejectionFraction: physiologyValue(state.physiology.metrics.ejectionFraction, person)
    case .pwv: physiologyValue(state.physiology.pwv, person)
    case .sbpRisk: physiologyValue(state.physiology.riskSbp, person)
    case .alive, .smoking, .diabetes, .bpTreated, .cvdHistory, .condition, .onIntervention:
      Double(flagValue(state, person: person))
    }
  }

  /// The whole column of `state` holding this floating-point variable (one
  /// value per person of the block); nil for flags.
  public func doubleColumn(_ state: ArmState) -> [Double]? {
    switch self {
    case .age: state.ageYears
    case .sbp: state.sbp
    case .totalCholesterol: state.totalCholesterol
    case .hdl: state.hdl
    case .bmi: state.bmi
    case .risk10: state.risk10
    case .sbpModel: physiologyColumn(state.physiology.metrics.sbp, state)
    case .dbpModel: physiologyColumn(state.physiology.metrics.dbp, state)
    case .pulsePressure: physiologyColumn(state.physiology.metrics.pulsePressure, state)
    case .cardiacOutput: physiologyColumn(state.physiology.metrics.cardiacOutput, state)
    case .ejectionFraction: physiologyColumn(state.physiology.metrics.ejectionFraction, state)
    case .pwv: physiologyColumn(state.physiology.pwv, state)
    case .sbpRisk: physiologyColumn(state.physiology.riskSbp, state)
    case .alive, .smoking, .diabetes, .bpTreated, .cvdHistory, .condition, .onIntervention: nil
    }
  }

  /// The whole column of `state` holding this flag (one value per person of
  /// the block); nil for floating-point variables.
  public func flagColumn(_ state: ArmState) -> [UInt8]? {
    switch self {
    case .alive: state.alive
    case .smoking: state.smoking
    case .diabetes: state.diabetes
    case .bpTreated: state.bpTreated
    case .cvdHistory: state.cvdHistory
    case .condition(let index, _): state.conditions[index]
    case .onIntervention(let type): state.onIntervention[type.columnIndex]
    case .age, .sbp, .totalCholesterol, .hdl, .bmi, .risk10: nil
    case .sbpModel, .dbpModel, .pulsePressure, .cardiacOutput, .ejectionFraction, .pwv, .sbpRisk:
      nil
    }
  }

  /// The column of `state` holding this flag.
  public func flagValue(_ state: ArmState, person: Int) -> UInt8 {
    switch self {
    case .alive: state.alive[person]
    case .smoking: state.smoking[person]
    case .diabetes: state.diabetes[person]
    case .bpTreated: state.bpTreated[person]
    case .cvdHistory: state.cvdHistory[person]
    case .condition(let index, _): state.conditions[index][person]
    case .onIntervention(let type): state.onIntervention[type.columnIndex][person]
    case .age, .sbp, .totalCholesterol, .hdl, .bmi, .risk10: 0
    case .sbpModel, .dbpModel, .pulsePressure, .cardiacOutput, .ejectionFraction, .pwv, .sbpRisk:
      0
    }
  }

  /// A physiology column, or NaN for every person when the arm has no
  /// physiology (empty columns; the scenario rules refuse to record physiology
  /// variables then, so this allocation is never on a run's path).
  private func physiologyColumn(_ column: [Double], _ state: ArmState) -> [Double] {
    column.count == state.alive.count
      ? column : [Double](repeating: .nan, count: state.alive.count)
  }

  /// A physiology column's value, NaN when the arm has no physiology (empty columns).
  @inline(__always)
  private func physiologyValue(_ column: [Double], _ person: Int) -> Double {
    person < column.count ? column[person] : .nan
  }
}
