import Crypto
import Foundation
import SwiftASN1
import X509

/// The server's state folder (`--state-dir`, mode 0700):
///
/// | file | content | kept across restarts |
/// |---|---|---|
/// | `ca.pem` | the CA certificate clients pin (`VAULT_CACERT`) | yes |
/// | `ca-key.pem` | the CA's P-256 key (0600), to issue the server certificate | yes |
/// | `audit-hmac-key` | the audit HMAC-SHA256 key, 64 hex digits (0600) | yes |
/// | `root-token` | the root token of the running server (0600) | rewritten each start |
///
/// The server certificate is issued anew at every start (P-256, valid 30 days)
/// for `localhost`, 127.0.0.1, ::1, the listen address and every extra name, so
/// it always matches where the server listens; it lives in memory only.
public struct StateDirectory: Sendable {
  public let path: String

  public init(path: String) throws(KeyServiceError) {
    self.path = path
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
      guard isDirectory.boolValue else {
        throw .internalError("state dir \(path) exists and is not a folder")
      }
    } else if mkdir(path, 0o700) != 0 {
      throw .internalError("cannot create state dir \(path): \(String(cString: strerror(errno)))")
    }
  }

  public var caCertificatePath: String { path + "/ca.pem" }
  public var caKeyPath: String { path + "/ca-key.pem" }
  public var auditKeyPath: String { path + "/audit-hmac-key" }
  public var rootTokenPath: String { path + "/root-token" }

  /// The audit HMAC key, created (32 random bytes) on first use.
  public func auditKey() throws(KeyServiceError) -> SymmetricKey {
    if let text = try readIfPresent(auditKeyPath) {
      let hex = text.trimmingCharacters(in: .whitespacesAndNewlines)
      guard hex.count == 64, let bytes = StateDirectory.bytes(hex: hex) else {
        throw .internalError("\(auditKeyPath): expected 64 hex digits")
      }
      return SymmetricKey(data: bytes)
    }
    let key = SymmetricKey(size: .bits256)
    let hex = key.withUnsafeBytes { $0.map { String(format: "%02x", $0) }.joined() }
    try writePrivate(auditKeyPath, hex + "\n")
    return key
  }

  /// Writes the root token (mode 0600), replacing an earlier one.
  public func writeRootToken(_ token: String) throws(KeyServiceError) {
    try writePrivate(rootTokenPath, token + "\n")
  }

  /// The CA (created on first use) and a fresh server certificate for `names`
  /// (host names or IP addresses), as PEM text.
  public func serverCredentials(names: [String], now: Date = Date()) throws(KeyServiceError) -> (
    certificateChainPEM: [String], privateKeyPEM: String
  ) {
    do {
      let (caCertificate, caKey) = try loadOrCreateCA(now: now)
      let serverKey = P256.Signing.PrivateKey()
      let serverPublic = Certificate.PublicKey(serverKey.publicKey)
      var alternativeNames: [GeneralName] = []
      for name in Set(["localhost", "127.0.0.1", "::1"] + names).sorted() {
        if let bytes = CIDR.addressBytes(name) {
          alternativeNames.append(.ipAddress(ASN1OctetString(contentBytes: bytes[...])))
        } else if !name.isEmpty {
          alternativeNames.append(.dnsName(name))
        }
      }
      let subject = try DistinguishedName { CommonName("twin-sim kms server") }
      let extensions = try Certificate.Extensions {
        Critical(BasicConstraints.notCertificateAuthority)
        Critical(KeyUsage(digitalSignature: true))
        try ExtendedKeyUsage([.serverAuth])
        SubjectAlternativeNames(alternativeNames)
        SubjectKeyIdentifier(hash: serverPublic)
        AuthorityKeyIdentifier(keyIdentifier: try caKeyIdentifier(caCertificate))
      }
      let certificate = try Certificate(
        version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: serverPublic,
        notValidBefore: now.addingTimeInterval(-300),
        notValidAfter: now.addingTimeInterval(30 * 86400),
        issuer: caCertificate.subject, subject: subject, signatureAlgorithm: .ecdsaWithSHA256,
        extensions: extensions, issuerPrivateKey: Certificate.PrivateKey(caKey))
      return (
        [try certificate.serializeAsPEM().pemString, try caCertificate.serializeAsPEM().pemString],
        serverKey.pemRepresentation
      )
    } catch let error as KeyServiceError {
      throw error
    } catch {
      throw .internalError("cannot make TLS certificates in \(path): \(error)")
    }
  }

  func caKeyIdentifier(_ certificate: Certificate) throws -> ArraySlice<UInt8> {
    if let identifier = try certificate.extensions.subjectKeyIdentifier {
      return identifier.keyIdentifier
    }
    return SubjectKeyIdentifier(hash: certificate.publicKey).keyIdentifier
  }

  func loadOrCreateCA(now: Date) throws -> (Certificate, P256.Signing.PrivateKey) {
    let certificateText = try readIfPresent(caCertificatePath)
    let keyText = try readIfPresent(caKeyPath)
    if let certificateText, let keyText {
      let certificate = try Certificate(pemEncoded: certificateText)
      let key = try P256.Signing.PrivateKey(pemRepresentation: keyText)
      guard certificate.publicKey == Certificate.PublicKey(key.publicKey) else {
        throw KeyServiceError.internalError("\(caKeyPath) does not belong to \(caCertificatePath)")
      }
      return (certificate, key)
    }
    if certificateText != nil || keyText != nil {
      throw KeyServiceError.internalError(
        "\(path) holds only one of ca.pem and ca-key.pem: remove it to start afresh")
    }
    let key = P256.Signing.PrivateKey()
    let publicKey = Certificate.PublicKey(key.publicKey)
    let name = try DistinguishedName {
      OrganizationName("twin-sim")
      CommonName("twin-sim kms CA")
    }
    let extensions = try Certificate.Extensions {
      Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
      Critical(KeyUsage(keyCertSign: true, cRLSign: true))
      SubjectKeyIdentifier(hash: publicKey)
    }
    let certificate = try Certificate(
      version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: publicKey,
      notValidBefore: now.addingTimeInterval(-300),
      notValidAfter: now.addingTimeInterval(3650 * 86400),
      issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256, extensions: extensions,
      issuerPrivateKey: Certificate.PrivateKey(key))
    try writePrivate(caKeyPath, key.pemRepresentation + "\n")
    try writeFile(caCertificatePath, try certificate.serializeAsPEM().pemString + "\n", mode: 0o644)
    return (certificate, key)
  }

  func readIfPresent(_ file: String) throws(KeyServiceError) -> String? {
    guard FileManager.default.fileExists(atPath: file) else { return nil }
    guard let data = FileManager.default.contents(atPath: file) else {
      throw .internalError("cannot read \(file)")
    }
    return String(decoding: data, as: UTF8.self)
  }

  func writePrivate(_ file: String, _ text: String) throws(KeyServiceError) {
    try writeFile(file, text, mode: 0o600)
  }

  /// Writes under a temporary name with `mode`, then renames, so a reader
  /// never sees a partial file.
  func writeFile(_ file: String, _ text: String, mode: mode_t) throws(KeyServiceError) {
    let temporary = file + ".tmp-\(getpid())"
    let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
    guard descriptor >= 0 else {
      throw .internalError("cannot write \(file): \(String(cString: strerror(errno)))")
    }
    let bytes = Array(text.utf8)
    let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress!, $0.count) }
    fchmod(descriptor, mode)
    close(descriptor)
    guard written == bytes.count, rename(temporary, file) == 0 else {
      unlink(temporary)
      throw .internalError("cannot write \(file): \(String(cString: strerror(errno)))")
    }
  }

  static func bytes(hex: String) -> [UInt8]? {
    var result: [UInt8] = []
    var iterator = hex.makeIterator()
    while let high = iterator.next() {
      guard let low = iterator.next(), let byte = UInt8(String([high, low]), radix: 16) else {
        return nil
      }
      result.append(byte)
    }
    return result
  }
}
