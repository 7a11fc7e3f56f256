/// Classical fixed-step fourth-order Runge-Kutta over one beat.
///
/// Each beat tau in [0, T] is cut into n equal steps (so a step never straddles the restart of
/// the activation at the beat boundary). The step count comes from the person's own parameters
/// (`stepsPerBeat`): the step is at most `maximumStepSeconds` and at most
/// `stabilityFactor / stiffness`, where the stiffness is the fastest relaxation rate while a
/// semilunar valve is open (`CirculationModel.ejectionStiffnessPerSecond`; RK4 is stable up to
/// h * rate = 2.78). Accuracy against scipy's Radau at rtol 1e-10 is checked by the tests and
/// documented in docs/physiology.md.
///
/// The generic `integrateBeat` advances one person (`Lane == Double`) or one person per SIMD
/// lane, each lane with its own period and step count (lanes that finished their beat keep
/// their state while the others go on), so a person's result does not depend on which other
/// persons share its SIMD group. Four right-hand-side evaluations per step plus one at the
/// start of the beat.
public enum RungeKutta4 {
  /// Step-size rule of the fixed-step integrator.
  public struct Options: Sendable, Equatable, Hashable {
    /// Upper bound of the step, s.
    public var maximumStepSeconds: Double
    /// Upper bound of step x ejection stiffness (dimensionless; RK4 is stable below 2.78).
    public var stabilityFactor: Double

    /// Defaults: at most 7.5 ms and h x stiffness <= 1.9 (a 1.46-fold margin to the stability
    /// limit). For the healthy adult (stiffness 290/s, T = 0.75 s) this gives 115 steps per
    /// beat; over ten parameter sets from soft to very stiff arteries SBP, DBP, MAP and stroke
    /// volume stay within 0.1 % of scipy's Radau at rtol 1e-10 (docs/physiology.md, tests).
    public init(maximumStepSeconds: Double = 0.0075, stabilityFactor: Double = 1.9) {
      self.maximumStepSeconds = maximumStepSeconds
      self.stabilityFactor = stabilityFactor
    }
  }

  /// Steps per beat for one person: ceil(T / min(maximumStep, stabilityFactor / stiffness)),
  /// at least 1.
  @inlinable
  public static func stepsPerBeat(
    periodSeconds: Double, ejectionStiffnessPerSecond: Double, options: Options
  ) -> Int {
    let step = min(
      options.maximumStepSeconds, options.stabilityFactor / ejectionStiffnessPerSecond)
    let steps = (periodSeconds / step).rounded(.up)
    return max(1, Int(steps))
  }

  /// Steps per beat for the person with `parameters` (see `stepsPerBeat(periodSeconds:...)`).
  public static func stepsPerBeat(parameters: PhysiologyParameters, options: Options) -> Int {
    stepsPerBeat(
      periodSeconds: parameters.beatPeriodSeconds,
      ejectionStiffnessPerSecond: CirculationModel<Double>(parameters).ejectionStiffnessPerSecond,
      options: options)
  }

  /// Integrates one beat from tau = 0 starting at `start`: `steps` steps of `stepSeconds` in
  /// each lane (the caller passes T / steps; `maximumSteps` is the largest step count, lanes
  /// with 0 steps stay idle). `sameStepsInAllLanes` (every lane has `maximumSteps`) skips the
  /// per-lane masking, which the results do not depend on. Returns the volumes at the end of
  /// the beat and the beat's metric accumulator.
  @inlinable
  public static func integrateBeat<Lane: PhysiologyLane>(
    model: CirculationModel<Lane>, start: LaneVolumes<Lane>, stepSeconds step: Lane, steps: Lane,
    maximumSteps: Int, sameStepsInAllLanes: Bool = false
  ) -> (end: LaneVolumes<Lane>, metrics: BeatMetricAccumulator<Lane>) {
    let half = Lane(broadcast: 0.5)
    let two = Lane(broadcast: 2)
    let sixth = Lane(broadcast: 1.0 / 6.0)
    let halfStep = half * step

    var volumes = start
    // Activation on the half-step grid tau_j = j h/2 by the exact recurrence of a Gaussian:
    // e_{j+1} = e_j r_j and r_{j+1} = r_j q with r_0 = exp(B d (2C - d)), q = exp(-2 B d^2),
    // d = h/2 (r_j = e_{j+1}/e_j, and the ratios of successive ratios are constant). Three
    // exponentials per beat instead of two per step; the products carry a relative rounding
    // error below 1e-11 after 1000 steps, far under the method's truncation error. Lanes that
    // finished their beat freeze the sequence (no underflow into slow subnormal numbers).
    var activation = model.A * Lane.exponential(-(model.B * model.C * model.C))
    var ratio = Lane.exponential(model.B * halfStep * (two * model.C - halfStep))
    let ratioFactor = Lane.exponential(-(two * model.B * halfStep * halfStep))
    let first = model.sample(volumes, atBeatTime: Lane(broadcast: 0), activation: activation)
    var slope = first.derivatives
    var sample = BeatSample(
      volumes: volumes, derivatives: slope, lvPressure: first.lvPressure,
      lvPressureRate: first.lvPressureRate)
    var metrics = BeatMetricAccumulator(start: sample)

    for index in 0..<maximumSteps {
      let stepIndex = Lane(broadcast: Double(index))
      let active = Lane.isLess(stepIndex, steps)
      // Time as index x step (not an accumulated sum, which would drift).
      let endTime = (stepIndex + Lane(broadcast: 1)) * step
      let midActivation = activation * ratio
      let midRatio = ratio * ratioFactor
      let endActivation = midActivation * midRatio
      let endRatio = midRatio * ratioFactor

      let k2 = model.derivatives(
        volumes.adding(slope, scaledBy: halfStep), activation: midActivation)
      let k3 = model.derivatives(
        volumes.adding(k2, scaledBy: halfStep), activation: midActivation)
      let k4 = model.derivatives(volumes.adding(k3, scaledBy: step), activation: endActivation)
      let weighted = LaneVolumes(
        lv: slope.lv + two * (k2.lv + k3.lv) + k4.lv,
        rv: slope.rv + two * (k2.rv + k3.rv) + k4.rv,
        pa: slope.pa + two * (k2.pa + k3.pa) + k4.pa,
        pu: slope.pu + two * (k2.pu + k3.pu) + k4.pu,
        sa: slope.sa + two * (k2.sa + k3.sa) + k4.sa,
        sv: slope.sv + two * (k2.sv + k3.sv) + k4.sv)
      let nextVolumes = volumes.adding(weighted, scaledBy: step * sixth)

      // The derivative at the new point is the next step's first stage (and the slope the
      // metrics interpolate with).
      let next = model.sample(nextVolumes, atBeatTime: endTime, activation: endActivation)
      let nextSample = BeatSample(
        volumes: nextVolumes, derivatives: next.derivatives, lvPressure: next.lvPressure,
        lvPressureRate: next.lvPressureRate)
      if sameStepsInAllLanes {
        metrics.add(from: sample, to: nextSample, step: step, active: active, masked: false)
        volumes = nextVolumes
        slope = next.derivatives
        sample = nextSample
        activation = endActivation
        ratio = endRatio
        continue
      }
      metrics.add(from: sample, to: nextSample, step: step, active: active, masked: true)
      activation = Lane.select(active, endActivation, activation)
      ratio = Lane.select(active, endRatio, ratio)
      volumes = nextVolumes.selecting(active, elseFrom: volumes)
      slope = next.derivatives.selecting(active, elseFrom: slope)
      sample = BeatSample(
        volumes: volumes, derivatives: slope,
        lvPressure: Lane.select(active, nextSample.lvPressure, sample.lvPressure),
        lvPressureRate: Lane.select(active, nextSample.lvPressureRate, sample.lvPressureRate))
    }
    return (volumes, metrics)
  }

  /// Right-hand-side evaluations of one beat with `steps` steps (four per step, one at the start).
  @inlinable
  public static func rightHandSideEvaluations(steps: Int) -> Int { 4 * steps + 1 }
}
