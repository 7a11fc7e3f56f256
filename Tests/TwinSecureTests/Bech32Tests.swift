import Testing

@testable import TwinSecure

/// Bech32 against the test vectors of BIP 173 ("Test vectors", Bech32 section).
struct Bech32Tests {
  static let validBIP173 = [
    "A12UEL5L",
    "a12uel5l",
    "an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1tt5tgs",
    "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
    "?1ezyfcl",
  ]

  @Test(arguments: validBIP173)
  func validBIP173StringsDecodeAndReencodeToTheirLowerCaseForm(_ text: String) throws {
    let (prefix, data) = try Bech32.decode(text)
    #expect(Bech32.encode(humanReadablePart: prefix, data: data) == text.lowercased())
  }

  @Test func bip173DataCharsetVectorDecodesToTheCharsetIndices() throws {
    // The vector's data part is the charset in order: the 5-bit words 0, 1, ..., 31.
    let (prefix, data) = try Bech32.decode("abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw")
    #expect(prefix == "abcdef")
    let words = try Bech32.convertBits(data, fromBits: 8, toBits: 5, pad: true)
    #expect(words == (0..<32).map { UInt8($0) })
  }

  @Test func invalidBIP173StringsFailForTheRightReason() {
    #expect(throws: Bech32.DecodingError.missingSeparator) {
      try Bech32.decode("pzry9x8gf2tvdw0s3jn54khce6mua7l")
    }
    #expect(throws: Bech32.DecodingError.tooShort) {
      try Bech32.decode("1pzry9x8gf2tvdw0s3jn54khce6mua7l")
    }
    #expect(throws: Bech32.DecodingError.invalidCharacter("b")) { try Bech32.decode("x1b4n0q5v") }
    #expect(throws: Bech32.DecodingError.tooShort) { try Bech32.decode("li1dgmt3") }
    #expect(throws: Bech32.DecodingError.invalidChecksum) { try Bech32.decode("A1G7SGD8") }
    #expect(throws: Bech32.DecodingError.mixedCase) {
      try Bech32.decode("A12uEL5L")
    }
  }

  @Test func flippingAnyCharacterBreaksTheChecksum() throws {
    // The example recipient of age's README.
    let text = Array("age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p")
    #expect(try Bech32.decode(String(text)).data.count == 32)
    for index in 4..<text.count {
      var damaged = text
      damaged[index] = damaged[index] == "q" ? "p" : "q"
      #expect(throws: Bech32.DecodingError.self) { try Bech32.decode(String(damaged)) }
    }
  }
}
