/// Why an age operation failed. The cases follow the failure classes of the
/// age conformance vectors (C2SP CCTV `age/testdata`), so tests can check that
/// each malformed file fails for the right reason.
public enum AgeError: Error, Equatable, CustomStringConvertible {
  /// A recipient or identity string or file is malformed.
  case invalidKey(String)
  /// The ASCII armor breaks the strict rules of the age spec.
  case armor(String)
  /// The header is malformed (version line, stanzas, MAC line, payload nonce).
  case header(String)
  /// The header MAC does not match: the header was changed.
  case headerMAC
  /// No identity opens any recipient stanza of the file.
  case noMatch
  /// The payload failed authentication or is truncated, reordered or extended.
  case payload(String)
  /// Reading or writing a file failed.
  case io(String)

  public var description: String {
    switch self {
    case .invalidKey(let reason): return "invalid key: \(reason)"
    case .armor(let reason): return "invalid armor: \(reason)"
    case .header(let reason): return "invalid header: \(reason)"
    case .headerMAC: return "header MAC does not match: the file was modified or is damaged"
    case .noMatch: return "no identity matches any recipient of the file"
    case .payload(let reason): return "payload failure: \(reason)"
    case .io(let reason): return reason
    }
  }
}
