/// The right-hand side of the reduced Smith 2004 model (docs/science.md, section 4), for one
/// person (`Lane == Double`) or one person per SIMD lane:
///
///     e(tau) = A exp(-B (tau - C)^2),  tau = time since the start of the beat
///     P_lv   = e E_lv V_lv + (1 - e) P0_lv (exp(lam_lv V_lv) - 1)       (same for RV)
///     P_x    = E_x V_x  for x in pa, pu, sa, sv
///     Q_mt = max(P_pu - P_lv, 0)/R_mt    Q_av = max(P_lv - P_sa, 0)/R_av
///     Q_tc = max(P_sv - P_rv, 0)/R_tc    Q_pv = max(P_rv - P_pa, 0)/R_pv
///     Q_sys = (P_sa - P_sv)/R_sys        Q_pul = (P_pa - P_pu)/R_pul
///     dV_lv = Q_mt - Q_av   dV_sa = Q_av - Q_sys   dV_sv = Q_sys - Q_tc
///     dV_rv = Q_tc - Q_pv   dV_pa = Q_pv - Q_pul   dV_pu = Q_pul - Q_mt
///
/// Every flow leaves one compartment and enters another, so the derivatives sum to zero and
/// every Runge-Kutta method conserves the total volume up to rounding. The diode valves make
/// the right-hand side continuous but not differentiable where a valve opens or closes.
///
/// This type holds the parameters only; integrators (`RungeKutta4`, `DormandPrince54`) and
/// batching (`PhysiologyBatch`) are separate pieces.
public struct CirculationModel<Lane: PhysiologyLane>: Sendable {
  public var A: Lane
  public var B: Lane
  public var C: Lane
  public var E_lv: Lane
  public var P0_lv: Lane
  public var lam_lv: Lane
  public var E_rv: Lane
  public var P0_rv: Lane
  public var lam_rv: Lane
  public var E_pa: Lane
  public var E_pu: Lane
  public var E_sa: Lane
  public var E_sv: Lane
  /// Conductances 1/R, ml/(mmHg s): the hot loop multiplies instead of dividing.
  public var G_pul: Lane
  public var G_sys: Lane
  public var G_mt: Lane
  public var G_av: Lane
  public var G_tc: Lane
  public var G_pv: Lane

  @inlinable
  public init(
    A: Lane, B: Lane, C: Lane, E_lv: Lane, P0_lv: Lane, lam_lv: Lane, E_rv: Lane, P0_rv: Lane,
    lam_rv: Lane, E_pa: Lane, E_pu: Lane, E_sa: Lane, E_sv: Lane, R_pul: Lane, R_sys: Lane,
    R_mt: Lane, R_av: Lane, R_tc: Lane, R_pv: Lane
  ) {
    let one = Lane(broadcast: 1)
    self.A = A
    self.B = B
    self.C = C
    self.E_lv = E_lv
    self.P0_lv = P0_lv
    self.lam_lv = lam_lv
    self.E_rv = E_rv
    self.P0_rv = P0_rv
    self.lam_rv = lam_rv
    self.E_pa = E_pa
    self.E_pu = E_pu
    self.E_sa = E_sa
    self.E_sv = E_sv
    G_pul = one / R_pul
    G_sys = one / R_sys
    G_mt = one / R_mt
    G_av = one / R_av
    G_tc = one / R_tc
    G_pv = one / R_pv
  }

  /// Ventricular activation e(tau) = A exp(-B (tau - C)^2) at `tau` seconds into the beat.
  @inlinable @inline(__always)
  public func activation(atBeatTime tau: Lane) -> Lane {
    let offset = tau - C
    return A * Lane.exponential(-(B * offset * offset))
  }

  /// dV/dt, ml/s, at volumes `volumes` and activation `activation`.
  @inlinable @inline(__always)
  public func derivatives(_ volumes: LaneVolumes<Lane>, activation e: Lane) -> LaneVolumes<Lane> {
    evaluate(volumes, activation: e).derivatives
  }

  /// dV/dt, ml/s, together with the left ventricular pressure P_lv, mmHg, and its time
  /// derivative, mmHg/s, at beat time `tau` where the activation is `e` (the beat metrics
  /// locate the peak of P_lv between grid points with them).
  @inlinable @inline(__always)
  public func sample(_ volumes: LaneVolumes<Lane>, atBeatTime tau: Lane, activation e: Lane)
    -> (derivatives: LaneVolumes<Lane>, lvPressure: Lane, lvPressureRate: Lane)
  {
    let one = Lane(broadcast: 1)
    let result = evaluate(volumes, activation: e)
    // de/dt = -2 B (tau - C) e; dP_lv/dt by the product rule on both terms of P_lv.
    let activationRate = Lane(broadcast: -2) * B * (tau - C) * e
    let activePressure = E_lv * volumes.lv
    let passivePressure = P0_lv * (result.lvStretch - one)
    let rate =
      activationRate * (activePressure - passivePressure)
      + (e * E_lv + (one - e) * P0_lv * lam_lv * result.lvStretch) * result.derivatives.lv
    return (result.derivatives, result.lvPressure, rate)
  }

  @inlinable @inline(__always)
  func evaluate(_ volumes: LaneVolumes<Lane>, activation e: Lane)
    -> (derivatives: LaneVolumes<Lane>, lvPressure: Lane, lvStretch: Lane)
  {
    let one = Lane(broadcast: 1)
    let zero = Lane(broadcast: 0)
    let passive = one - e
    let lvStretch = Lane.exponential(lam_lv * volumes.lv)
    let pLv = e * E_lv * volumes.lv + passive * P0_lv * (lvStretch - one)
    let pRv =
      e * E_rv * volumes.rv
      + passive * P0_rv * (Lane.exponential(lam_rv * volumes.rv) - one)
    let pPa = E_pa * volumes.pa
    let pPu = E_pu * volumes.pu
    let pSa = E_sa * volumes.sa
    let pSv = E_sv * volumes.sv
    let qMt = Lane.laneMax(pPu - pLv, zero) * G_mt
    let qAv = Lane.laneMax(pLv - pSa, zero) * G_av
    let qTc = Lane.laneMax(pSv - pRv, zero) * G_tc
    let qPv = Lane.laneMax(pRv - pPa, zero) * G_pv
    let qSys = (pSa - pSv) * G_sys
    let qPul = (pPa - pPu) * G_pul
    let derivatives = LaneVolumes(
      lv: qMt - qAv, rv: qTc - qPv, pa: qPv - qPul, pu: qPul - qMt, sa: qAv - qSys,
      sv: qSys - qTc)
    return (derivatives, pLv, lvStretch)
  }

  /// The largest rate, 1/s, at which the model relaxes while a semilunar valve is open at full
  /// activation: (A E_lv + E_sa) / R_av for the aortic and (A E_rv + E_pa) / R_pv for the
  /// pulmonary valve (eigenvalues of the ventricle-artery pair). Fixed-step RK4 is stable for
  /// h * rate < 2.78; `RungeKutta4.stepsPerBeat` keeps h * rate at most 1.9 by default.
  @inlinable @inline(__always)
  public var ejectionStiffnessPerSecond: Lane {
    Lane.laneMax((A * E_lv + E_sa) * G_av, (A * E_rv + E_pa) * G_pv)
  }
}

extension CirculationModel where Lane == Double {
  /// The model of one person.
  @inlinable
  public init(_ parameters: PhysiologyParameters) {
    self.init(
      A: parameters.A, B: parameters.B, C: parameters.C, E_lv: parameters.E_lv,
      P0_lv: parameters.P0_lv, lam_lv: parameters.lam_lv, E_rv: parameters.E_rv,
      P0_rv: parameters.P0_rv, lam_rv: parameters.lam_rv, E_pa: parameters.E_pa,
      E_pu: parameters.E_pu, E_sa: parameters.E_sa, E_sv: parameters.E_sv,
      R_pul: parameters.R_pul, R_sys: parameters.R_sys, R_mt: parameters.R_mt,
      R_av: parameters.R_av, R_tc: parameters.R_tc, R_pv: parameters.R_pv)
  }
}
