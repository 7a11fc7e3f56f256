/// The integrator that computes one beat.
public enum BeatIntegrator: Sendable, Equatable, Hashable {
  /// Fixed-step classical Runge-Kutta (the population batch uses it).
  case rungeKutta4(RungeKutta4.Options)
  /// Adaptive Dormand-Prince 5(4) with error control.
  case dormandPrince54(DormandPrince54.Options)

  /// Name for reports: `rk4` or `dopri54`.
  public var name: String {
    switch self {
    case .rungeKutta4: return "rk4"
    case .dormandPrince54: return "dopri54"
    }
  }
}

/// How the periodic steady state is searched.
public struct SteadyStateOptions: Sendable, Equatable, Hashable {
  /// Converged when the end-of-beat volumes differ from the start-of-beat volumes by less than
  /// this in every compartment, ml. The distance to the exact periodic state is then about
  /// tolerance / (1 - 0.81), 0.81 being the slowest Floquet multiplier of the healthy adult.
  public var toleranceMl: Double
  /// Beats after which the search stops unconverged.
  public var maximumBeats: Int
  /// Depth of the Anderson mixing of `BeatMapAccelerator` (0, 1 or 2), or nil for plain
  /// beat-to-beat iteration x_{k+1} = F(x_k).
  public var accelerationDepth: Int?
  public var integrator: BeatIntegrator
  /// `PhysiologyBatch` only: start from V + dV (the previous change of the steady state,
  /// `PhysiologyStateColumns`) instead of V when both are known.
  public var extrapolatesWarmStart: Bool

  /// Defaults for the population (engine): tolerance 1e-2 ml, up to 300 beats, Anderson depth
  /// 2, RK4 with default steps, extrapolated warm starts. docs/physiology.md shows the effect
  /// of the tolerance on the metrics (below 0.01 mmHg and 0.01 ml at 1e-2 ml).
  public init(
    toleranceMl: Double = 1e-2, maximumBeats: Int = 300, accelerationDepth: Int? = 2,
    integrator: BeatIntegrator = .rungeKutta4(RungeKutta4.Options()),
    extrapolatesWarmStart: Bool = true
  ) {
    self.toleranceMl = toleranceMl
    self.maximumBeats = maximumBeats
    self.accelerationDepth = accelerationDepth
    self.integrator = integrator
    self.extrapolatesWarmStart = extrapolatesWarmStart
  }

  /// Accurate settings for one person (`twin-sim physiology`): tolerance 1e-6 ml, adaptive
  /// Dormand-Prince at rtol = atol = 1e-10 (the beat map of an adaptive integrator is only
  /// reproducible to about rtol x volume, so much tighter tolerances cannot be met).
  public static let singlePerson = SteadyStateOptions(
    toleranceMl: 1e-6, maximumBeats: 1000, accelerationDepth: 2,
    integrator: .dormandPrince54(
      DormandPrince54.Options(relativeTolerance: 1e-10, absoluteToleranceMl: 1e-10)))
}

/// Result of a periodic-steady-state search.
public struct SteadyStateSolution: Sendable {
  /// Volumes at the end of the last beat: the warm start for the next search.
  public var state: PhysiologyState
  /// Metrics of the last beat (the converged beat when `converged`).
  public var metrics: PhysiologyMetrics
  /// Beats integrated, including the final one that confirmed convergence.
  public var beats: Int
  public var converged: Bool
  /// max_i |V_i(T) - V_i(0)| of the last beat, ml.
  public var residualMl: Double
  public var rightHandSideEvaluations: Int
}

/// Beat-to-beat search for the periodic steady state of one person.
public enum PeriodicSteadyState {
  /// Integrates beat after beat from `warmStart` (default: the periodic state interpolated by
  /// `PhysiologyPreconditionerTable.standard`, which also gives the preconditioner) until the
  /// end-of-beat state differs from the start by less than `options.toleranceMl`. The warm
  /// start is first scaled by one factor to the person's stressed volume `V_stressed` (a
  /// no-op when the stressed volume did not change), so the sum of volumes stays exact across
  /// years.
  public static func solve(
    parameters: PhysiologyParameters, warmStart: PhysiologyState? = nil,
    options: SteadyStateOptions = SteadyStateOptions()
  ) throws(PhysiologyParameterError) -> SteadyStateSolution {
    try parameters.validate()
    let guidance = PhysiologyPreconditionerTable.standard.guidance(for: parameters)
    return search(
      parameters: parameters, warmStart: warmStart ?? guidance.coldStart, options: options,
      preconditioner: guidance.preconditioner)
  }

  /// `solve` for validated parameters with a given preconditioner (`warmStart` nil: Smith's
  /// initial volumes).
  static func search(
    parameters: PhysiologyParameters, warmStart: PhysiologyState?, options: SteadyStateOptions,
    preconditioner: PhysiologyPreconditioner
  ) -> SteadyStateSolution {
    let model = CirculationModel<Double>(parameters)
    let period = parameters.beatPeriodSeconds
    var state = (warmStart ?? PhysiologyState.smith2004Initial).scaled(
      toTotalMl: parameters.V_stressed
    ).vector
    var accelerator = options.accelerationDepth.map { BeatMapAccelerator(depth: $0) }
    var evaluations = 0
    var last: (end: SIMD8<Double>, metrics: PhysiologyMetrics, residual: Double)?

    for beat in 1...max(1, options.maximumBeats) {
      guard
        let result = integrateBeat(
          model: model, start: state, period: period, parameters: parameters,
          integrator: options.integrator)
      else {
        return SteadyStateSolution(
          state: PhysiologyState(vector: state), metrics: .notAvailable, beats: beat,
          converged: false, residualMl: .nan, rightHandSideEvaluations: evaluations)
      }
      evaluations += result.evaluations
      let residual = BeatMapAccelerator.maximumNorm(result.end - state)
      last = (result.end, result.metrics, residual)
      if residual < options.toleranceMl {
        return SteadyStateSolution(
          state: PhysiologyState(vector: result.end), metrics: result.metrics, beats: beat,
          converged: true, residualMl: residual, rightHandSideEvaluations: evaluations)
      }
      if accelerator != nil {
        state = accelerator!.nextState(
          after: state, end: result.end, preconditioner: preconditioner)
      } else {
        state = result.end
      }
    }
    return SteadyStateSolution(
      state: PhysiologyState(vector: last!.end), metrics: last!.metrics,
      beats: max(1, options.maximumBeats), converged: false, residualMl: last!.residual,
      rightHandSideEvaluations: evaluations)
  }

  /// One beat of one person with the chosen integrator: end volumes, metrics, evaluations.
  static func integrateBeat(
    model: CirculationModel<Double>, start: SIMD8<Double>, period: Double,
    parameters: PhysiologyParameters, integrator: BeatIntegrator
  ) -> (end: SIMD8<Double>, metrics: PhysiologyMetrics, evaluations: Int)? {
    let startState = PhysiologyState(vector: start)
    let accumulator: BeatMetricAccumulator<Double>
    let end: PhysiologyState
    let evaluations: Int
    switch integrator {
    case .rungeKutta4(let options):
      let steps = RungeKutta4.stepsPerBeat(
        periodSeconds: period, ejectionStiffnessPerSecond: model.ejectionStiffnessPerSecond,
        options: options)
      let beat = RungeKutta4.integrateBeat(
        model: model, start: LaneVolumes(startState), stepSeconds: period / Double(steps),
        steps: Double(steps), maximumSteps: steps,
        sameStepsInAllLanes: true)
      accumulator = beat.metrics
      end = beat.end.state
      evaluations = RungeKutta4.rightHandSideEvaluations(steps: steps)
    case .dormandPrince54(let options):
      guard
        let beat = DormandPrince54.integrateBeat(
          model: model, start: startState, periodSeconds: period, options: options)
      else { return nil }
      accumulator = beat.metrics
      end = beat.end
      evaluations = beat.rightHandSideEvaluations
    }
    let metrics = PhysiologyMetrics(
      systemicArterialVolumeMaxMl: accumulator.systemicArterialVolumeMax,
      systemicArterialVolumeMinMl: accumulator.systemicArterialVolumeMin,
      systemicArterialVolumeIntegralMlS: accumulator.systemicArterialVolumeIntegral,
      lvVolumeMaxMl: accumulator.lvVolumeMax, lvVolumeMinMl: accumulator.lvVolumeMin,
      lvPressureMaxMmHg: accumulator.lvPressureMax, E_sa: parameters.E_sa,
      heartRateBpm: parameters.HR)
    return (end.vector, metrics, evaluations)
  }
}
