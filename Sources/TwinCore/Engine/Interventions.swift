/// A what-if arm, resolved: its name and its interventions in scenario order.
public struct ArmParameters: Sendable {
  public var name: String
  public var interventions: [InterventionParameters]

  public init(name: String, interventions: [InterventionParameters]) {
    self.name = name
    self.interventions = interventions
  }
}

/// The kinds of intervention, in a fixed order (the `on_<type>` columns of `ArmState`).
/// Raw values are the scenario's `type` names.
public enum InterventionType: String, Sendable, CaseIterable {
  case smoking, diet, statin, antihypertensive

  /// Name of the per-person series recording whether the intervention acts
  /// (`output.record`, `/arms/<arm>/on_<type>`).
  public var recordedName: String { "on_\(rawValue)" }

  /// Position in `allCases`: the column of `ArmState.onIntervention`.
  public var columnIndex: Int { Self.allCases.firstIndex(of: self)! }
}

/// One intervention, resolved. Every intervention works through one mechanism:
/// it modifies named quantities (`sbp`, `total_cholesterol`, `hdl`, `bmi`,
/// `smoking`, `bp_treated`) of the persons it reaches, from its start on,
/// after the natural course has been computed and in scenario order. Models
/// never see interventions, only the quantities.
public struct InterventionParameters: Sendable {
  /// What the intervention does to the quantities.
  public enum Effect: Sendable, Equatable {
    /// Sets `smoking` to `smoker` (start or stop smoking).
    case smoking(smoker: Bool)
    /// Shifts lipids, blood pressure and BMI, ramping linearly from zero at the
    /// start to the full shift after `onsetYears`.
    case diet(
      totalCholesterolShiftMmolL: Double, hdlShiftMmolL: Double, sbpShiftMmHg: Double,
      bmiShift: Double, onsetYears: Double)
    /// Multiplies total cholesterol by `totalCholesterolFactor` (1 - reduction *
    /// adherence) for persons who start, once their ten-year risk (without the
    /// statin) reaches `minimumRisk10`; once started, persons stay on it.
    case statin(totalCholesterolFactor: Double, minimumRisk10: Double?)
    /// Shifts SBP by `sbpShiftMmHg` (-reduction * adherence) and sets
    /// `bp_treated`, for persons who start once their SBP reaches `minimumSbpMmHg`;
    /// once started, persons stay on it.
    case antihypertensive(sbpShiftMmHg: Double, minimumSbpMmHg: Double?)
  }

  /// When an intervention starts.
  public enum Start: Sendable, Equatable {
    /// At this many years after the simulation start (negative: already running).
    case time(years: Double)
    /// When the person reaches this age (already running for older persons).
    case age(years: Double)
  }

  public var effect: Effect
  public var start: Start

  /// The kind of intervention.
  public var type: InterventionType {
    switch effect {
    case .smoking: .smoking
    case .diet: .diet
    case .statin: .statin
    case .antihypertensive: .antihypertensive
    }
  }
  /// Share of persons reached (for treatments: fraction * uptake). A person is
  /// reached when their propensity draw is below it, so a larger share reaches a
  /// superset of the persons a smaller share reaches.
  public var reachedFraction: Double
  /// Name of the random stream of the per-person propensity. Interventions of
  /// the same type and position share it across arms (common random numbers).
  public var propensityStream: String

  public init(effect: Effect, start: Start, reachedFraction: Double, propensityStream: String) {
    self.effect = effect
    self.start = start
    self.reachedFraction = reachedFraction
    self.propensityStream = propensityStream
  }

  /// Years after the simulation start at which the intervention starts for a
  /// person aged `ageAtStartYears` at the simulation start.
  @inlinable
  public func startTime(ageAtStartYears: Double) -> Double {
    switch start {
    case .time(let years): return years
    case .age(let years): return years - ageAtStartYears
    }
  }
}
