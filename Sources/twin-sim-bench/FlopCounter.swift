import TwinPhysiology

/// A one-lane `PhysiologyLane` that counts the floating-point operations the generic kernels
/// perform: arithmetic (+, -, *, /, sqrt) separately from comparisons, selections and
/// min/max. Running a kernel with it gives its exact operation count per lane (the SIMD kernel
/// runs the same sequence of operations in every lane).
struct CountingLane: PhysiologyLane {
  typealias Mask = Bool

  nonisolated(unsafe) static var arithmetic = 0
  nonisolated(unsafe) static var other = 0

  var value: Double

  init(broadcast value: Double) { self.value = value }
  init(_ value: Double) { self.value = value }

  static func + (lhs: Self, rhs: Self) -> Self {
    arithmetic += 1
    return Self(lhs.value + rhs.value)
  }
  static func - (lhs: Self, rhs: Self) -> Self {
    arithmetic += 1
    return Self(lhs.value - rhs.value)
  }
  static func * (lhs: Self, rhs: Self) -> Self {
    arithmetic += 1
    return Self(lhs.value * rhs.value)
  }
  static func / (lhs: Self, rhs: Self) -> Self {
    arithmetic += 1
    return Self(lhs.value / rhs.value)
  }
  static prefix func - (operand: Self) -> Self {
    other += 1
    return Self(-operand.value)
  }
  static func laneMax(_ lhs: Self, _ rhs: Self) -> Self {
    other += 1
    return Self(max(lhs.value, rhs.value))
  }
  static func laneMin(_ lhs: Self, _ rhs: Self) -> Self {
    other += 1
    return Self(min(lhs.value, rhs.value))
  }
  static func laneSquareRoot(_ value: Self) -> Self {
    arithmetic += 1
    return Self(value.value.squareRoot())
  }
  static func isLess(_ lhs: Self, _ rhs: Self) -> Bool {
    other += 1
    return lhs.value < rhs.value
  }
  static func isLessOrEqual(_ lhs: Self, _ rhs: Self) -> Bool {
    other += 1
    return lhs.value <= rhs.value
  }
  static func and(_ lhs: Bool, _ rhs: Bool) -> Bool { lhs && rhs }
  static func or(_ lhs: Bool, _ rhs: Bool) -> Bool { lhs || rhs }
  static func any(_ mask: Bool) -> Bool { mask }
  static func select(_ mask: Bool, _ whereTrue: Self, _ whereFalse: Self) -> Self {
    other += 1
    return mask ? whereTrue : whereFalse
  }
  static func powerOfTwo(integral k: Self) -> Self {
    other += 1
    return Self(Double.powerOfTwo(integral: k.value))
  }

  /// Operations of one RK4 beat of the healthy adult with `steps` steps: (arithmetic, other).
  static func countBeat(steps: Int) -> (arithmetic: Int, other: Int) {
    let parameters = PhysiologyParameters.healthyAdult
    func lane(_ value: Double) -> CountingLane { CountingLane(value) }
    let model = CirculationModel<CountingLane>(
      A: lane(parameters.A), B: lane(parameters.B), C: lane(parameters.C),
      E_lv: lane(parameters.E_lv), P0_lv: lane(parameters.P0_lv), lam_lv: lane(parameters.lam_lv),
      E_rv: lane(parameters.E_rv), P0_rv: lane(parameters.P0_rv), lam_rv: lane(parameters.lam_rv),
      E_pa: lane(parameters.E_pa), E_pu: lane(parameters.E_pu), E_sa: lane(parameters.E_sa),
      E_sv: lane(parameters.E_sv), R_pul: lane(parameters.R_pul), R_sys: lane(parameters.R_sys),
      R_mt: lane(parameters.R_mt), R_av: lane(parameters.R_av), R_tc: lane(parameters.R_tc),
      R_pv: lane(parameters.R_pv))
    let state = PhysiologyState.initial(stressedVolumeMl: parameters.V_stressed)
    let start = LaneVolumes(
      lv: lane(state.V_lv), rv: lane(state.V_rv), pa: lane(state.V_pa), pu: lane(state.V_pu),
      sa: lane(state.V_sa), sv: lane(state.V_sv))
    arithmetic = 0
    other = 0
    _ = RungeKutta4.integrateBeat(
      model: model, start: start, stepSeconds: lane(parameters.beatPeriodSeconds / Double(steps)),
      steps: lane(Double(steps)), maximumSteps: steps)
    return (arithmetic, other)
  }

  /// Operations of one right-hand-side evaluation (`derivatives`).
  static func countRightHandSide() -> (arithmetic: Int, other: Int) {
    let parameters = PhysiologyParameters.healthyAdult
    func lane(_ value: Double) -> CountingLane { CountingLane(value) }
    let model = CirculationModel<CountingLane>(
      A: lane(1), B: lane(80), C: lane(0.375), E_lv: lane(parameters.E_lv),
      P0_lv: lane(parameters.P0_lv), lam_lv: lane(parameters.lam_lv), E_rv: lane(parameters.E_rv),
      P0_rv: lane(parameters.P0_rv), lam_rv: lane(parameters.lam_rv), E_pa: lane(parameters.E_pa),
      E_pu: lane(parameters.E_pu), E_sa: lane(parameters.E_sa), E_sv: lane(parameters.E_sv),
      R_pul: lane(1), R_sys: lane(1), R_mt: lane(1), R_av: lane(1), R_tc: lane(1), R_pv: lane(1))
    let volumes = LaneVolumes(
      lv: lane(90), rv: lane(90), pa: lane(40), pu: lane(800), sa: lane(130), sv: lane(330))
    arithmetic = 0
    other = 0
    _ = model.derivatives(volumes, activation: lane(0.5))
    return (arithmetic, other)
  }
}
