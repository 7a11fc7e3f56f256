/// Philox4x32, the counter-based random bijection of Salmon, Moraes, Dror and Shaw,
/// "Parallel random numbers: as easy as 1, 2, 3", SC'11 (doi:10.1145/2063384.2063405),
/// as implemented in Random123 (`philox4x32_R` in `Random123/philox.h`).
///
/// A block is a pure function of a 128-bit counter and a 64-bit key: no state is kept,
/// so any block can be computed in any order, on any thread or MPI rank, with the same result.
/// Ten rounds (`Philox4x32.defaultRounds`) is the variant the authors recommend and the one
/// twin-sim uses; other round counts exist so that every Random123 known-answer vector
/// (7 and 10 rounds) can be checked.
public enum Philox4x32 {
  /// Four 32-bit words: a counter (input) or a random block (output).
  public typealias Words = (UInt32, UInt32, UInt32, UInt32)

  /// Two 32-bit key words.
  public typealias Key = (UInt32, UInt32)

  /// Rounds of the recommended Philox4x32-10.
  public static let defaultRounds = 10

  /// Round multipliers `PHILOX_M4x32_0` and `PHILOX_M4x32_1` (Random123 `philox.h`).
  @inlinable static var multiplier0: UInt32 { 0xD251_1F53 }
  @inlinable static var multiplier1: UInt32 { 0xCD9E_8D57 }

  /// Key schedule increments `PHILOX_W32_0` (golden ratio) and `PHILOX_W32_1` (sqrt(3) - 1).
  @inlinable static var weyl0: UInt32 { 0x9E37_79B9 }
  @inlinable static var weyl1: UInt32 { 0xBB67_AE85 }

  /// Computes one Philox4x32 block.
  ///
  /// - Parameters:
  ///   - counter: counter words c0...c3 (Random123 order).
  ///   - key: key words k0, k1 (Random123 order).
  ///   - rounds: number of rounds, at least 1; 10 unless testing against 7-round vectors.
  /// - Returns: the output words o0...o3; the same inputs always give the same words.
  /// - Complexity: `rounds` pairs of 32x32->64-bit multiplications; allocates nothing.
  @inlinable @inline(__always)
  public static func block(counter: Words, key: Key, rounds: Int = defaultRounds) -> Words {
    precondition(rounds >= 1, "Philox4x32 needs at least one round")
    var words = counter
    var roundKey = key
    words = round(words, roundKey)
    for _ in 1..<rounds {
      roundKey = (roundKey.0 &+ weyl0, roundKey.1 &+ weyl1)
      words = round(words, roundKey)
    }
    return words
  }

  /// One Philox S-box round: two full-width multiplications, a word permutation and
  /// key mixing, exactly as `_philox4x32round` in Random123.
  @inlinable @inline(__always)
  static func round(_ words: Words, _ roundKey: Key) -> Words {
    let product0 = multiplier0.multipliedFullWidth(by: words.0)
    let product1 = multiplier1.multipliedFullWidth(by: words.2)
    return (
      product1.high ^ words.1 ^ roundKey.0,
      product1.low,
      product0.high ^ words.3 ^ roundKey.1,
      product0.low
    )
  }
}
