#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// A named stream of random numbers: a pure function from (person, step, draw) to random bits,
/// built on Philox4x32-10.
///
/// Layout (see also `Sources/TwinRandom/README.md`):
/// - Key (64 bits) = `SplitMix64.mix(seed ^ SplitMix64.mix(FNV1a64.hash(utf8: name)))`,
///   split into key word k0 = low 32 bits and k1 = high 32 bits.
/// - Counter (128 bits) = (c0, c1, c2, c3) = (person id bits 0-31, person id bits 32-63,
///   step, draw index).
/// - One call gives one 128-bit Philox block (o0, o1, o2, o3).
///
/// Promises: a value depends only on (seed, name, person, step, draw); not on MPI rank, thread,
/// block size, call order, or whether a run was resumed from a checkpoint. There is no mutable
/// or shared state, so a stream is a `Sendable` value and copying it is free (no reference
/// counting: it holds integers only). Different names or seeds give unrelated keys; a person's
/// draws never overlap another person's, because the person id is part of the counter.
///
/// Callers own the meaning of `draw`: each distinct random decision at one (person, step) uses
/// its own draw index. Reusing a draw index on purpose is how arms share common random numbers.
public struct RandomStream: Sendable, Hashable {
  /// The master seed this stream was derived from.
  public let seed: UInt64

  /// FNV-1a 64-bit hash of the stream name's UTF-8 bytes (kept instead of the name so the
  /// stream holds no reference-counted storage).
  public let nameHash: UInt64

  /// Philox key word k0 (low 32 bits of the mixed key).
  public let key0: UInt32

  /// Philox key word k1 (high 32 bits of the mixed key).
  public let key1: UInt32

  /// Creates the stream `name` under master seed `seed`.
  ///
  /// - Parameters:
  ///   - seed: the scenario's master seed (any 64-bit value).
  ///   - name: the stream's name, hashed as UTF-8 bytes; use ASCII names such as `"mortality"`.
  public init(seed: UInt64, name: String) {
    self.seed = seed
    self.nameHash = FNV1a64.hash(utf8: name)
    // mix() is a bijection, so for a fixed name distinct seeds give distinct keys, and for a
    // fixed seed distinct name hashes give distinct keys.
    let key = SplitMix64.mix(seed ^ SplitMix64.mix(nameHash))
    self.key0 = UInt32(truncatingIfNeeded: key)
    self.key1 = UInt32(truncatingIfNeeded: key >> 32)
  }

  /// The raw Philox4x32-10 block for counter (person low, person high, step, draw).
  ///
  /// - Returns: four independent, uniformly distributed 32-bit words.
  @inlinable
  public func bits(person: UInt64, step: UInt32, draw: UInt32) -> (UInt32, UInt32, UInt32, UInt32) {
    let counter = (
      UInt32(truncatingIfNeeded: person), UInt32(truncatingIfNeeded: person >> 32), step, draw
    )
    return Philox4x32.block(counter: counter, key: (key0, key1))
  }

  /// A uniform random number strictly inside (0, 1), from words o0 and o1 of the block.
  ///
  /// Equal to `uniformPair(person:step:draw:).0`, so code that later needs a second uniform
  /// from the same draw index sees the same first value.
  @inlinable
  public func uniform(person: UInt64, step: UInt32, draw: UInt32) -> Double {
    let words = bits(person: person, step: step, draw: draw)
    return Self.openUnitInterval(high: words.0, low: words.1)
  }

  /// Two independent uniform random numbers strictly inside (0, 1) from one Philox block:
  /// the first from words o0, o1 and the second from o2, o3. Hot loops use this to call Philox
  /// once per two draws.
  @inlinable
  public func uniformPair(person: UInt64, step: UInt32, draw: UInt32) -> (Double, Double) {
    let words = bits(person: person, step: step, draw: draw)
    return (
      Self.openUnitInterval(high: words.0, low: words.1),
      Self.openUnitInterval(high: words.2, low: words.3)
    )
  }

  /// A standard normal random number (mean 0, sd 1): the cosine branch of the Box-Muller
  /// transform applied to `uniformPair(person:step:draw:)`. Equal to
  /// `normalPair(person:step:draw:).0`. Range: |z| <= sqrt(-2 ln 2^-53) ~ 8.57.
  @inlinable
  public func normal(person: UInt64, step: UInt32, draw: UInt32) -> Double {
    normalPair(person: person, step: step, draw: draw).0
  }

  /// Two independent standard normal random numbers from one Philox block (Box, Muller,
  /// Ann. Math. Statist. 29 (1958) 610): with (u1, u2) = `uniformPair`, r = sqrt(-2 ln u1),
  /// returns (r cos(2 pi u2), r sin(2 pi u2)). Because u1 > 0, r is always finite.
  @inlinable
  public func normalPair(person: UInt64, step: UInt32, draw: UInt32) -> (Double, Double) {
    let (u1, u2) = uniformPair(person: person, step: step, draw: draw)
    let radius = (-2 * log(u1)).squareRoot()
    let angle = 2 * Double.pi * u2
    return (radius * cos(angle), radius * sin(angle))
  }

  /// Maps 64 random bits to a double strictly inside (0, 1) with 53 random bits.
  ///
  /// Takes the top 53 bits k of `high:low` and returns k / 2^53, every value exactly
  /// representable (k < 2^53), from 2^-53 to 1 - 2^-53; the single word with k = 0
  /// (probability 2^-53) maps to 2^-54 instead of 0, so that logarithms stay finite.
  /// (The midpoint form (k + 1/2) / 2^53 would need 54 significant bits for k >= 2^52
  /// and round the all-ones word to exactly 1.0.)
  @inlinable @inline(__always)
  public static func openUnitInterval(high: UInt32, low: UInt32) -> Double {
    let word = UInt64(high) << 32 | UInt64(low)
    let k = word >> 11
    return k == 0 ? 0x1p-54 : Double(k) * 0x1p-53
  }
}
