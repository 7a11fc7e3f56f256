#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Gompertz hazard h(x) = a e^(b x) per year at age x years: the background mortality and
/// condition-incidence model of twin-sim's benchmark scenarios (YAML `gompertz: {a, b}`),
/// Gompertz, Phil. Trans. R. Soc. 115 (1825) 513.
public struct GompertzHazard: Sendable, Hashable {
  /// Hazard at age 0, per year (> 0 for a non-trivial model).
  public let a: Double

  /// Log-linear slope, per year of age (about 0.08-0.11 for adult human mortality; may be
  /// 0 or negative for incidence models).
  public let b: Double

  /// - Parameters:
  ///   - a: hazard at age 0, per year, finite and >= 0.
  ///   - b: slope, per year of age, finite.
  public init(a: Double, b: Double) {
    precondition(a >= 0 && a.isFinite && b.isFinite, "Gompertz needs finite a >= 0 and b")
    self.a = a
    self.b = b
  }

  /// The hazard a e^(b x) at age `ageYears`, per year.
  @inlinable
  public func hazard(ageYears: Double) -> Double {
    a * exp(b * ageYears)
  }

  /// The exact integral of the hazard from age x to x + dt (dimensionless):
  /// (a / b) e^(b x) (e^(b dt) - 1), or a dt when b = 0. Then 1 - exp(-H) is the exact
  /// probability of the event in the interval, without the constant-hazard approximation.
  @inlinable
  public func cumulativeHazard(fromAgeYears ageYears: Double, overYears years: Double) -> Double {
    if b == 0 { return a * years }
    return a * exp(b * ageYears) * expm1(b * years) / b
  }
}

/// Gompertz-Makeham hazard mu(x) = a + b e^(c x) per year at age x years (Makeham, J. Inst.
/// Actuaries 8 (1860) 301). twin-sim uses it only to extend a life table past its last
/// tabulated age, with the fits of the docs/science.md section 2.
public struct GompertzMakehamHazard: Sendable, Hashable {
  /// Age-independent (Makeham) hazard, per year.
  public let a: Double

  /// Gompertz level: the age-dependent part's value at age 0, per year.
  public let b: Double

  /// Gompertz slope, per year of age (> 0).
  public let c: Double

  /// - Parameters: `a`, `b` >= 0 per year and `c` > 0 per year of age, all finite.
  public init(a: Double, b: Double, c: Double) {
    precondition(
      a >= 0 && b >= 0 && c > 0 && a.isFinite && b.isFinite && c.isFinite,
      "Gompertz-Makeham needs finite a >= 0, b >= 0, c > 0")
    self.a = a
    self.b = b
    self.c = c
  }

  /// The hazard a + b e^(c x) at age `ageYears`, per year.
  @inlinable
  public func hazard(ageYears: Double) -> Double {
    a + b * exp(c * ageYears)
  }

  /// The exact integral of the hazard from age x to x + dt:
  /// a dt + (b / c) e^(c x) (e^(c dt) - 1).
  @inlinable
  public func cumulativeHazard(fromAgeYears ageYears: Double, overYears years: Double) -> Double {
    a * years + b * exp(c * ageYears) * expm1(c * years) / c
  }

  /// Remaining life expectancy at exact age x under this hazard alone, years:
  /// the integral over t >= 0 of exp(-H(x, t)).
  ///
  /// Composite Simpson rule with steps of 1/256 year, stopped where survival falls below
  /// 1e-20; relative error below 1e-9 for human-like parameters (tested against
  /// scipy.integrate.quad). Not for hot paths: a few thousand `exp` calls.
  public func lifeExpectancy(atAgeYears ageYears: Double) -> Double {
    precondition(ageYears >= 0 && ageYears.isFinite, "age must be finite and >= 0")
    // With c > 0 and b > 0 the cumulative hazard grows exponentially, so the loop ends.
    precondition(b > 0, "life expectancy needs a growing hazard (b > 0)")
    let step = 1.0 / 256
    let negligibleSurvival = 1e-20
    func survival(_ years: Double) -> Double {
      exp(-cumulativeHazard(fromAgeYears: ageYears, overYears: years))
    }
    var total = 0.0
    var start = 0.0
    var startValue = 1.0
    while startValue > negligibleSurvival {
      let middleValue = survival(start + step)
      let endValue = survival(start + 2 * step)
      total += step / 3 * (startValue + 4 * middleValue + endValue)
      start += 2 * step
      startValue = endValue
    }
    return total
  }
}
