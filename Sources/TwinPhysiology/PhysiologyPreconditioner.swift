/// The linear map M = (I - J)^-1 on volume vectors of zero sum, J the Jacobian of a person's
/// beat map (RK4, default steps) at its periodic steady state; used by `BeatMapAccelerator` to
/// turn a beat's residual F(x) - x into a Newton-like correction.
///
/// J maps the zero-sum subspace S into itself (every beat keeps the total volume) and has
/// eigenvalues about 0.81, 0.61, 0.31, 0, 0 there for the healthy adult, so I - J is
/// invertible on S. With P = I - 1 1^T / 6 the projector onto S,
/// M = P (P (I - J) P + 1 1^T / 6)^-1 P: the added term acts as the identity on the direction
/// of equal volumes and leaves S alone. Computed from the model itself (a steady-state solve
/// and 12 perturbed beats, about a millisecond); the same floating-point operations on every
/// rank give the same bits. `PhysiologyPreconditionerTable` interpolates M between reference
/// persons, so that each person gets one close to its own.
///
/// The six columns are stored inline (no array): the population batch builds one per person.
public struct PhysiologyPreconditioner: Sendable, Equatable {
  /// Columns of M, each a six-volume vector in lanes 0-5 (zeros in lanes 6-7).
  public var column0, column1, column2, column3, column4, column5: SIMD8<Double>

  /// The six columns as an array (tests, reports).
  public var columns: [SIMD8<Double>] { [column0, column1, column2, column3, column4, column5] }

  /// M g for a residual g of zero sum.
  @inlinable
  public func apply(_ residual: SIMD8<Double>) -> SIMD8<Double> {
    var result = column0 * residual[0]
    result += column1 * residual[1]
    result += column2 * residual[2]
    result += column3 * residual[3]
    result += column4 * residual[4]
    result += column5 * residual[5]
    return result
  }

  /// All columns zero (the start of an interpolation sum).
  public static let zero = PhysiologyPreconditioner(
    column0: SIMD8(), column1: SIMD8(), column2: SIMD8(), column3: SIMD8(), column4: SIMD8(),
    column5: SIMD8())

  /// Adds `weight` times `other`, column by column (interpolation between references).
  @inlinable
  public mutating func add(_ other: PhysiologyPreconditioner, weight: Double) {
    column0 += weight * other.column0
    column1 += weight * other.column1
    column2 += weight * other.column2
    column3 += weight * other.column3
    column4 += weight * other.column4
    column5 += weight * other.column5
  }

  @inlinable
  public init(
    column0: SIMD8<Double>, column1: SIMD8<Double>, column2: SIMD8<Double>,
    column3: SIMD8<Double>, column4: SIMD8<Double>, column5: SIMD8<Double>
  ) {
    self.column0 = column0
    self.column1 = column1
    self.column2 = column2
    self.column3 = column3
    self.column4 = column4
    self.column5 = column5
  }

  /// From six columns.
  public init(columns: [SIMD8<Double>]) {
    precondition(columns.count == 6, "a preconditioner has six columns")
    self.init(
      column0: columns[0], column1: columns[1], column2: columns[2], column3: columns[3],
      column4: columns[4], column5: columns[5])
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

  /// The preconditioner built from the beat map of `parameters` at its periodic steady state
  /// (searched to 1e-11 ml with the plain beat map, `.identity`).
  public init(parameters: PhysiologyParameters, integrator: RungeKutta4.Options) {
    let options = SteadyStateOptions(
      toleranceMl: 1e-11, maximumBeats: 2000, accelerationDepth: 2,
      integrator: .rungeKutta4(integrator))
    let steady = PeriodicSteadyState.search(
      parameters: parameters, warmStart: nil, options: options, preconditioner: .identity)
    self.init(parameters: parameters, steadyState: steady.state, integrator: integrator)
  }

  /// The preconditioner built from the beat map of `parameters` around `steadyState` (its
  /// periodic steady state, or close to it: M changes little with the state).
  public init(
    parameters: PhysiologyParameters, steadyState: PhysiologyState,
    integrator: RungeKutta4.Options
  ) {
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
    let base = steadyState.vector
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
    self.init(
      columns: (0..<6).map { column in
        var vector = SIMD8<Double>()
        for row in 0..<6 { vector[row] = m[row][column] }
        return vector
      })
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
