import Crypto
import Foundation
import TwinTime

/// An age X25519 recipient (`age1...`): the public key files are encrypted to.
public struct AgeRecipient: Sendable, Equatable, CustomStringConvertible {
  /// The 32-byte Curve25519 public key.
  public let publicKeyBytes: [UInt8]

  public init(publicKeyBytes: [UInt8]) throws(AgeError) {
    guard publicKeyBytes.count == 32 else {
      throw AgeError.invalidKey("an X25519 public key has 32 bytes, found \(publicKeyBytes.count)")
    }
    self.publicKeyBytes = publicKeyBytes
  }

  /// Parses `age1...` (Bech32, lower case, 32 bytes).
  public init(parsing text: String) throws(AgeError) {
    let decoded: (humanReadablePart: String, data: [UInt8])
    do { decoded = try Bech32.decode(text) } catch {
      throw AgeError.invalidKey("recipient '\(text)' is not valid Bech32: \(error)")
    }
    guard decoded.humanReadablePart == "age", text == text.lowercased() else {
      throw AgeError.invalidKey("recipient '\(text)' does not start with 'age1' (lower case)")
    }
    try self.init(publicKeyBytes: decoded.data)
  }

  /// The `age1...` form.
  public var description: String { Bech32.encode(humanReadablePart: "age", data: publicKeyBytes) }
}

/// An age X25519 identity (`AGE-SECRET-KEY-1...`): the secret key that opens files.
public struct AgeIdentity: Sendable {
  /// The 32-byte X25519 secret scalar (swift-crypto's key type is not Sendable).
  let secretBytes: [UInt8]

  var privateKey: Curve25519.KeyAgreement.PrivateKey {
    // The bytes were validated as a key when the identity was made.
    try! Curve25519.KeyAgreement.PrivateKey(rawRepresentation: secretBytes)
  }

  /// A fresh random identity.
  public init() {
    secretBytes = [UInt8](Curve25519.KeyAgreement.PrivateKey().rawRepresentation)
  }

  /// Parses `AGE-SECRET-KEY-1...` (Bech32, upper case, 32 bytes).
  public init(parsing text: String) throws(AgeError) {
    let decoded: (humanReadablePart: String, data: [UInt8])
    do { decoded = try Bech32.decode(text) } catch {
      throw AgeError.invalidKey("identity is not valid Bech32: \(error)")
    }
    guard decoded.humanReadablePart == "age-secret-key-", text == text.uppercased() else {
      throw AgeError.invalidKey("identity does not start with 'AGE-SECRET-KEY-1' (upper case)")
    }
    guard decoded.data.count == 32,
      (try? Curve25519.KeyAgreement.PrivateKey(rawRepresentation: decoded.data)) != nil
    else { throw AgeError.invalidKey("an X25519 identity has 32 bytes") }
    secretBytes = decoded.data
  }

  /// The `AGE-SECRET-KEY-1...` form. A secret: never log it.
  public var encoded: String {
    Bech32.encode(
      humanReadablePart: "age-secret-key-", data: secretBytes
    ).uppercased()
  }

  /// The recipient that files for this identity are encrypted to.
  public var recipient: AgeRecipient {
    // A Curve25519 public key always has 32 bytes.
    try! AgeRecipient(publicKeyBytes: [UInt8](privateKey.publicKey.rawRepresentation))
  }

  /// Parses an identity file as age-keygen writes it: `#` comments and empty
  /// lines are ignored, every other line is one `AGE-SECRET-KEY-1...`.
  public static func parseIdentityFile(_ text: String) throws(AgeError) -> [AgeIdentity] {
    var identities: [AgeIdentity] = []
    for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false)
      .enumerated()
    {
      let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
      if line.isEmpty || line.hasPrefix("#") { continue }
      do { identities.append(try AgeIdentity(parsing: String(line))) } catch {
        throw AgeError.invalidKey("line \(index + 1) of the identity file: \(error)")
      }
    }
    if identities.isEmpty { throw AgeError.invalidKey("the identity file holds no identity") }
    return identities
  }

  /// The identity file text age-keygen writes: creation time, public key, secret key.
  public func identityFileText(created: Date) -> String {
    return """
      # created: \(UTCTime.string(created))
      # public key: \(recipient)
      \(encoded)

      """
  }
}
