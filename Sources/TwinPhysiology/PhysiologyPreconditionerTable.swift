import Synchronization

/// Preconditioners and cold starts of the periodic-steady-state search, interpolated between
/// reference persons, so that every person's search starts close to its own periodic state and
/// takes near-Newton steps.
///
/// The beat-map Jacobian J, and with it M = (I - J)^-1, changes with the parameters the
/// population mapping varies: arterial elastance E_sa (slowest Floquet multiplier about 0.81
/// for the healthy adult, closer to 1 for stiff arteries), LV elastance E_lv and systemic
/// resistance R_sys. With the healthy adult's M for everyone, a stiff-arteried 70-year-old's
/// first correction removes only about half of the distance to its periodic state, and a cold
/// start from Smith's volumes needs 8-9 beats. The table holds, for reference persons on a
/// grid of E_sa, E_lv and R_sys (multiples of `base`, every other parameter `base`'s), the
/// preconditioner of that person (`PhysiologyPreconditioner(parameters:steadyState:...)`) and
/// its periodic state as fractions of the stressed volume. A person gets the trilinear
/// interpolation of both between the eight references around it (coordinates clamped to the
/// grid): with it a cold start needs about 2 beats and a year's warm start about 1.8 instead
/// of 2.6 (docs/physiology.md).
///
/// References are computed when first needed (a steady-state search and 12 beats each, under
/// a millisecond) and kept for the process. Each is a function of its grid node only, so every
/// rank, thread and order of use gets the same bits: results stay independent of how persons
/// are split across ranks and blocks. The interpolation only steers the search; where it
/// converges is decided by the tolerance as before.
public final class PhysiologyPreconditionerTable: Sendable {
  /// The table every solve uses (`PeriodicSteadyState.solve`, `PhysiologyBatch`).
  public static let standard = PhysiologyPreconditionerTable()

  /// Grid of E_sa as multiples of the base (PWV^2 scaling gives up to about 5.5 at 90 years).
  public static let arterialElastanceFactors: [Double] = [
    0.6, 0.8, 1, 1.25, 1.5, 2, 2.5, 3, 3.5, 4, 5, 6.5,
  ]
  /// Grid of E_lv as multiples of the base (the mapping's ageing gives 1 to 1.6).
  public static let lvElastanceFactors: [Double] = [0.8, 1, 1.25, 1.5, 2]
  /// Grid of R_sys as multiples of the base (the calibration's factors lie within 0.35-2.5).
  public static let resistanceFactors: [Double] = [0.35, 0.5, 0.7, 1, 1.4, 2, 3]

  /// What the search of one person starts from.
  public struct Guidance: Sendable, Equatable {
    public var preconditioner: PhysiologyPreconditioner
    /// Interpolated periodic state, scaled to the person's stressed volume.
    public var coldStart: PhysiologyState
  }

  struct Reference: Sendable {
    var preconditioner: PhysiologyPreconditioner
    /// Periodic-state volumes divided by their sum (lanes 0-5).
    var fractions: SIMD8<Double>
  }

  /// The reference person every grid node scales.
  public let base: PhysiologyParameters
  let integrator: RungeKutta4.Options
  let references: Mutex<[Reference?]>

  public init(
    base: PhysiologyParameters = .healthyAdult, integrator: RungeKutta4.Options = .init()
  ) {
    self.base = base
    self.integrator = integrator
    let count =
      Self.arterialElastanceFactors.count * Self.lvElastanceFactors.count
      * Self.resistanceFactors.count
    references = Mutex([Reference?](repeating: nil, count: count))
  }

  /// Number of reference persons computed so far (for tests and logs).
  public var referencesComputed: Int {
    references.withLock { table in table.reduce(0) { $0 + ($1 == nil ? 0 : 1) } }
  }

  /// The interpolated preconditioner and cold start for a person with valid `parameters`.
  public func guidance(for parameters: PhysiologyParameters) -> Guidance {
    let e = Self.locate(parameters.E_sa / base.E_sa, in: Self.arterialElastanceFactors)
    let l = Self.locate(parameters.E_lv / base.E_lv, in: Self.lvElastanceFactors)
    let r = Self.locate(parameters.R_sys / base.R_sys, in: Self.resistanceFactors)
    let lvCount = Self.lvElastanceFactors.count
    let resistanceCount = Self.resistanceFactors.count
    var preconditioner = PhysiologyPreconditioner.zero
    var fractions = SIMD8<Double>()
    references.withLock { table in
      for corner in 0..<8 {
        let i = e.index + (corner & 1)
        let j = l.index + ((corner >> 1) & 1)
        let k = r.index + ((corner >> 2) & 1)
        let weight =
          (corner & 1 == 0 ? 1 - e.weight : e.weight)
          * ((corner >> 1) & 1 == 0 ? 1 - l.weight : l.weight)
          * ((corner >> 2) & 1 == 0 ? 1 - r.weight : r.weight)
        let node = (i * lvCount + j) * resistanceCount + k
        if table[node] == nil { table[node] = reference(i, j, k) }
        let reference = table[node]!
        preconditioner.add(reference.preconditioner, weight: weight)
        fractions += weight * reference.fractions
      }
    }
    let coldStart = PhysiologyState(vector: fractions).scaled(toTotalMl: parameters.V_stressed)
    return Guidance(preconditioner: preconditioner, coldStart: coldStart)
  }

  /// Lower grid index and weight of the upper neighbour for `value`, clamped to the grid
  /// (a NaN value gives the first cell).
  static func locate(_ value: Double, in grid: [Double]) -> (index: Int, weight: Double) {
    let clamped = value > grid[0] ? min(value, grid[grid.count - 1]) : grid[0]
    var index = 0
    while index < grid.count - 2 && grid[index + 1] < clamped { index += 1 }
    return (index, (clamped - grid[index]) / (grid[index + 1] - grid[index]))
  }

  /// The reference person at grid node (i, j, k): its periodic state (searched to 1e-9 ml,
  /// preconditioned with the healthy adult's M) and its own preconditioner there.
  func reference(_ i: Int, _ j: Int, _ k: Int) -> Reference {
    var parameters = base
    parameters.E_sa *= Self.arterialElastanceFactors[i]
    parameters.E_lv *= Self.lvElastanceFactors[j]
    parameters.R_sys *= Self.resistanceFactors[k]
    let options = SteadyStateOptions(
      toleranceMl: 1e-9, maximumBeats: 2000, accelerationDepth: 2,
      integrator: .rungeKutta4(integrator))
    let steady = PeriodicSteadyState.search(
      parameters: parameters, warmStart: nil, options: options, preconditioner: .healthyAdult)
    let preconditioner = PhysiologyPreconditioner(
      parameters: parameters, steadyState: steady.state, integrator: integrator)
    let vector = steady.state.vector
    let fractions = vector / vector.sum()
    let finite = (0..<6).allSatisfy { fractions[$0].isFinite && fractions[$0] >= 0 }
    let columnsFinite = preconditioner.columns.allSatisfy { column in
      (0..<6).allSatisfy { column[$0].isFinite }
    }
    guard finite && columnsFinite else {
      // A corner of the grid the model cannot reach: guide like the healthy adult there.
      let smith = PhysiologyState.smith2004Initial.vector
      return Reference(preconditioner: .healthyAdult, fractions: smith / smith.sum())
    }
    return Reference(preconditioner: preconditioner, fractions: fractions)
  }
}
