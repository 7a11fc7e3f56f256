/// Strict standard Base64 (RFC 4648 section 4), as age requires it: header
/// stanzas without padding, armor with padding, and in both cases canonical
/// encodings only (unused bits zero), no whitespace, no other characters.
enum Base64Strict {
  static let alphabet = Array(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
  static let decodeTable: [Int8] = {
    var table = [Int8](repeating: -1, count: 256)
    for (index, character) in alphabet.enumerated() { table[Int(character)] = Int8(index) }
    return table
  }()

  /// Encodes `bytes`; `padded` adds `=` to a multiple of four characters.
  static func encode(_ bytes: [UInt8], padded: Bool) -> [UInt8] {
    var output: [UInt8] = []
    output.reserveCapacity((bytes.count + 2) / 3 * 4)
    var index = 0
    while index < bytes.count {
      let remaining = bytes.count - index
      let byte0 = UInt32(bytes[index])
      let byte1 = remaining > 1 ? UInt32(bytes[index + 1]) : 0
      let byte2 = remaining > 2 ? UInt32(bytes[index + 2]) : 0
      let group = byte0 << 16 | byte1 << 8 | byte2
      output.append(alphabet[Int(group >> 18 & 63)])
      output.append(alphabet[Int(group >> 12 & 63)])
      if remaining > 1 {
        output.append(alphabet[Int(group >> 6 & 63)])
      } else if padded {
        output.append(UInt8(ascii: "="))
      }
      if remaining > 2 {
        output.append(alphabet[Int(group & 63)])
      } else if padded {
        output.append(UInt8(ascii: "="))
      }
      index += 3
    }
    return output
  }

  /// Decodes `text`, or returns nil if it is not the canonical encoding of some bytes.
  static func decode<Text: Collection<UInt8>>(_ text: Text, padded: Bool) -> [UInt8]? {
    var characters = Array(text)
    if padded {
      guard characters.count % 4 == 0 else { return nil }
      var padding = 0
      while padding < 2 && characters.last == UInt8(ascii: "=") {
        characters.removeLast()
        padding += 1
      }
    }
    if characters.count % 4 == 1 { return nil }
    var output: [UInt8] = []
    output.reserveCapacity(characters.count * 3 / 4)
    var accumulator: UInt32 = 0
    var bitCount = 0
    for character in characters {
      let value = decodeTable[Int(character)]
      if value < 0 { return nil }
      accumulator = accumulator << 6 | UInt32(value)
      bitCount += 6
      if bitCount >= 8 {
        bitCount -= 8
        output.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bitCount)))
        accumulator &= (1 << UInt32(bitCount)) - 1
      }
    }
    // Canonical: the bits left over must be zero (RFC 4648 section 3.5).
    if accumulator != 0 { return nil }
    return output
  }
}
