import Crypto
import Foundation

/// Encryption and decryption in the age format, version 1
/// (https://age-encryption.org/v1, C2SP), with X25519 recipients.
///
/// - A random 16-byte file key is wrapped for each recipient: an ephemeral
///   X25519 share, HKDF-SHA256 (salt = share || recipient, info
///   "age-encryption.org/v1/X25519") and ChaCha20-Poly1305 with a zero nonce.
/// - The header is authenticated by HMAC-SHA256 under HKDF(file key, info "header").
/// - The payload key is HKDF(file key, salt = 16-byte random nonce, info "payload");
///   the payload is the STREAM construction: 64 KiB chunks, each sealed with
///   ChaCha20-Poly1305 under the nonce (11-byte big-endian chunk counter ||
///   last-chunk flag), so truncation, reordering and appended data fail.
///
/// Both directions stream: memory stays at a few chunks whatever the file size.
public enum Age {
  static let versionLine = Array("age-encryption.org/v1\n".utf8)
  static let x25519Label = Array("age-encryption.org/v1/X25519".utf8)
  static let chunkSize = 64 * 1024
  static let tagSize = 16
  static let fileKeySize = 16
  static let payloadNonceSize = 16
  static let maxHeaderLineBytes = 16 * 1024

  /// Whether input is ASCII-armored.
  public enum ArmorMode: Sendable {
    /// Armored if the input starts (after whitespace) with the BEGIN line.
    case detect
    case armored
    case binary
  }

  static func randomBytes(_ count: Int) -> [UInt8] {
    SymmetricKey(size: SymmetricKeySize(bitCount: count * 8)).withUnsafeBytes { Array($0) }
  }

  static func hkdf(_ inputKeyMaterial: [UInt8], salt: [UInt8], info: [UInt8]) -> SymmetricKey {
    HKDF<SHA256>.deriveKey(
      inputKeyMaterial: SymmetricKey(data: inputKeyMaterial), salt: salt, info: info,
      outputByteCount: 32)
  }

  static func chunkNonce(counter: UInt64, isLast: Bool) -> ChaChaPoly.Nonce {
    var bytes = [UInt8](repeating: 0, count: 12)
    for index in 0..<8 { bytes[10 - index] = UInt8(truncatingIfNeeded: counter >> (8 * index)) }
    bytes[11] = isLast ? 1 : 0
    return try! ChaChaPoly.Nonce(data: bytes)  // 12 bytes is ChaCha20-Poly1305's nonce size.
  }

  static func seal(_ plaintext: [UInt8], key: SymmetricKey, nonce: ChaChaPoly.Nonce) -> [UInt8] {
    // Sealing only fails for a wrong key or nonce size, which are fixed here.
    let box = try! ChaChaPoly.seal(plaintext, using: key, nonce: nonce)
    return [UInt8](box.ciphertext) + [UInt8](box.tag)
  }

  static func open(_ sealed: [UInt8], key: SymmetricKey, nonce: ChaChaPoly.Nonce) -> [UInt8]? {
    guard sealed.count >= tagSize,
      let box = try? ChaChaPoly.SealedBox(
        nonce: nonce, ciphertext: sealed.dropLast(tagSize), tag: sealed.suffix(tagSize)),
      let plaintext = try? ChaChaPoly.open(box, using: key)
    else { return nil }
    return [UInt8](plaintext)
  }

  // MARK: Encryption

  /// Encrypts everything `source` yields to `sink` for `recipients`.
  public static func encrypt(
    from source: ByteSource, to sink: ByteSink, recipients: [AgeRecipient], armored: Bool
  ) throws {
    guard !recipients.isEmpty else { throw AgeError.invalidKey("no recipient given") }
    let output: ByteSink = armored ? try ArmorEncodingSink(sink) : sink
    let fileKey = randomBytes(fileKeySize)
    var header = versionLine
    for recipient in recipients {
      let ephemeral = Curve25519.KeyAgreement.PrivateKey()
      let share = [UInt8](ephemeral.publicKey.rawRepresentation)
      let recipientKey = try Curve25519.KeyAgreement.PublicKey(
        rawRepresentation: recipient.publicKeyBytes)
      let shared = try ephemeral.sharedSecretFromKeyAgreement(with: recipientKey)
        .withUnsafeBytes { Array($0) }
      let wrapKey = hkdf(shared, salt: share + recipient.publicKeyBytes, info: x25519Label)
      let body = seal(
        fileKey, key: wrapKey, nonce: try ChaChaPoly.Nonce(data: [UInt8](repeating: 0, count: 12)))
      let stanza = AgeStanza(
        arguments: [
          "X25519", String(decoding: Base64Strict.encode(share, padded: false), as: UTF8.self),
        ], body: body)
      header += stanza.encoded
    }
    header += Array("---".utf8)
    let mac = HMAC<SHA256>.authenticationCode(
      for: header, using: hkdf(fileKey, salt: [], info: Array("header".utf8)))
    header += [UInt8(ascii: " ")] + Base64Strict.encode([UInt8](mac), padded: false)
    header.append(UInt8(ascii: "\n"))
    let payloadNonce = randomBytes(payloadNonceSize)
    try output.write(header + payloadNonce)

    let payloadKey = hkdf(fileKey, salt: payloadNonce, info: Array("payload".utf8))
    let reader = BufferedByteReader(source)
    var counter: UInt64 = 0
    while true {
      let chunk = try reader.read(upTo: chunkSize)
      let isLast = try chunk.count < chunkSize || reader.isAtEnd()
      try output.write(
        seal(chunk, key: payloadKey, nonce: chunkNonce(counter: counter, isLast: isLast)))
      if isLast { break }
      counter += 1
    }
    if let armor = output as? ArmorEncodingSink { try armor.finish() }
  }

  /// Encrypts bytes in memory.
  public static func encrypt(
    _ plaintext: [UInt8], recipients: [AgeRecipient], armored: Bool = false
  ) throws -> [UInt8] {
    let sink = MemoryByteSink()
    try encrypt(
      from: MemoryByteSource(plaintext), to: sink, recipients: recipients, armored: armored)
    return sink.bytes
  }

  // MARK: Decryption

  /// Decrypts `source` to `sink` with the first identity that opens a stanza.
  /// Plaintext reaches `sink` only chunk by chunk after each chunk verified; a
  /// later chunk may still fail, so callers writing files must write to a
  /// temporary name and keep it only if this returns without error.
  public static func decrypt(
    from source: ByteSource, to sink: ByteSink, identities: [AgeIdentity],
    armor: ArmorMode = .detect
  ) throws {
    let rawReader = BufferedByteReader(source)
    var isArmored = armor == .armored
    if armor == .detect {
      try rawReader.fill(AgeArmor.maxWhitespaceBytes + AgeArmor.beginLine.count)
      let peeked = rawReader.buffer[rawReader.start...].drop(while: AgeArmor.isWhitespace)
      isArmored = peeked.starts(with: AgeArmor.beginLine)
    }
    let reader = isArmored ? BufferedByteReader(ArmorDecodingSource(rawReader)) : rawReader
    let header = try AgeHeader.read(from: reader)
    let fileKey = try unwrapFileKey(header: header, identities: identities)
    let hmacKey = hkdf(fileKey, salt: [], info: Array("header".utf8))
    guard
      HMAC<SHA256>.isValidAuthenticationCode(
        header.mac, authenticating: header.macInput, using: hmacKey)
    else {
      throw AgeError.headerMAC
    }
    let payloadNonce = try reader.read(upTo: payloadNonceSize)
    guard payloadNonce.count == payloadNonceSize else {
      throw AgeError.header("the payload nonce is missing or short")
    }
    let payloadKey = hkdf(fileKey, salt: payloadNonce, info: Array("payload".utf8))
    let sealedChunkSize = chunkSize + tagSize
    var counter: UInt64 = 0
    var chunk = try reader.read(upTo: sealedChunkSize)
    if chunk.isEmpty { throw AgeError.payload("the payload has no chunk (truncated file)") }
    while true {
      guard chunk.count >= tagSize else {
        throw AgeError.payload("chunk \(counter) is shorter than its tag (truncated file)")
      }
      var next: [UInt8] = []
      if chunk.count == sealedChunkSize { next = try reader.read(upTo: sealedChunkSize) }
      let isLast = next.isEmpty
      guard
        let plaintext = open(
          chunk, key: payloadKey, nonce: chunkNonce(counter: counter, isLast: isLast))
      else {
        throw AgeError.payload(
          "chunk \(counter) failed authentication (modified, truncated, reordered or extended file)"
        )
      }
      if isLast && plaintext.isEmpty && counter > 0 {
        throw AgeError.payload("the final chunk is empty, which only an empty file may have")
      }
      try sink.write(plaintext)
      if isLast { return }
      counter += 1
      chunk = next
    }
  }

  /// Decrypts bytes in memory.
  public static func decrypt(
    _ ciphertext: [UInt8], identities: [AgeIdentity], armor: ArmorMode = .detect
  ) throws -> [UInt8] {
    let sink = MemoryByteSink()
    try decrypt(from: MemoryByteSource(ciphertext), to: sink, identities: identities, armor: armor)
    return sink.bytes
  }

  /// Finds the file key: checks every X25519 stanza strictly, then tries each identity.
  static func unwrapFileKey(header: AgeHeader, identities: [AgeIdentity]) throws -> [UInt8] {
    var x25519Stanzas: [(share: [UInt8], body: [UInt8])] = []
    for stanza in header.stanzas {
      if stanza.arguments[0] == "scrypt" && header.stanzas.count > 1 {
        throw AgeError.header("an scrypt stanza must be the only stanza")
      }
      guard stanza.arguments[0] == "X25519" else { continue }
      guard stanza.arguments.count == 2 else {
        throw AgeError.header("an X25519 stanza has exactly one argument")
      }
      guard let share = Base64Strict.decode(Array(stanza.arguments[1].utf8), padded: false),
        share.count == 32
      else { throw AgeError.header("an X25519 share is not 32 bytes of canonical Base64") }
      guard stanza.body.count == fileKeySize + tagSize else {
        throw AgeError.header("an X25519 stanza body is not \(fileKeySize + tagSize) bytes")
      }
      x25519Stanzas.append((share, stanza.body))
    }
    let zeroNonce = try ChaChaPoly.Nonce(data: [UInt8](repeating: 0, count: 12))
    for identity in identities {
      let privateKey = identity.privateKey
      let ourPublicKey = identity.recipient.publicKeyBytes
      for stanza in x25519Stanzas {
        guard
          let theirKey = try? Curve25519.KeyAgreement.PublicKey(rawRepresentation: stanza.share),
          let shared = try? privateKey.sharedSecretFromKeyAgreement(with: theirKey)
            .withUnsafeBytes({ Array($0) }),
          shared.contains(where: { $0 != 0 })
        else {
          // An all-zero shared secret means a low-order share (age spec, X25519).
          throw AgeError.header("an X25519 share is a low-order point")
        }
        let wrapKey = hkdf(shared, salt: stanza.share + ourPublicKey, info: x25519Label)
        if let fileKey = open(stanza.body, key: wrapKey, nonce: zeroNonce) { return fileKey }
      }
    }
    throw AgeError.noMatch
  }
}

/// One recipient stanza of an age header: `-> TYPE ARG...` and a Base64 body.
struct AgeStanza: Equatable {
  var arguments: [String]
  var body: [UInt8]

  var encoded: [UInt8] {
    var output = Array(("-> " + arguments.joined(separator: " ") + "\n").utf8)
    let text = Base64Strict.encode(body, padded: false)
    var start = 0
    // Full 64-column lines, then a final shorter (possibly empty) line.
    while true {
      let end = min(text.count, start + 64)
      output += text[start..<end] + [UInt8(ascii: "\n")]
      if end - start < 64 { break }
      start = end
    }
    return output
  }
}

/// A parsed age header: its stanzas, its MAC, and the bytes the MAC covers.
struct AgeHeader {
  var stanzas: [AgeStanza]
  var mac: [UInt8]
  var macInput: [UInt8]

  static func isArgumentCharacter(_ byte: UInt8) -> Bool { byte >= 33 && byte <= 126 }

  /// Reads a header with the strict grammar of the age spec.
  static func read(from reader: BufferedByteReader) throws -> AgeHeader {
    var consumed: [UInt8] = []
    func nextLine() throws -> [UInt8] {
      guard let line = try reader.readLine(maxLength: Age.maxHeaderLineBytes) else {
        throw AgeError.header("a header line is too long")
      }
      guard line.last == UInt8(ascii: "\n") else {
        throw AgeError.header("the header ends before its MAC line")
      }
      consumed += line
      return Array(line.dropLast())
    }
    guard try nextLine() + [UInt8(ascii: "\n")] == Age.versionLine else {
      throw AgeError.header("the first line is not 'age-encryption.org/v1'")
    }
    var stanzas: [AgeStanza] = []
    while true {
      let line = try nextLine()
      if line.starts(with: Array("--- ".utf8)) {
        let macText = line.dropFirst(4)
        guard macText.count == 43, let mac = Base64Strict.decode(macText, padded: false),
          mac.count == 32
        else { throw AgeError.header("the MAC line does not hold 32 bytes of canonical Base64") }
        let macInput = Array(consumed.dropLast(line.count + 1)) + Array("---".utf8)
        return AgeHeader(stanzas: stanzas, mac: mac, macInput: macInput)
      }
      guard line.starts(with: Array("-> ".utf8)) else {
        throw AgeError.header("a header line starts with neither '-> ' nor '--- '")
      }
      let argumentText = line.dropFirst(3)
      let arguments = argumentText.split(
        separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
      guard !arguments.isEmpty,
        arguments.allSatisfy({ !$0.isEmpty && $0.allSatisfy(isArgumentCharacter) })
      else { throw AgeError.header("a stanza has an empty or invalid argument") }
      var bodyText: [UInt8] = []
      while true {
        let bodyLine = try nextLine()
        guard bodyLine.count <= 64 else {
          throw AgeError.header("a stanza body line is longer than 64 columns")
        }
        bodyText += bodyLine
        if bodyLine.count < 64 { break }
      }
      guard let body = Base64Strict.decode(bodyText, padded: false) else {
        throw AgeError.header("a stanza body is not canonical unpadded Base64")
      }
      stanzas.append(
        AgeStanza(arguments: arguments.map { String(decoding: $0, as: UTF8.self) }, body: body))
    }
  }
}
