/// Haemodynamic summary of one beat at the periodic steady state.
///
/// Blood pressures are those of the model's systemic arterial compartment P_sa = E_sa V_sa: a
/// single lumped aorta and large arteries (no wave travel, no brachial amplification), closest
/// to central aortic pressure. `sbp` and `dbp` are the maximum and minimum of P_sa over the beat,
/// `map` its time average.
public struct PhysiologyMetrics: Sendable, Equatable, Hashable {
  /// Systolic blood pressure: max of P_sa over the beat, mmHg.
  public var sbp: Double
  /// Diastolic blood pressure: min of P_sa over the beat, mmHg.
  public var dbp: Double
  /// Mean arterial pressure: time average of P_sa over the beat, mmHg.
  public var map: Double
  /// Pulse pressure sbp - dbp, mmHg.
  public var pulsePressure: Double
  /// Stroke volume lvedv - lvesv, ml.
  public var strokeVolume: Double
  /// Left ventricular end-diastolic volume: max of V_lv over the beat, ml.
  public var lvedv: Double
  /// Left ventricular end-systolic volume: min of V_lv over the beat, ml.
  public var lvesv: Double
  /// Cardiac output stroke volume x HR, l/min.
  public var cardiacOutput: Double
  /// Ejection fraction 100 x stroke volume / lvedv, percent.
  public var ejectionFraction: Double
  /// Peak left ventricular pressure: max of P_lv over the beat, mmHg.
  public var peakLvPressure: Double

  public init(
    sbp: Double, dbp: Double, map: Double, pulsePressure: Double, strokeVolume: Double,
    lvedv: Double, lvesv: Double, cardiacOutput: Double, ejectionFraction: Double,
    peakLvPressure: Double
  ) {
    self.sbp = sbp
    self.dbp = dbp
    self.map = map
    self.pulsePressure = pulsePressure
    self.strokeVolume = strokeVolume
    self.lvedv = lvedv
    self.lvesv = lvesv
    self.cardiacOutput = cardiacOutput
    self.ejectionFraction = ejectionFraction
    self.peakLvPressure = peakLvPressure
  }

  /// The metrics from the extremes and the integral a `BeatMetricAccumulator` collected.
  @inlinable
  public init(
    systemicArterialVolumeMaxMl: Double, systemicArterialVolumeMinMl: Double,
    systemicArterialVolumeIntegralMlS: Double, lvVolumeMaxMl: Double, lvVolumeMinMl: Double,
    lvPressureMaxMmHg: Double, E_sa: Double, heartRateBpm: Double
  ) {
    let periodSeconds = 60 / heartRateBpm
    sbp = E_sa * systemicArterialVolumeMaxMl
    dbp = E_sa * systemicArterialVolumeMinMl
    map = E_sa * systemicArterialVolumeIntegralMlS / periodSeconds
    pulsePressure = sbp - dbp
    lvedv = lvVolumeMaxMl
    lvesv = lvVolumeMinMl
    strokeVolume = lvedv - lvesv
    cardiacOutput = strokeVolume * heartRateBpm / 1000
    ejectionFraction = 100 * strokeVolume / lvedv
    peakLvPressure = lvPressureMaxMmHg
  }

  /// Metrics of a person that was not solved (masked out or invalid): every value NaN.
  public static let notAvailable = PhysiologyMetrics(
    sbp: .nan, dbp: .nan, map: .nan, pulsePressure: .nan, strokeVolume: .nan, lvedv: .nan,
    lvesv: .nan, cardiacOutput: .nan, ejectionFraction: .nan, peakLvPressure: .nan)
}

/// The quantities the beat metrics follow at one grid point of the integration: V_sa, V_lv and
/// P_lv with their time derivatives.
public struct BeatSample<Lane: PhysiologyLane>: Sendable {
  public var systemicArterialVolume: Lane
  public var systemicArterialVolumeRate: Lane
  public var lvVolume: Lane
  public var lvVolumeRate: Lane
  public var lvPressure: Lane
  public var lvPressureRate: Lane

  @inlinable @inline(__always)
  public init(
    volumes: LaneVolumes<Lane>, derivatives: LaneVolumes<Lane>, lvPressure: Lane,
    lvPressureRate: Lane
  ) {
    systemicArterialVolume = volumes.sa
    systemicArterialVolumeRate = derivatives.sa
    lvVolume = volumes.lv
    lvVolumeRate = derivatives.lv
    self.lvPressure = lvPressure
    self.lvPressureRate = lvPressureRate
  }
}

/// Running extremes and time integral over one beat, refined between grid points.
///
/// Between two grid points the integrators know each followed quantity and its exact time
/// derivative at both ends, which define a cubic Hermite interpolant (4th-order accurate where
/// the solution is smooth). Where the derivative changes sign inside a step the extreme of that
/// cubic is taken, so the extremes do not depend on where grid points happen to fall (a
/// minimum of P_sa sits just after the aortic valve opens, where P_sa turns sharply). The
/// integral of V_sa uses the same cubic: h (y0 + y1) / 2 + h^2 (d0 - d1) / 12.
public struct BeatMetricAccumulator<Lane: PhysiologyLane>: Sendable {
  public var systemicArterialVolumeMax: Lane
  public var systemicArterialVolumeMin: Lane
  public var systemicArterialVolumeIntegral: Lane
  public var lvVolumeMax: Lane
  public var lvVolumeMin: Lane
  public var lvPressureMax: Lane

  /// Starts at the first grid point of the beat.
  @inlinable @inline(__always)
  public init(start: BeatSample<Lane>) {
    systemicArterialVolumeMax = start.systemicArterialVolume
    systemicArterialVolumeMin = start.systemicArterialVolume
    systemicArterialVolumeIntegral = Lane(broadcast: 0)
    lvVolumeMax = start.lvVolume
    lvVolumeMin = start.lvVolume
    lvPressureMax = start.lvPressure
  }

  /// Adds the interval of length `step` (seconds) from `previous` to `next` in lanes where
  /// `active` is set (all lanes when `masked` is false).
  @inlinable @inline(__always)
  public mutating func add(
    from previous: BeatSample<Lane>, to next: BeatSample<Lane>, step: Lane, active: Lane.Mask,
    masked: Bool = true
  ) {
    let twelfth = Lane(broadcast: 1.0 / 12.0)
    let half = Lane(broadcast: 0.5)
    let integral =
      step * half * (previous.systemicArterialVolume + next.systemicArterialVolume) + step * step
      * twelfth * (previous.systemicArterialVolumeRate - next.systemicArterialVolumeRate)
    systemicArterialVolumeIntegral =
      masked
      ? Lane.select(
        active, systemicArterialVolumeIntegral + integral, systemicArterialVolumeIntegral)
      : systemicArterialVolumeIntegral + integral

    systemicArterialVolumeMax = Self.trackMaximum(
      systemicArterialVolumeMax, previous.systemicArterialVolume,
      previous.systemicArterialVolumeRate, next.systemicArterialVolume,
      next.systemicArterialVolumeRate, step: step, active: active, masked: masked)
    systemicArterialVolumeMin = -Self.trackMaximum(
      -systemicArterialVolumeMin, -previous.systemicArterialVolume,
      -previous.systemicArterialVolumeRate, -next.systemicArterialVolume,
      -next.systemicArterialVolumeRate, step: step, active: active, masked: masked)
    lvVolumeMax = Self.trackMaximum(
      lvVolumeMax, previous.lvVolume, previous.lvVolumeRate, next.lvVolume, next.lvVolumeRate,
      step: step, active: active, masked: masked)
    lvVolumeMin = -Self.trackMaximum(
      -lvVolumeMin, -previous.lvVolume, -previous.lvVolumeRate, -next.lvVolume,
      -next.lvVolumeRate, step: step, active: active, masked: masked)
    lvPressureMax = Self.trackMaximum(
      lvPressureMax, previous.lvPressure, previous.lvPressureRate, next.lvPressure,
      next.lvPressureRate, step: step, active: active, masked: masked)
  }

  /// The running maximum updated with the interval [y0, y1]: the end point, and where the slope
  /// turns from positive to non-positive inside the interval, the maximum of the Hermite cubic.
  @inlinable @inline(__always)
  static func trackMaximum(
    _ running: Lane, _ y0: Lane, _ d0: Lane, _ y1: Lane, _ d1: Lane, step h: Lane,
    active: Lane.Mask, masked: Bool
  ) -> Lane {
    let zero = Lane(broadcast: 0)
    var updated = Lane.laneMax(running, y1)
    let turning = Lane.and(Lane.isLess(zero, d0), Lane.isLessOrEqual(d1, zero))
    let turns = masked ? Lane.and(active, turning) : turning
    if Lane.any(turns) {
      updated = Lane.select(
        turns, Lane.laneMax(updated, hermiteExtremum(y0, d0, y1, d1, step: h)), updated)
    }
    return masked ? Lane.select(active, updated, running) : updated
  }

  /// Value of the cubic Hermite interpolant p(s) = y0 + h d0 s + c2 s^2 + c3 s^3 on s in [0, 1]
  /// at the root of p'(s) inside the interval (p' changes sign there, so exactly one root lies
  /// in (0, 1)); falls back to p(0) = y0 if rounding puts the root outside.
  @inlinable @inline(__always)
  static func hermiteExtremum(_ y0: Lane, _ d0: Lane, _ y1: Lane, _ d1: Lane, step h: Lane)
    -> Lane
  {
    let zero = Lane(broadcast: 0)
    let one = Lane(broadcast: 1)
    let delta = y1 - y0
    let c2 = Lane(broadcast: 3) * delta - h * (Lane(broadcast: 2) * d0 + d1)
    let c3 = Lane(broadcast: -2) * delta + h * (d0 + d1)
    // p'(s) = a s^2 + b s + c; the stable quadratic formula (Press et al., Numerical Recipes
    // 5.6) gives both roots without cancellation.
    let a = Lane(broadcast: 3) * c3
    let b = Lane(broadcast: 2) * c2
    let c = h * d0
    let root = Lane.laneSquareRoot(Lane.laneMax(b * b - Lane(broadcast: 4) * a * c, zero))
    let q = Lane(broadcast: -0.5) * (b + Lane.select(Lane.isLess(b, zero), -root, root))
    let rootFromQ = c / q
    let rootFromA = q / a
    let firstInside = Lane.and(
      Lane.isLessOrEqual(zero, rootFromQ), Lane.isLessOrEqual(rootFromQ, one))
    let candidate = Lane.select(firstInside, rootFromQ, rootFromA)
    let inside = Lane.and(Lane.isLessOrEqual(zero, candidate), Lane.isLessOrEqual(candidate, one))
    let s = Lane.select(inside, candidate, zero)
    return y0 + s * (h * d0 + s * (c2 + s * c3))
  }
}
