import Testing

@testable import TwinSecure

/// Strict Base64 against RFC 4648 section 10 test vectors, plus canonicity.
struct Base64StrictTests {
  static let rfc4648 = [
    ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="),
    ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy"),
  ]

  @Test func rfc4648VectorsEncodeAndDecodeWithAndWithoutPadding() {
    for (plain, encoded) in Self.rfc4648 {
      let bytes = Array(plain.utf8)
      #expect(Base64Strict.encode(bytes, padded: true) == Array(encoded.utf8))
      #expect(Base64Strict.decode(Array(encoded.utf8), padded: true) == bytes)
      let unpadded = encoded.replacingOccurrences(of: "=", with: "")
      #expect(Base64Strict.encode(bytes, padded: false) == Array(unpadded.utf8))
      #expect(Base64Strict.decode(Array(unpadded.utf8), padded: false) == bytes)
    }
  }

  @Test func nonCanonicalMissingOrSpuriousPaddingAndForeignCharactersAreRejected() {
    #expect(Base64Strict.decode(Array("Zh==".utf8), padded: true) == nil)  // unused bits set
    #expect(Base64Strict.decode(Array("Zg".utf8), padded: true) == nil)  // padding missing
    #expect(Base64Strict.decode(Array("Zg==".utf8), padded: false) == nil)  // padding present
    #expect(Base64Strict.decode(Array("Zm9v\n".utf8), padded: false) == nil)
    #expect(Base64Strict.decode(Array("Z".utf8), padded: false) == nil)
    #expect(Base64Strict.decode(Array("Zm-v".utf8), padded: false) == nil)
  }
}
