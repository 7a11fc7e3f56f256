import Foundation

/// The operations twin-sim needs, on top of `VaultClient.call`.
extension VaultClient {
  /// Splits `secret/twin-sim/jobs/a` into the KV v2 mount (`secret`) and the
  /// path inside it, as `vault kv` does with its first path segment.
  public static func kvLocation(_ path: String) throws(VaultClientError) -> (
    mount: String, path: String
  ) {
    let trimmed = path.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
    let parts = trimmed.split(separator: "/", maxSplits: 1)
    guard parts.count == 2, !parts[1].isEmpty else {
      throw .configuration(
        "KV path \"\(path)\" must be MOUNT/PATH, e.g. secret/twin-sim/jobs/job1")
    }
    return (String(parts[0]), String(parts[1]))
  }

  /// Writes a new version of a KV v2 secret; returns the version metadata
  /// (`version`, `created_time`).
  @discardableResult
  public func kvPut(_ path: String, data: [String: JSONValue]) throws(VaultClientError)
    -> JSONValue
  {
    let (mount, inner) = try VaultClient.kvLocation(path)
    let response = try call(
      "POST", "\(mount)/data/\(inner)",
      body: .object(["data": .object(data), "options": .object([:])]))
    return response.body?["data"] ?? .null
  }

  /// Reads a KV v2 secret (latest version, or `version`); returns its key/value
  /// pairs. A missing secret is `.server(status: 404, ...)`.
  public func kvGet(_ path: String, version: Int? = nil) throws(VaultClientError)
    -> [String: JSONValue]
  {
    let (mount, inner) = try VaultClient.kvLocation(path)
    let query = version.map { ["version": String($0)] } ?? [:]
    let response = try call("GET", "\(mount)/data/\(inner)", query: query)
    guard let data = response.body?["data"]?["data"]?.objectValue else {
      throw .invalidResponse("\(path): the answer holds no data.data object (not a KV v2 mount?)")
    }
    return data
  }

  /// Writes an ACL policy (HCL or JSON text).
  public func writePolicy(name: String, text: String) throws(VaultClientError) {
    try call("PUT", "sys/policies/acl/\(name)", body: .object(["policy": .string(text)]))
  }

  /// What `auth/token/create` takes.
  public struct TokenRequest: Sendable {
    public var policies: [String] = []
    /// Duration text (`1h`, `90s`) or nil for the server's default.
    public var ttl: String?
    /// 0: unlimited.
    public var numUses = 0
    public var noDefaultPolicy = false
    /// CIDRs the token is bound to. Real Vault binds CIDRs only through token
    /// roles; twin-sim's server also takes them here (extension), and the
    /// client refuses a server that ignored them.
    public var boundCIDRs: [String] = []
    public var role: String?
    public var displayName: String?

    public init() {}
  }

  /// Creates a token; with `wrapTTL` the answer holds only `wrap_info`.
  /// Returns the whole response body.
  public func createToken(_ request: TokenRequest, wrapTTL: String? = nil)
    throws(VaultClientError) -> JSONValue
  {
    var body: [String: JSONValue] = [:]
    if !request.policies.isEmpty {
      body["policies"] = .array(request.policies.map(JSONValue.string))
    }
    if let ttl = request.ttl { body["ttl"] = .string(ttl) }
    if request.numUses > 0 { body["num_uses"] = .integer(request.numUses) }
    if request.noDefaultPolicy { body["no_default_policy"] = .bool(true) }
    if !request.boundCIDRs.isEmpty {
      body["bound_cidrs"] = .array(request.boundCIDRs.map(JSONValue.string))
    }
    if let name = request.displayName { body["display_name"] = .string(name) }
    let path = request.role.map { "auth/token/create/\($0)" } ?? "auth/token/create"
    let response = try call("POST", path, body: .object(body), wrapTTL: wrapTTL)
    guard let answer = response.body else {
      throw .invalidResponse("\(path): empty answer")
    }
    if !request.boundCIDRs.isEmpty, case .array(let warnings)? = answer["warnings"],
      warnings.contains(where: { $0.stringValue?.contains("bound_cidrs") == true })
    {
      throw .invalidResponse(
        "the key service ignored bound_cidrs (HashiCorp Vault binds CIDRs only through token "
          + "roles: create a role with token_bound_cidrs and use --role); the token it made is "
          + "not bound, revoke it")
    }
    return answer
  }

  /// Unwraps a response-wrapping token (single use) and returns the wrapped
  /// response. Without a client token of its own, the client authenticates with
  /// the wrapping token itself, as `vault unwrap` does.
  public func unwrap(_ wrappingToken: String?) throws(VaultClientError) -> JSONValue {
    let response: Response
    if let wrappingToken, token != nil {
      response = try call(
        "POST", "sys/wrapping/unwrap", body: .object(["token": .string(wrappingToken)]))
    } else if let wrappingToken {
      response = try call("POST", "sys/wrapping/unwrap", body: .object([:]), token: wrappingToken)
    } else {
      guard token != nil else {
        throw .configuration("no wrapping token: give one or set VAULT_TOKEN to it")
      }
      response = try call("POST", "sys/wrapping/unwrap", body: .object([:]))
    }
    guard let body = response.body else { throw .invalidResponse("unwrap: empty answer") }
    return body
  }

  /// The fields `-field` can name in a response, as the vault CLI shows them:
  /// for token answers `token`, `token_accessor`, `token_duration`,
  /// `token_renewable`, `token_policies`, `policies`; for wrap answers
  /// `wrapping_token`, `wrapping_accessor`, `wrapping_token_ttl`,
  /// `wrapping_token_creation_time`, `wrapping_token_creation_path`,
  /// `wrapped_accessor`; otherwise the keys of `data` (of `data.data` for a KV
  /// v2 read).
  public static func fields(of body: JSONValue) -> [(String, JSONValue)] {
    if case .object(let wrap)? = body["wrap_info"] {
      return [
        ("wrapping_token", wrap["token"] ?? .null),
        ("wrapping_accessor", wrap["accessor"] ?? .null),
        ("wrapping_token_ttl", wrap["ttl"] ?? .null),
        ("wrapping_token_creation_time", wrap["creation_time"] ?? .null),
        ("wrapping_token_creation_path", wrap["creation_path"] ?? .null),
        ("wrapped_accessor", wrap["wrapped_accessor"] ?? .null),
      ].filter { !$0.1.isNull }
    }
    if case .object(let auth)? = body["auth"] {
      return [
        ("token", auth["client_token"] ?? .null),
        ("token_accessor", auth["accessor"] ?? .null),
        ("token_duration", auth["lease_duration"] ?? .null),
        ("token_renewable", auth["renewable"] ?? .null),
        ("token_policies", auth["token_policies"] ?? .null),
        ("identity_policies", auth["identity_policies"] ?? .null),
        ("policies", auth["policies"] ?? .null),
      ].filter { !$0.1.isNull }
    }
    var data = body["data"]?.objectValue ?? [:]
    if case .object(let inner)? = data["data"], data["metadata"] != nil { data = inner }
    return data.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
  }
}
