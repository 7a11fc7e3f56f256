/// The six stressed volumes of the reduced Smith 2004 model, ml: left and right ventricle,
/// pulmonary artery and vein, systemic artery and vein. Their sum is conserved (the stressed
/// blood volume `V_stressed`).
public struct PhysiologyState: Sendable, Equatable, Hashable {
  public var V_lv: Double
  public var V_rv: Double
  public var V_pa: Double
  public var V_pu: Double
  public var V_sa: Double
  public var V_sv: Double

  public init(V_lv: Double, V_rv: Double, V_pa: Double, V_pu: Double, V_sa: Double, V_sv: Double) {
    self.V_lv = V_lv
    self.V_rv = V_rv
    self.V_pa = V_pa
    self.V_pu = V_pu
    self.V_sa = V_sa
    self.V_sv = V_sv
  }

  /// Every volume NaN: no state (a person not solved yet).
  public static let notAvailable = PhysiologyState(
    V_lv: .nan, V_rv: .nan, V_pa: .nan, V_pu: .nan, V_sa: .nan, V_sv: .nan)

  /// Sum of the six volumes, ml.
  public var totalVolumeMl: Double { V_lv + V_rv + V_pa + V_pu + V_sa + V_sv }

  /// True when every volume is finite and not negative.
  public var isPhysical: Bool {
    func ok(_ volume: Double) -> Bool { volume.isFinite && volume >= 0 }
    return ok(V_lv) && ok(V_rv) && ok(V_pa) && ok(V_pu) && ok(V_sa) && ok(V_sv)
  }

  /// Smith et al. 2004 initial volumes (docs/science.md, section 4), ml; they sum to 1500 ml.
  public static let smith2004Initial = PhysiologyState(
    V_lv: 94.6812, V_rv: 90.7302, V_pa: 43.0123, V_pu: 808.458, V_sa: 133.338, V_sv: 329.780)

  /// Smith's initial volumes scaled by one factor so that they sum to `stressedVolumeMl`: the
  /// cold start of the periodic-steady-state solver.
  public static func initial(stressedVolumeMl: Double) -> PhysiologyState {
    smith2004Initial.scaled(toTotalMl: stressedVolumeMl)
  }

  /// This state multiplied by one factor so that the volumes sum to `totalMl`.
  public func scaled(toTotalMl totalMl: Double) -> PhysiologyState {
    let factor = totalMl / totalVolumeMl
    return PhysiologyState(
      V_lv: V_lv * factor, V_rv: V_rv * factor, V_pa: V_pa * factor, V_pu: V_pu * factor,
      V_sa: V_sa * factor, V_sv: V_sv * factor)
  }
}

/// Six volumes of one lane type: the state vector the integrators advance. For `Double` lanes it
/// is one person's `PhysiologyState`; for SIMD lanes, one volume of several persons per field.
public struct LaneVolumes<Lane: PhysiologyLane>: Sendable {
  public var lv: Lane
  public var rv: Lane
  public var pa: Lane
  public var pu: Lane
  public var sa: Lane
  public var sv: Lane

  @inlinable @inline(__always)
  public init(lv: Lane, rv: Lane, pa: Lane, pu: Lane, sa: Lane, sv: Lane) {
    self.lv = lv
    self.rv = rv
    self.pa = pa
    self.pu = pu
    self.sa = sa
    self.sv = sv
  }

  /// `self + scale * other`, component-wise (separate multiply and add: no fused operation).
  @inlinable @inline(__always)
  public func adding(_ other: LaneVolumes, scaledBy scale: Lane) -> LaneVolumes {
    LaneVolumes(
      lv: lv + scale * other.lv, rv: rv + scale * other.rv, pa: pa + scale * other.pa,
      pu: pu + scale * other.pu, sa: sa + scale * other.sa, sv: sv + scale * other.sv)
  }

  /// Component-wise `select(mask, self, other)`.
  @inlinable @inline(__always)
  public func selecting(_ mask: Lane.Mask, elseFrom other: LaneVolumes) -> LaneVolumes {
    LaneVolumes(
      lv: Lane.select(mask, lv, other.lv), rv: Lane.select(mask, rv, other.rv),
      pa: Lane.select(mask, pa, other.pa), pu: Lane.select(mask, pu, other.pu),
      sa: Lane.select(mask, sa, other.sa), sv: Lane.select(mask, sv, other.sv))
  }
}

extension LaneVolumes where Lane == Double {
  @inlinable
  public init(_ state: PhysiologyState) {
    self.init(
      lv: state.V_lv, rv: state.V_rv, pa: state.V_pa, pu: state.V_pu, sa: state.V_sa,
      sv: state.V_sv)
  }

  @inlinable
  public var state: PhysiologyState {
    PhysiologyState(V_lv: lv, V_rv: rv, V_pa: pa, V_pu: pu, V_sa: sa, V_sv: sv)
  }
}
