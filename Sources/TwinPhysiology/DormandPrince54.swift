/// Adaptive embedded Runge-Kutta pair of Dormand and Prince (J Comput Appl Math 1980;6:19-26),
/// order 5 with an order-4 error estimate, first-same-as-last, over one beat of one person.
///
/// Step-size control as in Hairer, Norsett and Wanner, Solving Ordinary Differential Equations
/// I, 2nd ed., section II.4: error norm
/// sqrt(mean_i (err_i / (atol + rtol max(|y_i|, |y_new_i|)))^2), a step is accepted when the norm
/// is at most 1, and the next step is h min(5, max(0.2, 0.9 norm^(-1/4))) (the exponent 1/4
/// instead of the textbook 1/5 needs no library `pow`, only square roots). The last step of a
/// beat is shortened to end exactly at T. The diode valves make the right-hand side
/// non-smooth where a valve opens or closes; the controller handles that by rejecting and
/// shrinking steps there. Beat metrics use the same Hermite refinement as the fixed-step
/// integrator, with the exact derivative at both ends of every accepted step.
public enum DormandPrince54 {
  /// Tolerances of the error control (volumes in ml).
  public struct Options: Sendable, Equatable, Hashable {
    public var relativeTolerance: Double
    public var absoluteToleranceMl: Double
    /// First trial step of each beat, s.
    public var initialStepSeconds: Double
    /// The integration of a beat fails (returns nil) after this many steps, accepted or not.
    public var maximumStepsPerBeat: Int

    public init(
      relativeTolerance: Double = 1e-9, absoluteToleranceMl: Double = 1e-9,
      initialStepSeconds: Double = 1e-4, maximumStepsPerBeat: Int = 200_000
    ) {
      self.relativeTolerance = relativeTolerance
      self.absoluteToleranceMl = absoluteToleranceMl
      self.initialStepSeconds = initialStepSeconds
      self.maximumStepsPerBeat = maximumStepsPerBeat
    }
  }

  /// Result of one beat.
  public struct Beat: Sendable {
    public var end: PhysiologyState
    public var metrics: BeatMetricAccumulator<Double>
    public var acceptedSteps: Int
    public var rejectedSteps: Int
    public var rightHandSideEvaluations: Int
  }

  /// Integrates one beat from tau = 0 to T = 60 / HR starting at `start`; nil if the step
  /// count exceeds `options.maximumStepsPerBeat` or the step underflows.
  public static func integrateBeat(
    model: CirculationModel<Double>, start: PhysiologyState, periodSeconds: Double,
    options: Options
  ) -> Beat? {
    typealias V = LaneVolumes<Double>
    var y = V(start)
    var tau = 0.0
    let first = model.sample(y, atBeatTime: 0, activation: model.activation(atBeatTime: 0))
    var k1 = first.derivatives
    var sample = BeatSample(
      volumes: y, derivatives: k1, lvPressure: first.lvPressure,
      lvPressureRate: first.lvPressureRate)
    var metrics = BeatMetricAccumulator(start: sample)
    var h = min(options.initialStepSeconds, periodSeconds)
    var accepted = 0
    var rejected = 0
    var evaluations = 1

    while tau < periodSeconds {
      guard accepted + rejected < options.maximumStepsPerBeat, h > 1e-14 * periodSeconds else {
        return nil
      }
      let lastStep = tau + h >= periodSeconds
      if lastStep { h = periodSeconds - tau }
      func f(_ c: Double, _ state: V) -> V {
        model.derivatives(state, activation: model.activation(atBeatTime: tau + c * h))
      }
      let k2 = f(1.0 / 5.0, y.adding(k1, scaledBy: h / 5))
      let k3 = f(
        3.0 / 10.0, y.adding(k1, scaledBy: h * 3 / 40).adding(k2, scaledBy: h * 9 / 40))
      let k4 = f(
        4.0 / 5.0,
        y.adding(k1, scaledBy: h * 44 / 45).adding(k2, scaledBy: -h * 56 / 15)
          .adding(k3, scaledBy: h * 32 / 9))
      let k5 = f(
        8.0 / 9.0,
        y.adding(k1, scaledBy: h * 19372 / 6561).adding(k2, scaledBy: -h * 25360 / 2187)
          .adding(k3, scaledBy: h * 64448 / 6561).adding(k4, scaledBy: -h * 212 / 729))
      let k6 = f(
        1.0,
        y.adding(k1, scaledBy: h * 9017 / 3168).adding(k2, scaledBy: -h * 355 / 33)
          .adding(k3, scaledBy: h * 46732 / 5247).adding(k4, scaledBy: h * 49 / 176)
          .adding(k5, scaledBy: -h * 5103 / 18656))
      let yNew = y.adding(k1, scaledBy: h * 35 / 384).adding(k3, scaledBy: h * 500 / 1113)
        .adding(k4, scaledBy: h * 125 / 192).adding(k5, scaledBy: -h * 2187 / 6784)
        .adding(k6, scaledBy: h * 11 / 84)
      let endTime = lastStep ? periodSeconds : tau + h
      let next = model.sample(
        yNew, atBeatTime: endTime, activation: model.activation(atBeatTime: endTime))
      let k7 = next.derivatives
      evaluations += 6

      // y5 - y4 = h sum (b_i - b*_i) k_i (Hairer et al., Table II.5.2).
      let error = V(lv: 0, rv: 0, pa: 0, pu: 0, sa: 0, sv: 0)
        .adding(k1, scaledBy: h * 71 / 57600).adding(k3, scaledBy: -h * 71 / 16695)
        .adding(k4, scaledBy: h * 71 / 1920).adding(k5, scaledBy: -h * 17253 / 339200)
        .adding(k6, scaledBy: h * 22 / 525).adding(k7, scaledBy: -h / 40)
      let norm = errorNorm(error, y, yNew, options: options)

      if norm <= 1 {
        let nextSample = BeatSample(
          volumes: yNew, derivatives: k7, lvPressure: next.lvPressure,
          lvPressureRate: next.lvPressureRate)
        metrics.add(from: sample, to: nextSample, step: h, active: true)
        sample = nextSample
        y = yNew
        k1 = k7
        tau = endTime
        accepted += 1
      } else {
        rejected += 1
      }
      let factor = norm == 0 ? 5 : min(5, max(0.2, 0.9 / norm.squareRoot().squareRoot()))
      h *= factor
    }
    return Beat(
      end: y.state, metrics: metrics, acceptedSteps: accepted, rejectedSteps: rejected,
      rightHandSideEvaluations: evaluations)
  }

  static func errorNorm(
    _ error: LaneVolumes<Double>, _ y: LaneVolumes<Double>, _ yNew: LaneVolumes<Double>,
    options: Options
  ) -> Double {
    func term(_ e: Double, _ a: Double, _ b: Double) -> Double {
      let scale = options.absoluteToleranceMl + options.relativeTolerance * max(abs(a), abs(b))
      return (e / scale) * (e / scale)
    }
    let sum =
      term(error.lv, y.lv, yNew.lv) + term(error.rv, y.rv, yNew.rv)
      + term(error.pa, y.pa, yNew.pa) + term(error.pu, y.pu, yNew.pu)
      + term(error.sa, y.sa, yNew.sa) + term(error.sv, y.sv, yNew.sv)
    return (sum / 6).squareRoot()
  }
}
