import Foundation
import Testing

@testable import TwinSecure

/// Round trips and tampering of age files made by this implementation.
struct AgeTests {
  static let chunk = 64 * 1024

  static func pseudoRandomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
    var state = seed
    return (0..<count).map { _ in
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return UInt8(truncatingIfNeeded: state >> 33)
    }
  }

  @Test(arguments: [0, 1, 65_535, 65_536, 65_537, 2 * 65_536, 3 * 65_536 + 17])
  func plaintextsAroundChunkBoundariesRoundTripBinaryAndArmored(size: Int) throws {
    let identity = AgeIdentity()
    let plaintext = Self.pseudoRandomBytes(size, seed: UInt64(size))
    for armored in [false, true] {
      let file = try Age.encrypt(plaintext, recipients: [identity.recipient], armored: armored)
      #expect(try Age.decrypt(file, identities: [identity]) == plaintext)
      // Header (~200 bytes), nonce, and 16 bytes of tag per chunk (one chunk even when empty).
      let chunks = max(1, (size + Self.chunk - 1) / Self.chunk)
      if !armored {
        let header = file.count - 16 - size - 16 * chunks
        #expect(header > 100 && header < 300)
      }
    }
  }

  @Test func everyRecipientOfAMultiRecipientFileCanDecryptIt() throws {
    let identities = (0..<3).map { _ in AgeIdentity() }
    let plaintext = Array("three readers".utf8)
    let file = try Age.encrypt(plaintext, recipients: identities.map(\.recipient))
    for identity in identities {
      #expect(try Age.decrypt(file, identities: [identity]) == plaintext)
    }
    #expect(throws: AgeError.noMatch) { try Age.decrypt(file, identities: [AgeIdentity()]) }
  }

  @Test func identityAndRecipientStringsRoundTrip() throws {
    let identity = AgeIdentity()
    let parsed = try AgeIdentity(parsing: identity.encoded)
    #expect(parsed.recipient == identity.recipient)
    #expect(try AgeRecipient(parsing: identity.recipient.description) == identity.recipient)
    #expect(identity.encoded.hasPrefix("AGE-SECRET-KEY-1"))
    #expect(identity.recipient.description.hasPrefix("age1"))
    #expect(throws: AgeError.self) { try AgeRecipient(parsing: identity.encoded) }
    #expect(throws: AgeError.self) {
      try AgeRecipient(parsing: identity.recipient.description.uppercased())
    }
  }

  @Test func identityFileIgnoresCommentsAndNamesABadLine() throws {
    let identity = AgeIdentity()
    let text = identity.identityFileText(created: Date(timeIntervalSince1970: 0))
    #expect(text.hasPrefix("# created: 1970-01-01T00:00:00Z\n# public key: age1"))
    let parsed = try AgeIdentity.parseIdentityFile(text)
    #expect(parsed.map(\.recipient) == [identity.recipient])
    #expect(throws: AgeError.self) { try AgeIdentity.parseIdentityFile("# only a comment\n") }
    #expect(throws: AgeError.self) { try AgeIdentity.parseIdentityFile("\nnot-a-key\n") }
  }

  /// A 3-chunk file and its layout, for tampering.
  static func threeChunkFile() throws -> (AgeIdentity, [UInt8], [UInt8], headerEnd: Int) {
    let identity = AgeIdentity()
    let plaintext = pseudoRandomBytes(2 * chunk + 1000, seed: 7)
    let file = try Age.encrypt(plaintext, recipients: [identity.recipient])
    let headerEnd = file.count - 16 - plaintext.count - 3 * 16
    return (identity, plaintext, file, headerEnd)
  }

  @Test func flippingAnyProbedByteIsDetected() throws {
    let (identity, _, file, headerEnd) = try Self.threeChunkFile()
    // Every byte of the header and nonce, and bytes across each chunk and tag.
    let payloadProbes = stride(from: headerEnd + 16, to: file.count, by: 4099)
    for index in Array(0..<(headerEnd + 16)) + Array(payloadProbes) + [file.count - 1] {
      var damaged = file
      damaged[index] ^= 0x01
      #expect(throws: AgeError.self, "byte \(index)") {
        try Age.decrypt(damaged, identities: [identity], armor: .binary)
      }
    }
  }

  @Test func truncationAppendedDataAndReorderedChunksAreDetected() throws {
    let (identity, _, file, headerEnd) = try Self.threeChunkFile()
    let sealedChunk = Self.chunk + 16
    let payloadStart = headerEnd + 16
    let cuts = [
      payloadStart, payloadStart + sealedChunk, payloadStart + 2 * sealedChunk, file.count - 1,
    ]
    for cut in cuts {
      #expect(throws: AgeError.self, "truncated at \(cut)") {
        try Age.decrypt(Array(file[..<cut]), identities: [identity])
      }
    }
    #expect(throws: AgeError.self) { try Age.decrypt(file + [0], identities: [identity]) }
    #expect(throws: AgeError.self) {
      try Age.decrypt(file + file[payloadStart...], identities: [identity])
    }
    let first = file[payloadStart..<(payloadStart + sealedChunk)]
    let second = file[(payloadStart + sealedChunk)..<(payloadStart + 2 * sealedChunk)]
    let reordered =
      Array(file[..<payloadStart]) + second + first + file[(payloadStart + 2 * sealedChunk)...]
    #expect(
      throws: AgeError.payload(
        "chunk 0 failed authentication (modified, truncated, reordered or extended file)")
    ) {
      try Age.decrypt(reordered, identities: [identity])
    }
  }

  @Test func wrongIdentityFindsNoMatch() throws {
    let file = try Age.encrypt([1, 2, 3], recipients: [AgeIdentity().recipient])
    #expect(throws: AgeError.noMatch) { try Age.decrypt(file, identities: [AgeIdentity()]) }
  }

  @Test func failedDecryptionToAFileLeavesNothingBehind() throws {
    let folder = try TestSupport.makeTemporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let (identity, plaintext, file, _) = try Self.threeChunkFile()
    var damaged = file
    damaged[damaged.count - 5] ^= 0x80  // in the last chunk: two chunks verify first
    let input = folder.appendingPathComponent("in.age")
    try Data(damaged).write(to: input)
    let output = folder.appendingPathComponent("out.bin")
    #expect(throws: AgeError.self) {
      try AgeFile.decrypt(inputPath: input.path, outputPath: output.path, identities: [identity])
    }
    #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["in.age"])
    try Data(file).write(to: input)
    try AgeFile.decrypt(inputPath: input.path, outputPath: output.path, identities: [identity])
    #expect(try [UInt8](Data(contentsOf: output)) == plaintext)
    let mode = try FileManager.default.attributesOfItem(atPath: output.path)[.posixPermissions]
    #expect(mode as? Int == 0o600)
  }

  @Test func recipientMatchesAgeKeygenDerivation() throws {
    // age-keygen -y (Debian package `age`) derives the recipient independently.
    let identity = AgeIdentity()
    let result = try TestSupport.run(
      "age-keygen", ["-y"], input: Array((identity.encoded + "\n").utf8))
    #expect(result.status == 0, "age-keygen -y failed (is the age package installed?)")
    let derived = String(decoding: result.standardOutput, as: UTF8.self)
      .trimmingCharacters(in: .whitespacesAndNewlines)
    #expect(derived == identity.recipient.description)
  }
}
