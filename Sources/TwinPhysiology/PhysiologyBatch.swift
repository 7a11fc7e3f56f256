/// Counters of one or more batch solves (for benchmarks and logs).
public struct PhysiologyBatchStatistics: Sendable, Equatable {
  /// Persons whose steady state was searched.
  public var persons = 0
  /// Persons that reached the tolerance within the beat limit.
  public var converged = 0
  /// Beats integrated, summed over persons.
  public var beats = 0
  /// Right-hand-side evaluations, summed over persons (4 per RK4 step + 1 per beat).
  public var rightHandSideEvaluations = 0
  /// RK4 steps the SIMD groups executed, times lanes (useful and idle lanes alike).
  public var laneSteps = 0
  /// RK4 steps that advanced a person (the useful part of `laneSteps`).
  public var personSteps = 0

  public init() {}
}

/// Periodic steady states of many persons at once: the population layer of the physiology
/// (right-hand side: `CirculationModel`; integrator: `RungeKutta4`; iteration:
/// `BeatMapAccelerator`).
///
/// Persons are processed `laneCount` at a time, one per SIMD lane. Each lane works through its
/// person's beats; when a person converges (or reaches the beat limit) the lane takes the next
/// person at the next beat boundary, so lanes never wait for slower neighbours. Every lane
/// runs its own step count and acceleration history, and lane arithmetic is plain IEEE double
/// arithmetic, so a person's result is bit-identical to `PeriodicSteadyState.solve` with the
/// same RK4 options and independent of batch size, order and lane. No allocation per person:
/// the lane tables are allocated once per call.
public enum PhysiologyBatch {
  /// The SIMD type of the batch kernel (one person per lane).
  public typealias Lanes = SIMD8<Double>

  /// Persons integrated together.
  public static var laneCount: Int { Lanes.scalarCount }

  /// Solves every person (or those with `active[person]`) to its periodic steady state,
  /// warm-started from `warmStart[person]` (cold start where not finite), and stores each
  /// person's end-of-beat volumes back into `warmStart` for the next call. `options.integrator`
  /// must be `.rungeKutta4` (the batch kernel is fixed-step). Persons with invalid parameters
  /// (see `PhysiologyParameters.validate()`) keep their state and get NaN metrics.
  public static func solve(
    parameters: PhysiologyParameterColumns, warmStart: inout PhysiologyStateColumns,
    options: SteadyStateOptions = SteadyStateOptions(), active: [Bool]? = nil
  ) -> PhysiologyMetricColumns {
    var metrics = PhysiologyMetricColumns(count: parameters.count)
    var statistics = PhysiologyBatchStatistics()
    solve(
      parameters: parameters, warmStart: &warmStart, options: options, active: active,
      into: &metrics, statistics: &statistics)
    return metrics
  }

  /// `solve` writing into existing metric columns (same count as `parameters`) and adding to
  /// `statistics`.
  public static func solve(
    parameters: PhysiologyParameterColumns, warmStart: inout PhysiologyStateColumns,
    options: SteadyStateOptions, active: [Bool]?, into metrics: inout PhysiologyMetricColumns,
    statistics: inout PhysiologyBatchStatistics
  ) {
    let count = parameters.count
    precondition(
      warmStart.count == count, "warmStart has \(warmStart.count) rows, expected \(count)")
    precondition(metrics.count == count, "metrics has \(metrics.count) rows, expected \(count)")
    precondition(active == nil || active!.count == count, "active has the wrong count")
    guard case .rungeKutta4(let stepOptions) = options.integrator else {
      preconditionFailure("PhysiologyBatch integrates with .rungeKutta4 only")
    }
    let table = PhysiologyPreconditionerTable.standard
    let lanes = laneCount
    let idleModel = CirculationModel<Double>(.healthyAdult)

    // Persons in order of their step count, so that the lanes of a group run similar step
    // counts (results do not depend on the order: every lane is independent).
    var stepsOf = [Int32](repeating: 0, count: count)
    var order: [Int] = []
    order.reserveCapacity(count)
    for person in 0..<count {
      if let active, !active[person] { continue }
      let personParameters = parameters[person]
      guard personParameters.isValid else {
        statistics.persons += 1
        continue
      }
      stepsOf[person] = Int32(
        RungeKutta4.stepsPerBeat(
          periodSeconds: personParameters.beatPeriodSeconds,
          ejectionStiffnessPerSecond: CirculationModel<Double>(personParameters)
            .ejectionStiffnessPerSecond, options: stepOptions))
      order.append(person)
    }
    order.sort { (stepsOf[$0], $0) < (stepsOf[$1], $1) }

    var model = CirculationModel<Lanes>(broadcasting: idleModel)
    var stepSeconds = Lanes(repeating: 1)
    var steps = Lanes(repeating: 0)
    var laneSteps = [Int](repeating: 0, count: lanes)
    var lanePerson = [Int](repeating: -1, count: lanes)
    var laneStart = [SIMD8<Double>](repeating: SIMD8(), count: lanes)
    var laneOrigin = [PhysiologyState](repeating: .notAvailable, count: lanes)
    var laneBeats = [Int](repeating: 0, count: lanes)
    var laneAccelerator = [BeatMapAccelerator?](
      repeating: options.accelerationDepth.map { BeatMapAccelerator(depth: $0) }, count: lanes)
    var laneParameters = [PhysiologyParameters](repeating: .healthyAdult, count: lanes)
    var lanePreconditioner = [PhysiologyPreconditioner](repeating: .healthyAdult, count: lanes)
    var nextIndex = 0

    while true {
      // Fill idle lanes at the beat boundary.
      for lane in 0..<lanes where lanePerson[lane] < 0 && nextIndex < order.count {
        let person = order[nextIndex]
        nextIndex += 1
        let personParameters = parameters[person]
        let personModel = CirculationModel<Double>(personParameters)
        let personSteps = Int(stepsOf[person])
        model.setLane(lane, to: personModel)
        stepSeconds[lane] = personParameters.beatPeriodSeconds / Double(personSteps)
        steps[lane] = Double(personSteps)
        laneSteps[lane] = personSteps
        let guidance = table.guidance(for: personParameters)
        lanePreconditioner[lane] = guidance.preconditioner
        let stored = warmStart[person]
        var start = stored.isFinite ? stored : guidance.coldStart
        if stored.isFinite && options.extrapolatesWarmStart {
          let predicted = stored.adding(warmStart[changeOf: person])
          if predicted.isPhysical { start = predicted }
        }
        laneStart[lane] = start.scaled(toTotalMl: personParameters.V_stressed).vector
        laneOrigin[lane] = stored
        laneBeats[lane] = 0
        laneAccelerator[lane]?.reset()
        laneParameters[lane] = personParameters
        lanePerson[lane] = person
        statistics.persons += 1
      }
      let maximumSteps = laneSteps.max() ?? 0
      guard maximumSteps > 0 else { break }

      var start = LaneVolumes<Lanes>(
        lv: Lanes(repeating: 0), rv: Lanes(repeating: 0), pa: Lanes(repeating: 0),
        pu: Lanes(repeating: 0), sa: Lanes(repeating: 0), sv: Lanes(repeating: 0))
      for lane in 0..<lanes {
        let vector = laneStart[lane]
        start.lv[lane] = vector[0]
        start.rv[lane] = vector[1]
        start.pa[lane] = vector[2]
        start.pu[lane] = vector[3]
        start.sa[lane] = vector[4]
        start.sv[lane] = vector[5]
      }
      let beat = RungeKutta4.integrateBeat(
        model: model, start: start, stepSeconds: stepSeconds, steps: steps,
        maximumSteps: maximumSteps,
        sameStepsInAllLanes: laneSteps.allSatisfy { $0 == maximumSteps })
      statistics.laneSteps += maximumSteps * lanes

      for lane in 0..<lanes where lanePerson[lane] >= 0 {
        let person = lanePerson[lane]
        let end = SIMD8<Double>(
          beat.end.lv[lane], beat.end.rv[lane], beat.end.pa[lane], beat.end.pu[lane],
          beat.end.sa[lane], beat.end.sv[lane], 0, 0)
        laneBeats[lane] += 1
        statistics.beats += 1
        statistics.personSteps += laneSteps[lane]
        statistics.rightHandSideEvaluations += RungeKutta4.rightHandSideEvaluations(
          steps: laneSteps[lane])
        let residual = BeatMapAccelerator.maximumNorm(end - laneStart[lane])
        let converged = residual < options.toleranceMl
        if converged || laneBeats[lane] >= options.maximumBeats {
          let personParameters = laneParameters[lane]
          metrics[person] = PhysiologyMetrics(
            systemicArterialVolumeMaxMl: beat.metrics.systemicArterialVolumeMax[lane],
            systemicArterialVolumeMinMl: beat.metrics.systemicArterialVolumeMin[lane],
            systemicArterialVolumeIntegralMlS: beat.metrics.systemicArterialVolumeIntegral[lane],
            lvVolumeMaxMl: beat.metrics.lvVolumeMax[lane],
            lvVolumeMinMl: beat.metrics.lvVolumeMin[lane],
            lvPressureMaxMmHg: beat.metrics.lvPressureMax[lane], E_sa: personParameters.E_sa,
            heartRateBpm: personParameters.HR)
          metrics.beatsToSteadyState[person] = Int32(laneBeats[lane])
          metrics.converged[person] = converged
          if converged { statistics.converged += 1 }
          let endState = PhysiologyState(vector: end)
          warmStart[changeOf: person] = endState.adding(laneOrigin[lane], scaledBy: -1)
          warmStart[person] = endState
          lanePerson[lane] = -1
          laneSteps[lane] = 0
          steps[lane] = 0
          model.setLane(lane, to: idleModel)
        } else if laneAccelerator[lane] != nil {
          laneStart[lane] = laneAccelerator[lane]!.nextState(
            after: laneStart[lane], end: end, preconditioner: lanePreconditioner[lane])
        } else {
          laneStart[lane] = end
        }
      }
    }
  }
}

extension CirculationModel where Lane: SIMD, Lane.Scalar == Double {
  /// Every lane holding the parameters of `model`.
  init(broadcasting model: CirculationModel<Double>) {
    self.init(
      A: Lane(repeating: model.A), B: Lane(repeating: model.B), C: Lane(repeating: model.C),
      E_lv: Lane(repeating: model.E_lv), P0_lv: Lane(repeating: model.P0_lv),
      lam_lv: Lane(repeating: model.lam_lv), E_rv: Lane(repeating: model.E_rv),
      P0_rv: Lane(repeating: model.P0_rv), lam_rv: Lane(repeating: model.lam_rv),
      E_pa: Lane(repeating: model.E_pa), E_pu: Lane(repeating: model.E_pu),
      E_sa: Lane(repeating: model.E_sa), E_sv: Lane(repeating: model.E_sv),
      R_pul: Lane(repeating: 1), R_sys: Lane(repeating: 1), R_mt: Lane(repeating: 1),
      R_av: Lane(repeating: 1), R_tc: Lane(repeating: 1), R_pv: Lane(repeating: 1))
    G_pul = Lane(repeating: model.G_pul)
    G_sys = Lane(repeating: model.G_sys)
    G_mt = Lane(repeating: model.G_mt)
    G_av = Lane(repeating: model.G_av)
    G_tc = Lane(repeating: model.G_tc)
    G_pv = Lane(repeating: model.G_pv)
  }

  /// Puts the parameters of one person (`model`, whose conductances were computed in scalar
  /// arithmetic, bit-identical to lane arithmetic) into lane `lane`.
  mutating func setLane(_ lane: Int, to model: CirculationModel<Double>) {
    A[lane] = model.A
    B[lane] = model.B
    C[lane] = model.C
    E_lv[lane] = model.E_lv
    P0_lv[lane] = model.P0_lv
    lam_lv[lane] = model.lam_lv
    E_rv[lane] = model.E_rv
    P0_rv[lane] = model.P0_rv
    lam_rv[lane] = model.lam_rv
    E_pa[lane] = model.E_pa
    E_pu[lane] = model.E_pu
    E_sa[lane] = model.E_sa
    E_sv[lane] = model.E_sv
    G_pul[lane] = model.G_pul
    G_sys[lane] = model.G_sys
    G_mt[lane] = model.G_mt
    G_av[lane] = model.G_av
    G_tc[lane] = model.G_tc
    G_pv[lane] = model.G_pv
  }
}

extension PhysiologyState {
  /// `self + scale * other`, volume by volume.
  public func adding(_ other: PhysiologyState, scaledBy scale: Double = 1) -> PhysiologyState {
    PhysiologyState(
      V_lv: V_lv + scale * other.V_lv, V_rv: V_rv + scale * other.V_rv,
      V_pa: V_pa + scale * other.V_pa, V_pu: V_pu + scale * other.V_pu,
      V_sa: V_sa + scale * other.V_sa, V_sv: V_sv + scale * other.V_sv)
  }

  /// True when all six volumes are finite.
  public var isFinite: Bool {
    V_lv.isFinite && V_rv.isFinite && V_pa.isFinite && V_pu.isFinite && V_sa.isFinite
      && V_sv.isFinite
  }
}

extension PhysiologyParameters {
  /// `validate()` without building an error: every value finite and positive, 0 < C < 60/HR.
  /// Written without a temporary array: the batch checks every person it loads.
  @inlinable
  public var isValid: Bool {
    func ok(_ value: Double) -> Bool { value.isFinite && value > 0 }
    let heart = ok(HR) && ok(A) && ok(B) && ok(C) && ok(V_stressed)
    let ventricles = ok(E_lv) && ok(P0_lv) && ok(lam_lv) && ok(E_rv) && ok(P0_rv) && ok(lam_rv)
    let vessels = ok(E_pa) && ok(E_pu) && ok(E_sa) && ok(E_sv) && ok(R_pul) && ok(R_sys)
    let valves = ok(R_mt) && ok(R_av) && ok(R_tc) && ok(R_pv)
    return heart && ventricles && vessels && valves && C < beatPeriodSeconds
  }
}
