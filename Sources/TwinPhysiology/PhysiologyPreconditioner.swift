/// The linear map M = (I - J)^-1 on volume vectors of zero sum, J the Jacobian of the healthy
/// adult's beat map (RK4, default steps) at its periodic steady state; used by
/// `BeatMapAccelerator` to turn a beat's residual F(x) - x into a Newton-like correction.
///
/// J maps the zero-sum subspace S into itself (every beat keeps the total volume) and has
/// eigenvalues about 0.81, 0.61, 0.31, 0, 0 there, so I - J is invertible on S. With
/// P = I - 1 1^T / 6 the projector onto S, M = P (P (I - J) P + 1 1^T / 6)^-1 P: the added
/// term acts as the identity on the direction of equal volumes and leaves S alone. Computed
/// once per process from the model itself (a cold solve and 12 perturbed beats, a few
/// milliseconds); the same floating-point operations on every rank give the same bits.
public struct PhysiologyPreconditioner: Sendable {
  /// Columns of M, each a six-volume vector in lanes 0-5.
  public let columns: [SIMD8<Double>]

  /// M g for a residual g of zero sum.
  @inlinable
  public func apply(_ residual: SIMD8<Double>) -> SIMD8<Double> {
    var result = SIMD8<Double>()
    for column in 0..<6 { result += columns[column] * residual[column] }
    return result
  }

  /// The identity on the six volumes: with it the accelerator mixes the plain beat map.
  public static let identity = PhysiologyPreconditioner(
    columns: (0..<6).map { column in
      var vector = SIMD8<Double>()
      vector[column] = 1
      return vector
    })

  /// The preconditioner of the healthy adult (`PhysiologyParameters.healthyAdult`).
  public static let healthyAdult = PhysiologyPreconditioner(
    parameters: .healthyAdult, integrator: RungeKutta4.Options())

  /// The preconditioner built from the beat map of `parameters` at its periodic steady state.
  public init(parameters: PhysiologyParameters, integrator: RungeKutta4.Options) {
    let options = SteadyStateOptions(
      toleranceMl: 1e-11, maximumBeats: 2000, accelerationDepth: 2,
      integrator: .rungeKutta4(integrator))
    let steady = PeriodicSteadyState.search(
      parameters: parameters, warmStart: nil, options: options, preconditioner: .identity)
    let model = CirculationModel<Double>(parameters)
    let period = parameters.beatPeriodSeconds
    let steps = RungeKutta4.stepsPerBeat(
      periodSeconds: period, ejectionStiffnessPerSecond: model.ejectionStiffnessPerSecond,
      options: integrator)
    func beatMap(_ start: SIMD8<Double>) -> SIMD8<Double> {
      RungeKutta4.integrateBeat(
        model: model, start: LaneVolumes(PhysiologyState(vector: start)),
        stepSeconds: period / Double(steps), steps: Double(steps), maximumSteps: steps,
        sameStepsInAllLanes: true
      ).end.state.vector
    }
    // Central differences with a 1e-3 ml perturbation: truncation error O(1e-6) relative,
    // far below what a preconditioner needs.
    let perturbation = 1e-3
    let base = steady.state.vector
    var jacobian = [[Double]](repeating: [Double](repeating: 0, count: 6), count: 6)
    for column in 0..<6 {
      var up = base
      var down = base
      up[column] += perturbation
      down[column] -= perturbation
      let difference = (beatMap(up) - beatMap(down)) / (2 * perturbation)
      for row in 0..<6 { jacobian[row][column] = difference[row] }
    }
    // B = P (I - J) P + 1 1^T / 6.
    var projector = [[Double]](repeating: [Double](repeating: -1.0 / 6.0, count: 6), count: 6)
    for index in 0..<6 { projector[index][index] += 1 }
    var identityMinusJ = jacobian.map { $0.map { -$0 } }
    for index in 0..<6 { identityMinusJ[index][index] += 1 }
    var b = Self.multiply(Self.multiply(projector, identityMinusJ), projector)
    for row in 0..<6 {
      for column in 0..<6 { b[row][column] += 1.0 / 6.0 }
    }
    let m = Self.multiply(Self.multiply(projector, Self.inverse(b)), projector)
    columns = (0..<6).map { column in
      var vector = SIMD8<Double>()
      for row in 0..<6 { vector[row] = m[row][column] }
      return vector
    }
  }

  init(columns: [SIMD8<Double>]) {
    self.columns = columns
  }

  static func multiply(_ a: [[Double]], _ b: [[Double]]) -> [[Double]] {
    (0..<6).map { row in
      (0..<6).map { column in
        var sum = 0.0
        for k in 0..<6 { sum += a[row][k] * b[k][column] }
        return sum
      }
    }
  }

  /// Gauss-Jordan elimination with partial pivoting (B is well conditioned: its eigenvalues
  /// are 1 - multipliers of the beat map and 1).
  static func inverse(_ matrix: [[Double]]) -> [[Double]] {
    var a = matrix
    var result = (0..<6).map { row in (0..<6).map { $0 == row ? 1.0 : 0.0 } }
    for column in 0..<6 {
      var pivot = column
      for row in column..<6 where abs(a[row][column]) > abs(a[pivot][column]) { pivot = row }
      a.swapAt(column, pivot)
      result.swapAt(column, pivot)
      let scale = 1 / a[column][column]
      for k in 0..<6 {
        a[column][k] *= scale
        result[column][k] *= scale
      }
      for row in 0..<6 where row != column {
        let factor = a[row][column]
        guard factor != 0 else { continue }
        for k in 0..<6 {
          a[row][k] -= factor * a[column][k]
          result[row][k] -= factor * result[column][k]
        }
      }
    }
    return result
  }
}
