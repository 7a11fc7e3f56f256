import Crypto
import Foundation

/// Why a signature or an allowed-signers file was not accepted.
public enum SignatureError: Error, Equatable, CustomStringConvertible {
  case malformed(String)
  case unsupportedKeyType(String)
  case wrongNamespace(expected: String, found: String)
  case invalidSignature
  case signerNotAllowed(String)

  public var description: String {
    switch self {
    case .malformed(let reason): return "malformed signature: \(reason)"
    case .unsupportedKeyType(let type):
      return "key type \(type) is not supported (only ssh-ed25519)"
    case .wrongNamespace(let expected, let found):
      return "signature namespace is '\(found)', expected '\(expected)'"
    case .invalidSignature: return "the signature does not match the signed file"
    case .signerNotAllowed(let reason): return "signer not allowed: \(reason)"
    }
  }
}

/// An OpenSSH Ed25519 public key (`ssh-ed25519 AAAA...`).
public struct SSHPublicKey: Sendable, Equatable {
  /// The 32-byte Ed25519 public key.
  public let ed25519Bytes: [UInt8]

  public init(ed25519Bytes: [UInt8]) { self.ed25519Bytes = ed25519Bytes }

  /// The SSH wire encoding: string "ssh-ed25519", string key.
  public var wireBytes: [UInt8] {
    SSHWire.string(Array("ssh-ed25519".utf8)) + SSHWire.string(ed25519Bytes)
  }

  /// Parses the wire encoding (RFC 8709 section 4).
  public init(wireBytes: [UInt8]) throws(SignatureError) {
    var reader = SSHWire.Reader(wireBytes)
    let type = String(decoding: try reader.string(), as: UTF8.self)
    guard type == "ssh-ed25519" else { throw .unsupportedKeyType(type) }
    let key = try reader.string()
    guard key.count == 32, reader.isAtEnd else {
      throw .malformed("an ssh-ed25519 key has 32 bytes")
    }
    ed25519Bytes = key
  }

  /// Parses `ssh-ed25519 BASE64 [comment]` (an OpenSSH `.pub` line).
  public init(authorizedKeyLine line: String) throws(SignatureError) {
    let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
    guard fields.count >= 2 else { throw .malformed("a public key line has type and key") }
    guard fields[0] == "ssh-ed25519" else { throw .unsupportedKeyType(String(fields[0])) }
    guard let blob = Base64Strict.decode(Array(fields[1].utf8), padded: true) else {
      throw .malformed("the public key is not Base64")
    }
    try self.init(wireBytes: blob)
  }

  /// `ssh-ed25519 BASE64`.
  public var authorizedKeyLine: String {
    "ssh-ed25519 " + String(decoding: Base64Strict.encode(wireBytes, padded: true), as: UTF8.self)
  }

  /// OpenSSH's fingerprint (`ssh-keygen -l`): `SHA256:` and the unpadded
  /// Base64 of the SHA-256 of the wire encoding.
  public var fingerprint: String {
    "SHA256:"
      + String(
        decoding: Base64Strict.encode(Array(SHA256.hash(data: wireBytes)), padded: false),
        as: UTF8.self)
  }
}

/// SSH wire format pieces (RFC 4251 section 5): uint32 lengths, big-endian.
enum SSHWire {
  static func uint32(_ value: UInt32) -> [UInt8] {
    [UInt8(value >> 24), UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)]
  }
  static func string(_ bytes: [UInt8]) -> [UInt8] { uint32(UInt32(bytes.count)) + bytes }

  struct Reader {
    let bytes: [UInt8]
    var position = 0
    init(_ bytes: [UInt8]) { self.bytes = bytes }
    var isAtEnd: Bool { position == bytes.count }

    mutating func take(_ count: Int) throws(SignatureError) -> [UInt8] {
      guard count >= 0, bytes.count - position >= count else {
        throw .malformed("the signature blob is truncated")
      }
      defer { position += count }
      return Array(bytes[position..<position + count])
    }
    mutating func uint32() throws(SignatureError) -> UInt32 {
      try take(4).reduce(0) { $0 << 8 | UInt32($1) }
    }
    mutating func string() throws(SignatureError) -> [UInt8] { try take(Int(try uint32())) }
  }
}

/// A detached signature in OpenSSH's SSHSIG format (PROTOCOL.sshsig in the
/// OpenSSH sources), as `ssh-keygen -Y sign` writes it. Only Ed25519 keys are
/// verified here, with swift-crypto, so a verifier need not trust ssh-keygen.
public struct SSHSignature: Sendable, Equatable {
  static let magic = Array("SSHSIG".utf8)
  static let armorBegin = "-----BEGIN SSH SIGNATURE-----"
  static let armorEnd = "-----END SSH SIGNATURE-----"

  public var publicKey: SSHPublicKey
  public var namespace: String
  /// `sha256` or `sha512` (ssh-keygen's default).
  public var hashAlgorithm: String
  /// The 64-byte Ed25519 signature.
  public var signatureBytes: [UInt8]

  /// Parses the armored form (`-----BEGIN SSH SIGNATURE-----` ...).
  public init(armored text: String) throws(SignatureError) {
    let lines = text.split(whereSeparator: \.isNewline).map {
      $0.trimmingCharacters(in: .whitespaces)
    }.filter { !$0.isEmpty }
    guard lines.first == Self.armorBegin, lines.last == Self.armorEnd, lines.count >= 3 else {
      throw .malformed("not an armored SSH signature")
    }
    guard
      let blob = Base64Strict.decode(
        Array(lines.dropFirst().dropLast().joined().utf8), padded: true)
    else { throw .malformed("the signature is not Base64") }
    var reader = SSHWire.Reader(blob)
    guard try reader.take(6) == Self.magic else { throw .malformed("no SSHSIG preamble") }
    guard try reader.uint32() == 1 else { throw .malformed("unsupported SSHSIG version") }
    publicKey = try SSHPublicKey(wireBytes: try reader.string())
    namespace = String(decoding: try reader.string(), as: UTF8.self)
    _ = try reader.string()  // reserved
    hashAlgorithm = String(decoding: try reader.string(), as: UTF8.self)
    var signatureReader = SSHWire.Reader(try reader.string())
    guard reader.isAtEnd else { throw .malformed("data after the signature") }
    let signatureType = String(decoding: try signatureReader.string(), as: UTF8.self)
    guard signatureType == "ssh-ed25519" else { throw .unsupportedKeyType(signatureType) }
    signatureBytes = try signatureReader.string()
    guard signatureBytes.count == 64, signatureReader.isAtEnd else {
      throw .malformed("an Ed25519 signature has 64 bytes")
    }
    guard hashAlgorithm == "sha512" || hashAlgorithm == "sha256" else {
      throw .malformed("unsupported hash algorithm \(hashAlgorithm)")
    }
  }

  /// The bytes the signer signs: preamble, namespace, reserved, hash name, H(message).
  static func signedData(message: [UInt8], namespace: String, hashAlgorithm: String) -> [UInt8] {
    let digest =
      hashAlgorithm == "sha256"
      ? [UInt8](SHA256.hash(data: message)) : [UInt8](SHA512.hash(data: message))
    return magic + SSHWire.string(Array(namespace.utf8)) + SSHWire.string([])
      + SSHWire.string(Array(hashAlgorithm.utf8)) + SSHWire.string(digest)
  }

  /// Checks the signature over `message` for `namespace`; the caller still
  /// decides whether `publicKey` is allowed (see `AllowedSigners`).
  public func verify(message: [UInt8], namespace expected: String) throws(SignatureError) {
    guard namespace == expected else { throw .wrongNamespace(expected: expected, found: namespace) }
    guard
      let key = try? Curve25519.Signing.PublicKey(rawRepresentation: publicKey.ed25519Bytes),
      key.isValidSignature(
        signatureBytes,
        for: Self.signedData(message: message, namespace: namespace, hashAlgorithm: hashAlgorithm))
    else { throw .invalidSignature }
  }

  /// Signs `message` with an Ed25519 key, as `ssh-keygen -Y sign` would (sha512).
  /// Used for node-side manifests and to test interoperability with ssh-keygen.
  public static func sign(
    message: [UInt8], namespace: String, privateKey: Curve25519.Signing.PrivateKey
  ) throws -> String {
    let publicKey = SSHPublicKey(ed25519Bytes: [UInt8](privateKey.publicKey.rawRepresentation))
    let signature = try privateKey.signature(
      for: signedData(message: message, namespace: namespace, hashAlgorithm: "sha512"))
    let signatureBlob =
      SSHWire.string(Array("ssh-ed25519".utf8)) + SSHWire.string([UInt8](signature))
    let blob =
      magic + SSHWire.uint32(1) + SSHWire.string(publicKey.wireBytes)
      + SSHWire.string(Array(namespace.utf8)) + SSHWire.string([])
      + SSHWire.string(Array("sha512".utf8)) + SSHWire.string(signatureBlob)
    let base64 = String(decoding: Base64Strict.encode(blob, padded: true), as: UTF8.self)
    var lines = [armorBegin]
    var rest = Substring(base64)
    while !rest.isEmpty {
      lines.append(String(rest.prefix(70)))
      rest = rest.dropFirst(70)
    }
    lines.append(armorEnd)
    return lines.joined(separator: "\n") + "\n"
  }
}

/// An OpenSSH allowed-signers file (ssh-keygen(1), "ALLOWED SIGNERS"): lines of
/// `principals [options] keytype base64key [comment]`. Supported options:
/// `namespaces="..."` (comma-separated patterns), `valid-after` and
/// `valid-before` (YYYYMMDD[HHMM[SS]][Z]). `cert-authority` lines and key types
/// other than ssh-ed25519 are not supported and never match.
public struct AllowedSigners: Sendable {
  public struct Entry: Sendable, Equatable {
    public var principals: [String]
    public var namespaces: [String]?
    public var validAfter: Date?
    public var validBefore: Date?
    public var key: SSHPublicKey
  }

  public var entries: [Entry]

  public init(text: String) throws(SignatureError) {
    entries = []
    for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false)
      .enumerated()
    {
      let line = rawLine.trimmingCharacters(in: .whitespaces)
      if line.isEmpty || line.hasPrefix("#") { continue }
      let fields = Self.splitFields(line)
      guard fields.count >= 3 else {
        throw .malformed("allowed signers line \(index + 1) has too few fields")
      }
      var options: [String] = []
      var keyField = 1
      if !fields[1].hasPrefix("ssh-") && !fields[1].hasPrefix("sk-")
        && !fields[1].hasPrefix("ecdsa-")
      {
        options = Self.splitFields(fields[1], separator: ",")
        keyField = 2
      }
      guard fields.count > keyField + 1 else {
        throw .malformed("allowed signers line \(index + 1) has no key")
      }
      if options.contains("cert-authority") || fields[keyField] != "ssh-ed25519" { continue }
      var entry = Entry(
        principals: fields[0].split(separator: ",").map(String.init), namespaces: nil,
        validAfter: nil, validBefore: nil,
        key: try SSHPublicKey(authorizedKeyLine: fields[keyField] + " " + fields[keyField + 1]))
      for option in options {
        let parts = option.split(separator: "=", maxSplits: 1).map(String.init)
        let value = parts.count == 2 ? parts[1].trimmingCharacters(in: ["\""]) : ""
        switch parts[0].lowercased() {
        case "namespaces": entry.namespaces = value.split(separator: ",").map(String.init)
        case "valid-after": entry.validAfter = try Self.parseTime(value, line: index + 1)
        case "valid-before": entry.validBefore = try Self.parseTime(value, line: index + 1)
        default:
          throw .malformed("allowed signers line \(index + 1): unsupported option \(parts[0])")
        }
      }
      entries.append(entry)
    }
  }

  /// Splits on blanks (or `separator`) outside double quotes.
  static func splitFields(_ line: String, separator: Character? = nil) -> [String] {
    var fields: [String] = []
    var current = ""
    var quoted = false
    for character in line {
      if character == "\"" { quoted.toggle() }
      let splits = separator.map { character == $0 } ?? (character == " " || character == "\t")
      if splits && !quoted {
        if !current.isEmpty { fields.append(current) }
        current = ""
      } else {
        current.append(character)
      }
    }
    if !current.isEmpty { fields.append(current) }
    return fields
  }

  static func parseTime(_ text: String, line: Int) throws(SignatureError) -> Date {
    let isUTC = text.hasSuffix("Z")
    let digits = isUTC ? String(text.dropLast()) : text
    guard [8, 12, 14].contains(digits.count), digits.allSatisfy(\.isNumber) else {
      throw .malformed("allowed signers line \(line): bad time '\(text)'")
    }
    let padded = digits + String(repeating: "0", count: 14 - digits.count)
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.dateFormat = "yyyyMMddHHmmss"
    formatter.timeZone = isUTC ? TimeZone(identifier: "UTC") : TimeZone.current
    guard let date = formatter.date(from: padded) else {
      throw .malformed("allowed signers line \(line): bad time '\(text)'")
    }
    return date
  }

  static func matches(pattern: String, _ text: String) -> Bool {
    fnmatch(pattern, text, 0) == 0
  }

  /// The principals allowed to have made `signature` in `namespace` at `date`;
  /// with `principal` given, only that one is considered.
  public func principals(
    for signature: SSHSignature, namespace: String, principal: String?, at date: Date
  ) -> [String] {
    var allowed: [String] = []
    for entry in entries where entry.key == signature.publicKey {
      if let namespaces = entry.namespaces,
        !namespaces.contains(where: { Self.matches(pattern: $0, namespace) })
      {
        continue
      }
      if let validAfter = entry.validAfter, date < validAfter { continue }
      if let validBefore = entry.validBefore, date >= validBefore { continue }
      if let principal {
        if entry.principals.contains(where: { Self.matches(pattern: $0, principal) }) {
          allowed.append(principal)
        }
      } else {
        allowed += entry.principals
      }
    }
    return allowed
  }
}
