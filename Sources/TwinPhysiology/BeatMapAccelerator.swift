/// Acceleration of the beat-to-beat iteration x_{k+1} = F(x_k), where F maps the volumes at
/// the start of a beat to those at its end.
///
/// Plain iteration converges like the largest non-trivial Floquet multiplier of the beat map:
/// about 0.81 for the healthy adult (then 0.61, 0.31; the remaining multipliers are 1 for the
/// conserved total and about 0), so from the Smith initial volumes it needs 60-90 beats and
/// after a year's change of parameters still about 30 (docs/physiology.md).
///
/// The accelerator applies Anderson mixing (Walker and Ni, SIAM J Numer Anal 2011;49:1715) of
/// depth <= 2 to the preconditioned map G(x) = x + M (F(x) - x), where M = (I - J)^-1 on the
/// subspace of zero total volume, J a beat-map Jacobian at a periodic state
/// (`PhysiologyPreconditioner`; the solvers pass the one `PhysiologyPreconditionerTable`
/// interpolates for the person). With the person's own J this is Newton's method; otherwise
/// Anderson mixing corrects the difference from the residuals it has seen. Every update is an affine combination of volumes plus vectors of
/// zero sum, so the total volume is kept.
///
/// Safeguards: a proposed state with a negative or non-finite volume, or a residual that grew
/// since the previous beat, resets the history and takes the plain step x_{k+1} = F(x_k), which
/// converges on its own.
///
/// Vectors are `SIMD8<Double>` with the six volumes in lanes 0-5 (lv, rv, pa, pu, sa, sv) and
/// zeros in lanes 6-7. The accelerator holds three iterates inline: no allocation.
public struct BeatMapAccelerator: Sendable {
  /// How many previous residual differences the mixing uses (0, 1 or 2).
  public let depth: Int
  @usableFromInline var count = 0
  @usableFromInline var states = (SIMD8<Double>(), SIMD8<Double>(), SIMD8<Double>())
  @usableFromInline var residuals = (SIMD8<Double>(), SIMD8<Double>(), SIMD8<Double>())
  @usableFromInline var previousResidualNorm = Double.infinity

  public init(depth: Int) {
    precondition((0...2).contains(depth), "Anderson depth must be 0, 1 or 2")
    self.depth = depth
  }

  /// Forgets the history (use before solving for another person).
  public mutating func reset() {
    count = 0
    previousResidualNorm = .infinity
  }

  /// The next start of beat, given this beat's start `state`, its end `end` (= F(state)), and
  /// the preconditioner.
  public mutating func nextState(
    after state: SIMD8<Double>, end: SIMD8<Double>, preconditioner: PhysiologyPreconditioner
  ) -> SIMD8<Double> {
    let residual = end - state
    let residualNorm = Self.maximumNorm(residual)
    defer { previousResidualNorm = residualNorm }
    if residualNorm > previousResidualNorm {
      reset()
      return end
    }
    let corrected = preconditioner.apply(residual)
    push(state: state, residual: corrected)

    var next = state + corrected
    if depth > 0 && count >= 2 {
      // Columns dP_j = p_{j+1} - p_j and dX_j = x_{j+1} - x_j of the stored iterates, newest
      // last; gamma minimises |p_k - sum_j gamma_j dP_j|_2 (normal equations, at most 2 x 2,
      // with a relative Tikhonov term 1e-12 against rank loss near convergence).
      let columns = min(depth, count - 1)
      let p2 = residuals.2
      let dP1 = residuals.2 - residuals.1
      let dX1 = states.2 - states.1
      if columns == 1 {
        let a11 = Self.dot(dP1, dP1)
        if a11 > 0 {
          let gamma = Self.dot(dP1, p2) / (a11 * (1 + 1e-12))
          next = next - gamma * (dX1 + dP1)
        }
      } else {
        let dP0 = residuals.1 - residuals.0
        let dX0 = states.1 - states.0
        let regularisation = 1 + 1e-12
        let a00 = Self.dot(dP0, dP0) * regularisation
        let a11 = Self.dot(dP1, dP1) * regularisation
        let a01 = Self.dot(dP0, dP1)
        let b0 = Self.dot(dP0, p2)
        let b1 = Self.dot(dP1, p2)
        let determinant = a00 * a11 - a01 * a01
        if determinant > 0 && determinant.isFinite {
          let gamma0 = (b0 * a11 - b1 * a01) / determinant
          let gamma1 = (b1 * a00 - b0 * a01) / determinant
          next = next - gamma0 * (dX0 + dP0) - gamma1 * (dX1 + dP1)
        }
      }
    }
    guard Self.isPhysical(next) else {
      reset()
      return end
    }
    return next
  }

  @usableFromInline
  mutating func push(state: SIMD8<Double>, residual: SIMD8<Double>) {
    switch count {
    case 0:
      states.2 = state
      residuals.2 = residual
    case 1:
      states.1 = states.2
      residuals.1 = residuals.2
      states.2 = state
      residuals.2 = residual
    default:
      states.0 = states.1
      residuals.0 = residuals.1
      states.1 = states.2
      residuals.1 = residuals.2
      states.2 = state
      residuals.2 = residual
    }
    count = min(count + 1, 3)
  }

  /// max_i |v_i| over the six volumes, ml.
  @inlinable
  public static func maximumNorm(_ vector: SIMD8<Double>) -> Double {
    var largest = 0.0
    for lane in 0..<6 { largest = Swift.max(largest, abs(vector[lane])) }
    return largest
  }

  @inlinable
  static func dot(_ a: SIMD8<Double>, _ b: SIMD8<Double>) -> Double {
    (a * b).sum()
  }

  @inlinable
  static func isPhysical(_ vector: SIMD8<Double>) -> Bool {
    for lane in 0..<6 where !(vector[lane].isFinite && vector[lane] >= 0) { return false }
    return true
  }
}

extension PhysiologyState {
  /// The volumes in lanes 0-5 of a SIMD8 (lv, rv, pa, pu, sa, sv), zeros in lanes 6-7.
  @inlinable
  public var vector: SIMD8<Double> {
    SIMD8(V_lv, V_rv, V_pa, V_pu, V_sa, V_sv, 0, 0)
  }

  @inlinable
  public init(vector: SIMD8<Double>) {
    self.init(
      V_lv: vector[0], V_rv: vector[1], V_pa: vector[2], V_pu: vector[3], V_sa: vector[4],
      V_sv: vector[5])
  }
}
