import Crypto
import Foundation
import Testing

@testable import TwinSecure

/// The community age conformance vectors (C2SP CCTV `age/testdata`, copied to
/// `Tests/fixtures/standards/age-testkit/testdata`). Every case whose identities
/// include an X25519 identity runs; cases with only scrypt passphrases or
/// post-quantum hybrid identities are counted as skipped, never as passed.
struct AgeConformanceTests {
  struct Vector {
    var name: String
    var expect: String
    var payloadSHA256: String?
    var identities: [String]
    var hasPassphrase = false
    var armored: Bool
    var compressed: Bool
    var ageFile: [UInt8]
  }

  static var testdataFolder: URL {
    TestSupport.standardsFolder.appendingPathComponent("age-testkit/testdata")
  }

  static func loadVectors() throws -> [Vector] {
    let names = try FileManager.default.contentsOfDirectory(atPath: testdataFolder.path).sorted()
    return try names.map { name in
      let bytes = try [UInt8](Data(contentsOf: testdataFolder.appendingPathComponent(name)))
      var vector = Vector(
        name: name, expect: "", payloadSHA256: nil, identities: [], armored: false,
        compressed: false, ageFile: [])
      var position = 0
      while true {
        let newline = bytes[position...].firstIndex(of: UInt8(ascii: "\n"))!
        let line = String(decoding: bytes[position..<newline], as: UTF8.self)
        position = newline + 1
        if line.isEmpty { break }
        let parts = line.split(separator: ":", maxSplits: 1).map {
          $0.trimmingCharacters(in: .whitespaces)
        }
        switch parts[0] {
        case "expect": vector.expect = parts[1]
        case "payload": vector.payloadSHA256 = parts[1]
        case "identity": vector.identities.append(parts[1])
        case "passphrase": vector.hasPassphrase = true
        case "armored": vector.armored = parts[1] == "yes"
        case "compressed": vector.compressed = parts[1] == "zlib"
        default: break
        }
      }
      vector.ageFile = Array(bytes[position...])
      return vector
    }
  }

  /// zlib-inflates with Python's zlib module (Foundation on Linux exposes no zlib).
  static func inflate(_ bytes: [UInt8]) throws -> [UInt8] {
    let result = try TestSupport.run(
      "python3",
      [
        "-c", "import sys, zlib; sys.stdout.buffer.write(zlib.decompress(sys.stdin.buffer.read()))",
      ],
      input: bytes)
    guard result.status == 0 else { throw AgeError.io("zlib: \(result.standardError)") }
    return result.standardOutput
  }

  /// Maps an outcome to the testkit's `expect` vocabulary.
  static func outcome(of error: Error) -> String {
    switch error as? AgeError {
    case .armor: return "armor failure"
    case .header: return "header failure"
    case .headerMAC: return "HMAC failure"
    case .noMatch: return "no match"
    case .payload: return "payload failure"
    default: return "unexpected error: \(error)"
    }
  }

  @Test func everyX25519HeaderHMACStreamAndArmorVectorGivesTheExpectedOutcome() throws {
    let vectors = try Self.loadVectors()
    #expect(vectors.count == 143, "the testkit holds 143 cases")
    var passed: [String] = []
    var skipped: [String] = []
    for vector in vectors {
      let x25519Identities = vector.identities.filter { $0.hasPrefix("AGE-SECRET-KEY-1") }
      if x25519Identities.isEmpty && (!vector.identities.isEmpty || vector.hasPassphrase) {
        // Only scrypt passphrases or ML-KEM hybrid identities: not implemented.
        // (Cases with no key at all, such as an empty file, run with no identity.)
        #expect(
          vector.name.hasPrefix("scrypt") || vector.name.contains("hybrid")
            || vector.name == "armor_scrypt", "unexpected skip: \(vector.name)")
        skipped.append(vector.name)
        continue
      }
      let identities = try x25519Identities.map { try AgeIdentity(parsing: $0) }
      let ageFile = vector.compressed ? try Self.inflate(vector.ageFile) : vector.ageFile
      let result: String
      do {
        let plaintext = try Age.decrypt(
          ageFile, identities: identities, armor: vector.armored ? .armored : .binary)
        let digest = SHA256.hash(data: plaintext).map { String(format: "%02x", $0) }.joined()
        result = digest == vector.payloadSHA256 ? "success" : "success with wrong payload"
      } catch {
        result = Self.outcome(of: error)
      }
      #expect(result == vector.expect, "\(vector.name): expected \(vector.expect), got \(result)")
      if result == vector.expect { passed.append(vector.name) }
    }
    let skippedList = skipped.joined(separator: " ")
    print(
      "age testkit: \(passed.count) passed, \(skipped.count) skipped (scrypt/hybrid): \(skippedList)"
    )
    // Every case outside the scrypt and hybrid families must have run.
    let mustRun = vectors.filter {
      !$0.name.hasPrefix("scrypt") && !$0.name.hasPrefix("hybrid") && $0.name != "armor_scrypt"
        && $0.name != "armor_hybrid"
    }
    #expect(mustRun.allSatisfy { !skipped.contains($0.name) })
  }
}
