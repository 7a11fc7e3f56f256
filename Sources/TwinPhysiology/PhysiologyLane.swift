/// The arithmetic the right-hand side, the integrators and the beat metrics need, so that one
/// generic implementation serves a single person (`Double`) and several persons at once
/// (`SIMD4<Double>`, `SIMD8<Double>`: one person per lane).
///
/// Every operation is lane-wise IEEE 754 double arithmetic without fused multiply-add, so a
/// person's numbers are bit-identical whichever lane, group or batch size computes them (the
/// engine's results must not depend on how persons are split across ranks and blocks).
public protocol PhysiologyLane: Sendable {
  associatedtype Mask: Sendable

  init(broadcast value: Double)

  static func + (lhs: Self, rhs: Self) -> Self
  static func - (lhs: Self, rhs: Self) -> Self
  static func * (lhs: Self, rhs: Self) -> Self
  static func / (lhs: Self, rhs: Self) -> Self
  static prefix func - (operand: Self) -> Self

  /// Lane-wise maximum and minimum (NaN handling unspecified: inputs are finite).
  static func laneMax(_ lhs: Self, _ rhs: Self) -> Self
  static func laneMin(_ lhs: Self, _ rhs: Self) -> Self
  /// Lane-wise square root (IEEE correctly rounded).
  static func laneSquareRoot(_ value: Self) -> Self

  static func isLess(_ lhs: Self, _ rhs: Self) -> Mask
  static func isLessOrEqual(_ lhs: Self, _ rhs: Self) -> Mask
  static func and(_ lhs: Mask, _ rhs: Mask) -> Mask
  static func or(_ lhs: Mask, _ rhs: Mask) -> Mask
  static func any(_ mask: Mask) -> Bool
  /// `whereTrue` in lanes where `mask` is set, `whereFalse` elsewhere.
  static func select(_ mask: Mask, _ whereTrue: Self, _ whereFalse: Self) -> Self

  /// `2^k` for lanes holding integral values `k` in [-1022, 1023], built from the exponent
  /// bits (exact).
  static func powerOfTwo(integral k: Self) -> Self
}

extension PhysiologyLane {
  /// e^x with a relative error below 1e-11 for x in [-708, 709]; arguments outside are
  /// saturated to that range (e^709 is about 8e307, far beyond any pressure or volume of the
  /// model).
  ///
  /// Cody-Waite reduction x = k ln 2 + r with |r| <= ln 2 / 2, then a degree-9 Taylor
  /// polynomial for e^r (truncation error (ln 2 / 2)^10 / 10! = 7e-12 relative) and an exact
  /// scaling by 2^k. The model only needs e^x inside the passive ventricular pressure and the
  /// activation, where 1e-11 relative is ten thousand times below the integrators' error (and
  /// below the adaptive integrator's rtol 1e-10 tolerance); four terms fewer than full double
  /// accuracy save about 8 % of the kernel's operations.
  /// Written with `+` and `*` only so that SIMD lanes and scalars give identical bits.
  @inlinable @inline(__always)
  public static func exponential(_ x: Self) -> Self {
    let clamped = laneMin(laneMax(x, Self(broadcast: -708)), Self(broadcast: 709))
    // Round x / ln 2 to the nearest integer with the 1.5 * 2^52 trick (no rounding instruction
    // is needed, which keeps baseline x86-64 builds free of library calls).
    let shifter = Self(broadcast: 6_755_399_441_055_744.0)
    let k = (clamped * Self(broadcast: 1.442_695_040_888_963_4) + shifter) - shifter
    // ln 2 split into a high part with trailing zero bits (k * high is exact) and the rest.
    let r =
      (clamped - k * Self(broadcast: 0.693_147_180_369_123_816_49))
      - k * Self(broadcast: 1.908_214_929_270_587_7e-10)
    var p = Self(broadcast: 1.0 / 362_880.0)
    p = p * r + Self(broadcast: 1.0 / 40_320.0)
    p = p * r + Self(broadcast: 1.0 / 5_040.0)
    p = p * r + Self(broadcast: 1.0 / 720.0)
    p = p * r + Self(broadcast: 1.0 / 120.0)
    p = p * r + Self(broadcast: 1.0 / 24.0)
    p = p * r + Self(broadcast: 1.0 / 6.0)
    p = p * r + Self(broadcast: 0.5)
    p = p * r + Self(broadcast: 1.0)
    p = p * r + Self(broadcast: 1.0)
    return p * powerOfTwo(integral: k)
  }
}

extension Double: PhysiologyLane {
  public typealias Mask = Bool

  @inlinable @inline(__always)
  public init(broadcast value: Double) { self = value }

  @inlinable @inline(__always)
  public static func laneMax(_ lhs: Double, _ rhs: Double) -> Double { lhs > rhs ? lhs : rhs }

  @inlinable @inline(__always)
  public static func laneMin(_ lhs: Double, _ rhs: Double) -> Double { lhs < rhs ? lhs : rhs }

  @inlinable @inline(__always)
  public static func laneSquareRoot(_ value: Double) -> Double { value.squareRoot() }

  @inlinable @inline(__always)
  public static func isLess(_ lhs: Double, _ rhs: Double) -> Bool { lhs < rhs }

  @inlinable @inline(__always)
  public static func isLessOrEqual(_ lhs: Double, _ rhs: Double) -> Bool { lhs <= rhs }

  @inlinable @inline(__always)
  public static func and(_ lhs: Bool, _ rhs: Bool) -> Bool { lhs && rhs }

  @inlinable @inline(__always)
  public static func or(_ lhs: Bool, _ rhs: Bool) -> Bool { lhs || rhs }

  @inlinable @inline(__always)
  public static func any(_ mask: Bool) -> Bool { mask }

  @inlinable @inline(__always)
  public static func select(_ mask: Bool, _ whereTrue: Double, _ whereFalse: Double) -> Double {
    mask ? whereTrue : whereFalse
  }

  @inlinable @inline(__always)
  public static func powerOfTwo(integral k: Double) -> Double {
    // k + 1.5 * 2^52 holds k in its low mantissa bits; shift them into the exponent field.
    let biased = (k + 6_755_399_441_055_744.0).bitPattern &- 0x4338_0000_0000_0000
    return Double(bitPattern: (biased &+ 1023) << 52)
  }
}

extension SIMD4: PhysiologyLane where Scalar == Double {
  public typealias Mask = SIMDMask<SIMD4<Int64>>

  @inlinable @inline(__always)
  public init(broadcast value: Double) { self.init(repeating: value) }

  @inlinable @inline(__always)
  public static func laneMax(_ lhs: Self, _ rhs: Self) -> Self {
    lhs.replacing(with: rhs, where: lhs .< rhs)
  }

  @inlinable @inline(__always)
  public static func laneMin(_ lhs: Self, _ rhs: Self) -> Self {
    lhs.replacing(with: rhs, where: rhs .< lhs)
  }

  @inlinable @inline(__always)
  public static func laneSquareRoot(_ value: Self) -> Self { value.squareRoot() }

  @inlinable @inline(__always)
  public static func isLess(_ lhs: Self, _ rhs: Self) -> Mask { lhs .< rhs }

  @inlinable @inline(__always)
  public static func isLessOrEqual(_ lhs: Self, _ rhs: Self) -> Mask { lhs .<= rhs }

  @inlinable @inline(__always)
  public static func and(_ lhs: Mask, _ rhs: Mask) -> Mask { lhs .& rhs }

  @inlinable @inline(__always)
  public static func or(_ lhs: Mask, _ rhs: Mask) -> Mask { lhs .| rhs }

  @inlinable @inline(__always)
  public static func any(_ mask: Mask) -> Bool {
    // OR of the lanes by halving (the library's `any` is an out-of-line reduction).
    let bits = unsafeBitCast(mask, to: SIMD4<Int64>.self)
    let two = bits.lowHalf | bits.highHalf
    return (two[0] | two[1]) != 0
  }

  @inlinable @inline(__always)
  public static func select(_ mask: Mask, _ whereTrue: Self, _ whereFalse: Self) -> Self {
    whereFalse.replacing(with: whereTrue, where: mask)
  }

  @inlinable @inline(__always)
  public static func powerOfTwo(integral k: Self) -> Self {
    let shifted = k + Self(repeating: 6_755_399_441_055_744.0)
    let bits = unsafeBitCast(shifted, to: SIMD4<UInt64>.self) &- 0x4338_0000_0000_0000
    return unsafeBitCast((bits &+ 1023) &<< 52, to: Self.self)
  }
}

extension SIMD8: PhysiologyLane where Scalar == Double {
  public typealias Mask = SIMDMask<SIMD8<Int64>>

  @inlinable @inline(__always)
  public init(broadcast value: Double) { self.init(repeating: value) }

  @inlinable @inline(__always)
  public static func laneMax(_ lhs: Self, _ rhs: Self) -> Self {
    lhs.replacing(with: rhs, where: lhs .< rhs)
  }

  @inlinable @inline(__always)
  public static func laneMin(_ lhs: Self, _ rhs: Self) -> Self {
    lhs.replacing(with: rhs, where: rhs .< lhs)
  }

  @inlinable @inline(__always)
  public static func laneSquareRoot(_ value: Self) -> Self { value.squareRoot() }

  @inlinable @inline(__always)
  public static func isLess(_ lhs: Self, _ rhs: Self) -> Mask { lhs .< rhs }

  @inlinable @inline(__always)
  public static func isLessOrEqual(_ lhs: Self, _ rhs: Self) -> Mask { lhs .<= rhs }

  @inlinable @inline(__always)
  public static func and(_ lhs: Mask, _ rhs: Mask) -> Mask { lhs .& rhs }

  @inlinable @inline(__always)
  public static func or(_ lhs: Mask, _ rhs: Mask) -> Mask { lhs .| rhs }

  @inlinable @inline(__always)
  public static func any(_ mask: Mask) -> Bool {
    // OR of the lanes by halving (the library's `any` is an out-of-line reduction).
    let bits = unsafeBitCast(mask, to: SIMD8<Int64>.self)
    let four = bits.lowHalf | bits.highHalf
    let two = four.lowHalf | four.highHalf
    return (two[0] | two[1]) != 0
  }

  @inlinable @inline(__always)
  public static func select(_ mask: Mask, _ whereTrue: Self, _ whereFalse: Self) -> Self {
    whereFalse.replacing(with: whereTrue, where: mask)
  }

  @inlinable @inline(__always)
  public static func powerOfTwo(integral k: Self) -> Self {
    let shifted = k + Self(repeating: 6_755_399_441_055_744.0)
    let bits = unsafeBitCast(shifted, to: SIMD8<UInt64>.self) &- 0x4338_0000_0000_0000
    return unsafeBitCast((bits &+ 1023) &<< 52, to: Self.self)
  }
}
