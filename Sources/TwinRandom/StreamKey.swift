/// FNV-1a, 64-bit (Fowler, Noll, Vo; parameters from the IETF draft
/// draft-eastlake-fnv, "The FNV Non-Cryptographic Hash Algorithm"): a stable hash that
/// is the same on every platform and in every process, unlike Swift's `Hasher`,
/// which is seeded per process.
public enum FNV1a64 {
  /// FNV-1a 64-bit offset basis.
  public static let offsetBasis: UInt64 = 0xCBF2_9CE4_8422_2325

  /// FNV 64-bit prime, 2^40 + 2^8 + 0xB3.
  public static let prime: UInt64 = 0x0000_0100_0000_01B3

  /// Hashes a byte sequence.
  public static func hash<Bytes: Sequence>(_ bytes: Bytes) -> UInt64 where Bytes.Element == UInt8 {
    var state = offsetBasis
    for byte in bytes {
      state = (state ^ UInt64(byte)) &* prime
    }
    return state
  }

  /// Hashes the UTF-8 bytes of a string as stored: canonically equivalent strings with
  /// different scalars (precomposed vs decomposed accents) hash differently, so stream names
  /// should be plain ASCII.
  public static func hash(utf8 string: String) -> UInt64 {
    hash(string.utf8)
  }
}

/// SplitMix64 (Steele, Lea, Flood, "Fast splittable pseudorandom number generators",
/// OOPSLA 2014; the output function of Java's `SplittableRandom` and of Vigna's `splitmix64.c`).
public enum SplitMix64 {
  /// The Weyl increment, 2^64 / golden ratio, rounded to odd.
  public static let goldenGamma: UInt64 = 0x9E37_79B9_7F4A_7C15

  /// One SplitMix64 step from `state`: adds the golden gamma and applies the variant-13
  /// finalizer (Stafford's Mix13). A bijection on `UInt64`, so distinct inputs give distinct
  /// outputs. `mix(0)` is the first output of `splitmix64.c` seeded with 0, 0xE220A8397B1DCDAF.
  public static func mix(_ state: UInt64) -> UInt64 {
    var z = state &+ goldenGamma
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
