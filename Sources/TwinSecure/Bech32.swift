/// Bech32 encoding (BIP 173), as age uses it for `age1...` recipients and
/// `AGE-SECRET-KEY-1...` identities.
///
/// age keeps BIP 173's checksum (constant 1, not Bech32m) but lifts its
/// 90-character limit, since post-quantum keys are longer (age spec,
/// "X25519 recipient type"). Decoding rejects mixed case, characters outside
/// the charset, a wrong checksum and non-zero padding bits.
public enum Bech32 {
  static let charset = Array("qpzry9x8gf2tvdw0s3jn54khce6mua7l".utf8)

  /// Errors of `decode(_:)`, each naming what was wrong.
  public enum DecodingError: Error, Equatable, CustomStringConvertible {
    case mixedCase
    case missingSeparator
    case invalidCharacter(Character)
    case invalidChecksum
    case invalidPadding
    case tooShort

    public var description: String {
      switch self {
      case .mixedCase: return "Bech32 string mixes upper and lower case"
      case .missingSeparator: return "Bech32 string has no '1' separator"
      case .invalidCharacter(let character):
        return "Bech32 string has invalid character '\(character)'"
      case .invalidChecksum: return "Bech32 checksum is wrong"
      case .invalidPadding: return "Bech32 data has non-zero padding bits"
      case .tooShort: return "Bech32 string is too short"
      }
    }
  }

  static func polymod(_ values: [UInt8]) -> UInt32 {
    let generator: [UInt32] = [0x3b6a_57b2, 0x2650_8e6d, 0x1ea1_19fa, 0x3d42_33dd, 0x2a14_62b3]
    var checksum: UInt32 = 1
    for value in values {
      let top = checksum >> 25
      checksum = (checksum & 0x1ff_ffff) << 5 ^ UInt32(value)
      for bit in 0..<5 where (top >> UInt32(bit)) & 1 == 1 {
        checksum ^= generator[bit]
      }
    }
    return checksum
  }

  static func expandedPrefix(_ humanReadablePart: [UInt8]) -> [UInt8] {
    humanReadablePart.map { $0 >> 5 } + [0] + humanReadablePart.map { $0 & 31 }
  }

  /// Regroups bits from `fromBits`-bit to `toBits`-bit groups (BIP 173 `convertbits`).
  static func convertBits(
    _ data: [UInt8], fromBits: Int, toBits: Int, pad: Bool
  ) throws(DecodingError) -> [UInt8] {
    var accumulator = 0
    var bitCount = 0
    var output: [UInt8] = []
    let maxValue = (1 << toBits) - 1
    for value in data {
      accumulator = (accumulator << fromBits) | Int(value)
      bitCount += fromBits
      while bitCount >= toBits {
        bitCount -= toBits
        output.append(UInt8((accumulator >> bitCount) & maxValue))
      }
      accumulator &= (1 << bitCount) - 1
    }
    if pad {
      if bitCount > 0 { output.append(UInt8((accumulator << (toBits - bitCount)) & maxValue)) }
    } else if bitCount >= fromBits || (accumulator << (toBits - bitCount)) & maxValue != 0 {
      throw .invalidPadding
    }
    return output
  }

  /// Encodes `data` with the human-readable part `humanReadablePart` (lower case),
  /// e.g. `encode(humanReadablePart: "age", data: publicKey)`.
  public static func encode(humanReadablePart: String, data: [UInt8]) -> String {
    let prefix = Array(humanReadablePart.lowercased().utf8)
    let words = (try? convertBits(data, fromBits: 8, toBits: 5, pad: true)) ?? []
    let checksumInput = expandedPrefix(prefix) + words + [0, 0, 0, 0, 0, 0]
    let checksum = polymod(checksumInput) ^ 1
    let checksumWords = (0..<6).map { UInt8((checksum >> UInt32(5 * (5 - $0))) & 31) }
    let body = (words + checksumWords).map { charset[Int($0)] }
    return String(decoding: prefix + [UInt8(ascii: "1")] + body, as: UTF8.self)
  }

  /// Decodes a Bech32 string into its human-readable part (lower case) and data bytes.
  public static func decode(
    _ text: String
  ) throws(DecodingError) -> (humanReadablePart: String, data: [UInt8]) {
    let bytes = Array(text.utf8)
    let hasLower = bytes.contains { $0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z") }
    let hasUpper = bytes.contains { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }
    if hasLower && hasUpper { throw .mixedCase }
    let lowered = bytes.map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 }
    guard let separator = lowered.lastIndex(of: UInt8(ascii: "1")) else { throw .missingSeparator }
    if separator < 1 || lowered.count - separator - 1 < 6 { throw .tooShort }
    let prefix = Array(lowered[..<separator])
    for character in prefix where character < 33 || character > 126 {
      throw .invalidCharacter(Character(UnicodeScalar(character)))
    }
    var words: [UInt8] = []
    for character in lowered[(separator + 1)...] {
      guard let index = charset.firstIndex(of: character) else {
        throw .invalidCharacter(Character(UnicodeScalar(character)))
      }
      words.append(UInt8(index))
    }
    guard polymod(expandedPrefix(prefix) + words) == 1 else { throw .invalidChecksum }
    let data = try convertBits(
      Array(words.dropLast(6)), fromBits: 5, toBits: 8, pad: false)
    return (String(decoding: prefix, as: UTF8.self), data)
  }
}
