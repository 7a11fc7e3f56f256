/// A refused request, with the HTTP status and message Vault would answer.
public enum KeyServiceError: Error, Sendable, Equatable, CustomStringConvertible {
  /// 400: malformed or contradictory request (`message` names the key at fault).
  case badRequest(String)
  /// 403: missing, unknown, expired, exhausted or out-of-CIDR token, or a policy refusal.
  case permissionDenied
  /// 404: no such secret (empty errors list, as Vault's KV v2) or no such route.
  case notFound(String?)
  /// 405: a method the path does not take.
  case unsupportedOperation
  /// 500: the server could not do its part (audit log not writable).
  case internalError(String)

  public var httpStatus: Int {
    switch self {
    case .badRequest: return 400
    case .permissionDenied: return 403
    case .notFound: return 404
    case .unsupportedOperation: return 405
    case .internalError: return 500
    }
  }

  /// The `errors` list of Vault's error envelope.
  public var messages: [String] {
    switch self {
    case .badRequest(let message), .internalError(let message): return [message]
    case .permissionDenied: return ["permission denied"]
    case .notFound(let message): return message.map { [$0] } ?? []
    case .unsupportedOperation: return ["unsupported operation"]
    }
  }

  public var description: String {
    messages.isEmpty ? "HTTP \(httpStatus)" : messages.joined(separator: "; ")
  }
}
