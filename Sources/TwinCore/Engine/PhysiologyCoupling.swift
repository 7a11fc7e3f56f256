import TwinPhysiology

/// The cardiovascular physiology an engine run couples in (scenario `physiology.model:
/// smith2004`, docs/physiology.md "Coupling into the engine"), resolved.
///
/// Once a simulated year (every time point of a yearly run; time points 0, 12, 24, ... of a
/// monthly run) every person alive is mapped from the named quantities the statistical models
/// carry (age, sex, `sbp` after interventions, `smoking`) to circulation-model parameters
/// (`mapping`) and solved to the periodic steady state (`PhysiologyBatch`, warm-started from
/// the person's previous state). The risk equations then see
/// `PhysiologyMapping.riskEquationSbp`: the observed SBP at time point 0 plus the change of the
/// modelled SBP since time point 0.
public struct PhysiologyCoupling: Sendable {
  /// Person -> parameters (calibrated resistance, PWV, elastances).
  public var mapping: PhysiologyMapping
  /// Steady-state search of the batch (engine defaults: tolerance 1e-2 ml, RK4).
  public var options: SteadyStateOptions

  public init(
    mapping: PhysiologyMapping = .standard, options: SteadyStateOptions = SteadyStateOptions()
  ) {
    self.mapping = mapping
    self.options = options
  }
}

/// The physiology of every person of a block in one arm: parameters of the last solve, warm
/// starts kept across years, the latest steady-state metrics, and the two baselines of the
/// risk-equation rule. Empty (count 0) when the scenario has no physiology.
public struct PhysiologyArmState: Sendable {
  /// Whether the arm couples the physiology in.
  public let isOn: Bool
  /// Parameters of the persons at the last solve (refilled every solve).
  public internal(set) var parameters: PhysiologyParameterColumns
  /// Which persons the batch solves (the persons alive; refilled every solve).
  var active: [Bool]
  /// Each person's last periodic state and its change between the last two solves, ml.
  public internal(set) var warmStart: PhysiologyStateColumns
  /// Steady-state metrics of the last solve; NaN before the first solve and after death.
  public internal(set) var metrics: PhysiologyMetricColumns
  /// Carotid-femoral pulse wave velocity at the last solve, m/s; NaN after death.
  public internal(set) var pwv: [Double]
  /// The person's `sbp` at time point 0 (after interventions in effect then), mmHg.
  public internal(set) var observedBaselineSbp: [Double]
  /// The modelled SBP at time point 0, mmHg.
  public internal(set) var modelledBaselineSbp: [Double]
  /// The SBP the risk equations see, mmHg: `observedBaselineSbp + (metrics.sbp -
  /// modelledBaselineSbp)` at a solve, `sbp + riskSbpOffset` between solves; NaN after death.
  public internal(set) var riskSbp: [Double]
  /// `riskSbp - sbp` at the last solve, mmHg (0 before the first): the part of the risk
  /// equations' SBP the physiology adds to the statistical `sbp`.
  var riskSbpOffset: [Double]
  /// Counters of every solve of this arm and block (beats, right-hand-side evaluations).
  public internal(set) var statistics = PhysiologyBatchStatistics()

  /// `count` persons not solved yet (NaN metrics, cold starts), or an empty state when off.
  init(count personCount: Int, isOn: Bool) {
    self.isOn = isOn
    let count = isOn ? personCount : 0
    parameters = PhysiologyParameterColumns(repeating: .healthyAdult, count: count)
    active = [Bool](repeating: false, count: count)
    warmStart = PhysiologyStateColumns(count: count)
    metrics = PhysiologyMetricColumns(count: count)
    pwv = [Double](repeating: .nan, count: count)
    observedBaselineSbp = pwv
    modelledBaselineSbp = pwv
    riskSbp = pwv
    riskSbpOffset = [Double](repeating: 0, count: count)
  }

  /// An empty state holding no storage (to swap the arm's state out while solving).
  static let empty = PhysiologyArmState(count: 0, isOn: false)

  /// Values shown after a person's death: NaN (the warm start and baselines are kept).
  mutating func markDead(_ person: Int) {
    guard isOn else { return }
    metrics[person] = PhysiologyMetrics(
      sbp: .nan, dbp: .nan, map: .nan, pulsePressure: .nan, strokeVolume: .nan, lvedv: .nan,
      lvesv: .nan, cardiacOutput: .nan, ejectionFraction: .nan, peakLvPressure: .nan)
    pwv[person] = .nan
    riskSbp[person] = .nan
  }

  /// What a checkpoint keeps (everything that results depend on; the parameters and the
  /// active flags are refilled at every solve, the statistics are not results).
  var saved: SavedPhysiologyState {
    SavedPhysiologyState(columns: [
      warmStart.V_lv, warmStart.V_rv, warmStart.V_pa, warmStart.V_pu, warmStart.V_sa,
      warmStart.V_sv, warmStart.dV_lv, warmStart.dV_rv, warmStart.dV_pa, warmStart.dV_pu,
      warmStart.dV_sa, warmStart.dV_sv, metrics.sbp, metrics.dbp, metrics.map,
      metrics.pulsePressure, metrics.strokeVolume, metrics.lvedv, metrics.lvesv,
      metrics.cardiacOutput, metrics.ejectionFraction, metrics.peakLvPressure, pwv,
      observedBaselineSbp, modelledBaselineSbp, riskSbp, riskSbpOffset,
    ])
  }

  /// Restores what `saved` kept.
  mutating func restore(_ saved: SavedPhysiologyState) {
    precondition(
      saved.columns.count == SavedPhysiologyState.columnNames.count,
      "saved physiology has \(saved.columns.count) columns")
    var columns = saved.columns.makeIterator()
    func next() -> [Double] { columns.next()! }
    warmStart.V_lv = next()
    warmStart.V_rv = next()
    warmStart.V_pa = next()
    warmStart.V_pu = next()
    warmStart.V_sa = next()
    warmStart.V_sv = next()
    warmStart.dV_lv = next()
    warmStart.dV_rv = next()
    warmStart.dV_pa = next()
    warmStart.dV_pu = next()
    warmStart.dV_sa = next()
    warmStart.dV_sv = next()
    metrics.sbp = next()
    metrics.dbp = next()
    metrics.map = next()
    metrics.pulsePressure = next()
    metrics.strokeVolume = next()
    metrics.lvedv = next()
    metrics.lvesv = next()
    metrics.cardiacOutput = next()
    metrics.ejectionFraction = next()
    metrics.peakLvPressure = next()
    pwv = next()
    observedBaselineSbp = next()
    modelledBaselineSbp = next()
    riskSbp = next()
    riskSbpOffset = next()
  }
}

/// The per-person physiology columns a checkpoint stores, float64, in the order of
/// `columnNames` (each column one value per person of the block).
public struct SavedPhysiologyState: Sendable, Equatable {
  public var columns: [[Double]]

  public init(columns: [[Double]]) { self.columns = columns }

  /// Names of the columns (the checkpoint's datasets are `physiology_<name>`).
  public static let columnNames = [
    "V_lv", "V_rv", "V_pa", "V_pu", "V_sa", "V_sv", "dV_lv", "dV_rv", "dV_pa", "dV_pu", "dV_sa",
    "dV_sv", "sbp", "dbp", "map", "pulse_pressure", "stroke_volume", "lvedv", "lvesv",
    "cardiac_output", "ejection_fraction", "peak_lv_pressure", "pwv", "observed_baseline_sbp",
    "modelled_baseline_sbp", "risk_sbp", "risk_sbp_offset",
  ]

  /// Bitwise equality (NaN payloads compare as values, so a restored state equals its source).
  public static func == (lhs: SavedPhysiologyState, rhs: SavedPhysiologyState) -> Bool {
    lhs.columns.map { $0.map(\.bitPattern) } == rhs.columns.map { $0.map(\.bitPattern) }
  }
}
