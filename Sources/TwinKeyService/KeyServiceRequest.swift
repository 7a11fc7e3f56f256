import Foundation

/// One HTTP request to the key service, as the transport hands it over.
public struct KeyServiceRequest: Sendable {
  /// HTTP method in upper case (`GET`, `PUT`, `POST`, `DELETE`).
  public var method: String
  /// The API path after `/v1/`, without query (`secret/data/twin-sim/jobs/a`).
  public var path: String
  /// Query parameters (`version` for KV v2 reads).
  public var query: [String: String]
  /// The `X-Vault-Token` header, if sent.
  public var token: String?
  /// The `X-Vault-Wrap-TTL` header, if sent.
  public var wrapTTL: String?
  /// The request body (JSON or empty).
  public var body: [UInt8]
  /// The TCP peer's IP address as text (IPv4 or IPv6); bound CIDRs are checked against it.
  public var remoteAddress: String
  public var remotePort: Int

  public init(
    method: String, path: String, query: [String: String] = [:], token: String? = nil,
    wrapTTL: String? = nil, body: [UInt8] = [], remoteAddress: String, remotePort: Int = 0
  ) {
    self.method = method
    self.path = path
    self.query = query
    self.token = token
    self.wrapTTL = wrapTTL
    self.body = body
    self.remoteAddress = remoteAddress
    self.remotePort = remotePort
  }

  /// Splits a request target (`/v1/secret/data/x?version=2`) into API path and
  /// query; nil when it does not start with `/v1/`.
  public static func splitTarget(_ target: String) -> (path: String, query: [String: String])? {
    let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
    let rawPath = String(parts[0])
    guard rawPath.hasPrefix("/v1/") else { return nil }
    let path = (String(rawPath.dropFirst(4)).removingPercentEncoding ?? "")
    var query: [String: String] = [:]
    if parts.count == 2 {
      for pair in parts[1].split(separator: "&") {
        let keyValue = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        let key = String(keyValue[0]).removingPercentEncoding ?? ""
        let value = keyValue.count == 2 ? (String(keyValue[1]).removingPercentEncoding ?? "") : ""
        query[key] = value
      }
    }
    return (path, query)
  }
}

/// The answer: an HTTP status and a JSON body (nil for 204 No Content).
public struct KeyServiceResponse: Sendable {
  public var status: Int
  public var body: JSONValue?

  public init(status: Int, body: JSONValue?) {
    self.status = status
    self.body = body
  }

  static func error(_ error: KeyServiceError) -> KeyServiceResponse {
    KeyServiceResponse(
      status: error.httpStatus,
      body: .object(["errors": .array(error.messages.map(JSONValue.string))])
    )
  }
}
