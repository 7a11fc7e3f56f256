import Crypto
import Foundation

/// Vault-style file audit device: one JSON line per request (`"type":"request"`,
/// written before the request is served) and one per response
/// (`"type":"response"`), sharing `request.id`. Tokens, accessors and every
/// string value in request and response data appear only as
/// `hmac-sha256:<hex>` of HMAC-SHA256 with the server's audit key, so an
/// operator holding the key can check whether a known value occurs, and nobody
/// can read one back. The file is opened with O_APPEND (mode 0600) and never
/// rewritten.
public struct AuditLog: Sendable {
  let descriptor: Int32?
  /// The HMAC key's bytes (swift-crypto's SymmetricKey is not Sendable).
  let keyBytes: [UInt8]

  /// Opens (creating, mode 0600) `path` for appending; nil `path` only hashes.
  public init(path: String?, key: SymmetricKey) throws(KeyServiceError) {
    keyBytes = key.withUnsafeBytes { Array($0) }
    guard let path else {
      descriptor = nil
      return
    }
    let opened = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
    guard opened >= 0 else {
      throw .internalError("cannot open audit log \(path): \(String(cString: strerror(errno)))")
    }
    descriptor = opened
  }

  /// `hmac-sha256:` and the lowercase hex HMAC-SHA256 of `value`.
  public func hash(_ value: String) -> String {
    let mac = HMAC<SHA256>.authenticationCode(
      for: Data(value.utf8), using: SymmetricKey(data: keyBytes))
    return "hmac-sha256:" + mac.map { String(format: "%02x", $0) }.joined()
  }

  /// Every string leaf of `value` replaced by its HMAC; structure, numbers and
  /// booleans kept (as Vault's audit devices do by default).
  public func hashStrings(_ value: JSONValue) -> JSONValue {
    switch value {
    case .string(let text): return .string(hash(text))
    case .array(let items): return .array(items.map(hashStrings))
    case .object(let members): return .object(members.mapValues(hashStrings))
    default: return value
    }
  }

  /// Appends one line; throws when the write fails, so the caller refuses the
  /// request (Vault refuses to serve what it cannot audit).
  func append(_ entry: JSONValue) throws(KeyServiceError) {
    guard let descriptor else { return }
    let line = Array((entry.serialized() + "\n").utf8)
    var written = 0
    while written < line.count {
      let result = line.withUnsafeBytes { raw in
        write(descriptor, raw.baseAddress! + written, raw.count - written)
      }
      if result < 0 {
        if errno == EINTR { continue }
        throw .internalError("audit log write failed: \(String(cString: strerror(errno)))")
      }
      written += result
    }
  }

  /// Closes the file (at server shutdown).
  public func close() {
    if let descriptor { closeDescriptor(descriptor) }
  }
}

/// libc's close(2), out of reach of `AuditLog.close()`'s name.
private func closeDescriptor(_ descriptor: Int32) {
  _ = close(descriptor)
}
