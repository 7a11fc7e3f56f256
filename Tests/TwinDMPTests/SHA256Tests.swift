import Foundation
import Testing

@testable import TwinDMP

/// Reference digests: FIPS 180-4 examples (NIST CSRC "SHA256.pdf", one-block,
/// two-block and one-million-'a' messages), also reproduced with Python hashlib.
struct SHA256Tests {
  @Test func digestOfAbcMatchesNISTExample() {
    #expect(
      SHA256.hexDigest(Array("abc".utf8))
        == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
  }

  @Test func digestOfEmptyMessageMatchesNISTValue() {
    #expect(
      SHA256.hexDigest([UInt8]())
        == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
  }

  @Test func digestOfTwoBlockMessageMatchesNISTExample() {
    let message = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
    #expect(
      SHA256.hexDigest(Array(message.utf8))
        == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
  }

  @Test func digestOfMillionAsInUnevenPiecesMatchesNISTExample() {
    var hasher = SHA256()
    var remaining = 1_000_000
    var pieceSize = 1
    while remaining > 0 {
      let count = min(pieceSize, remaining)
      hasher.update([UInt8](repeating: 0x61, count: count))
      remaining -= count
      pieceSize = pieceSize * 3 + 1
    }
    let hex = hasher.finalize().map { String(format: "%02x", $0) }.joined()
    #expect(hex == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
  }

  @Test func fileDigestEqualsDigestOfItsBytes() throws {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent(
      "twin-dmp-sha-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: url) }
    // More than one 1 MiB read, and not a multiple of it.
    let bytes = (0..<2_500_001).map { UInt8(truncatingIfNeeded: $0 &* 7919) }
    try Data(bytes).write(to: url)
    #expect(try SHA256.hexDigest(ofFile: url) == SHA256.hexDigest(bytes))
  }

  @Test func emptyFileAndMissingFile() throws {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent(
      "twin-dmp-sha-empty-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: url) }
    try Data().write(to: url)
    #expect(
      try SHA256.hexDigest(ofFile: url)
        == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    let missing = url.appendingPathExtension("missing")
    #expect(throws: ProvenanceError.self) { try SHA256.hexDigest(ofFile: missing) }
  }
}
