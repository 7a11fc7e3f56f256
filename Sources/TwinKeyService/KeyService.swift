import Crypto
import Foundation
import NIOConcurrencyHelpers

/// The key service's state and request handling: a subset of HashiCorp Vault's
/// HTTP API (docs/security.md, "Key service"). Everything lives in memory; a
/// restart forgets secrets, policies, roles and tokens.
///
/// Thread-safe: requests are handled one at a time under a lock, which also
/// orders the audit log.
public final class KeyService: Sendable {
  /// Vault's default and maximum token TTL (768 h) when neither request nor role sets one.
  public static let defaultTokenTTLSeconds = 768 * 3600

  /// The root token (policy `root`, no expiry, no use limit).
  public let rootToken: String
  let state: NIOLockedValueBox<State>
  let audit: AuditLog
  let now: @Sendable () -> Date

  /// - Parameters:
  ///   - audit: where audit lines go and the HMAC key they use.
  ///   - rootToken: the root token's ID (default: a new random one).
  ///   - now: the clock (tests advance it to expire tokens).
  public init(
    audit: AuditLog, rootToken: String? = nil, now: @escaping @Sendable () -> Date = Date.init
  ) {
    let root = rootToken ?? KeyService.newTokenID()
    self.rootToken = root
    self.audit = audit
    self.now = now
    var initial = State()
    let created = now()
    initial.tokens[root] = Token(
      id: root, accessor: KeyService.newAccessor(), policies: ["root"], createdAt: created,
      ttlSeconds: 0, expiresAt: nil, usesLeft: 0, boundCIDRs: [], displayName: "root",
      creationPath: "auth/token/root", parent: nil, role: nil, meta: .null, wrapped: nil)
    state = NIOLockedValueBox(initial)
  }

  /// Serves one request: audit request line, authentication, policy check,
  /// the endpoint, response wrapping, audit response line.
  public func handle(_ request: KeyServiceRequest) -> KeyServiceResponse {
    state.withLockedValue { state in
      var context = RequestContext(
        request: request, requestID: UUID().uuidString.lowercased(), now: now())
      context.parseBody()
      let requestEntry = auditEntry(type: "request", context: context, state: state, response: nil)
      do throws(KeyServiceError) {
        try audit.append(requestEntry)
      } catch {
        return KeyServiceResponse.error(error)
      }
      let response: KeyServiceResponse
      do throws(KeyServiceError) {
        response = try serve(&context, state: &state)
      } catch {
        context.errorMessage = error.messages.joined(separator: "; ")
        response = KeyServiceResponse.error(error)
      }
      do throws(KeyServiceError) {
        try audit.append(
          auditEntry(type: "response", context: context, state: state, response: response))
      } catch {
        return KeyServiceResponse.error(error)
      }
      return response
    }
  }

  // MARK: - State

  struct Token {
    var id: String
    var accessor: String
    var policies: [String]
    var createdAt: Date
    var ttlSeconds: Int
    var expiresAt: Date?
    /// Remaining uses; 0 means unlimited.
    var usesLeft: Int
    var boundCIDRs: [CIDR]
    var displayName: String
    var creationPath: String
    /// The parent token's ID; nil for root and orphan tokens. A token is valid
    /// only while every ancestor is (Vault revokes children with their parent).
    var parent: String?
    var role: String?
    var meta: JSONValue
    /// For response-wrapping tokens: the response they wrap.
    var wrapped: JSONValue?

    var isRoot: Bool { policies.contains("root") }
  }

  struct Role {
    var name: String
    var allowedPolicies: [String] = []
    var disallowedPolicies: [String] = []
    var orphan = false
    var boundCIDRs: [CIDR] = []
    var ttlSeconds = 0
    var maxTTLSeconds = 0
    var numUses = 0
    var noDefaultPolicy = false
  }

  struct SecretVersion {
    var data: JSONValue
    var createdAt: Date
  }

  struct State {
    var tokens: [String: Token] = [:]
    var roles: [String: Role] = [:]
    var policies: [String: VaultPolicy] = [:]
    /// KV v2 under `secret/`: path -> versions (version n at index n-1).
    var secrets: [String: [SecretVersion]] = [:]
  }

  struct RequestContext {
    let request: KeyServiceRequest
    let requestID: String
    let now: Date
    var body: JSONValue = .object([:])
    var bodyError: String?
    var operation = "read"
    var mountType = ""
    var caller: Token?
    var errorMessage: String?

    init(request: KeyServiceRequest, requestID: String, now: Date) {
      self.request = request
      self.requestID = requestID
      self.now = now
      switch request.method {
      case "GET": operation = "read"
      case "DELETE": operation = "delete"
      default: operation = "update"
      }
    }

    mutating func parseBody() {
      guard !request.body.allSatisfy({ $0 == 0x20 || $0 == 0x0a || $0 == 0x0d || $0 == 0x09 })
      else { return }
      do {
        let parsed = try JSONValue.parse(request.body)
        guard case .object = parsed else {
          bodyError = "failed to parse JSON input: expected an object"
          return
        }
        body = parsed
      } catch {
        bodyError = "failed to parse JSON input: malformed JSON"
      }
    }
  }

  // MARK: - Routing

  func serve(_ context: inout RequestContext, state: inout State) throws(KeyServiceError)
    -> KeyServiceResponse
  {
    let path = context.request.path
    let method = context.request.method
    let isWrite = method == "PUT" || method == "POST"
    if path == "sys/health" {
      guard method == "GET" else { throw .unsupportedOperation }
      return KeyServiceResponse(
        status: 200,
        body: .object([
          "initialized": .bool(true), "sealed": .bool(false), "standby": .bool(false),
          "server_time_utc": .integer(Int(context.now.timeIntervalSince1970)),
          "version": .string("twin-sim-kms"),
        ]))
    }
    if let bodyError = context.bodyError { throw .badRequest(bodyError) }
    if path == "sys/wrapping/unwrap" {
      guard isWrite else { throw .unsupportedOperation }
      return try unwrap(&context, state: &state)
    }
    if path == "sys/wrapping/lookup" {
      guard isWrite else { throw .unsupportedOperation }
      return try wrappingLookup(&context, state: &state)
    }

    var response: KeyServiceResponse
    var wrappedAccessor: String? = nil
    if path.hasPrefix("secret/data/"), path.count > "secret/data/".count {
      context.mountType = "kv"
      let secretPath = String(path.dropFirst("secret/data/".count))
      switch method {
      case "GET":
        try authorize(&context, state: &state, capabilities: ["read"])
        response = try readSecret(secretPath, context: context, state: state)
      case "PUT", "POST":
        let exists = state.secrets[secretPath] != nil
        context.operation = exists ? "update" : "create"
        try authorize(&context, state: &state, capabilities: [exists ? "update" : "create"])
        response = try writeSecret(secretPath, context: context, state: &state)
      default: throw .unsupportedOperation
      }
    } else if let name = KeyService.suffix(of: path, after: ["sys/policies/acl/", "sys/policy/"]) {
      context.mountType = "system"
      response = try policyEndpoint(name: name, context: &context, state: &state)
    } else if path == "auth/token/create" || path == "auth/token/create-orphan"
      || path.hasPrefix("auth/token/create/")
    {
      context.mountType = "token"
      guard isWrite else { throw .unsupportedOperation }
      try authorize(&context, state: &state, capabilities: ["create", "update"])
      let roleName =
        path.hasPrefix("auth/token/create/")
        ? String(path.dropFirst("auth/token/create/".count)) : nil
      let created = try createToken(
        context: context, state: &state, roleName: roleName,
        orphan: path == "auth/token/create-orphan")
      response = created.response
      wrappedAccessor = created.accessor
    } else if let name = KeyService.suffix(of: path, after: ["auth/token/roles/"]) {
      context.mountType = "token"
      response = try roleEndpoint(name: name, context: &context, state: &state)
    } else if path == "auth/token/lookup-self" {
      context.mountType = "token"
      guard method == "GET" else { throw .unsupportedOperation }
      try authorize(&context, state: &state, capabilities: ["read"])
      guard let caller = context.caller else { throw .permissionDenied }
      response = envelope(data: tokenDescription(caller, now: context.now))
    } else if path == "auth/token/lookup" {
      context.mountType = "token"
      guard isWrite else { throw .unsupportedOperation }
      try authorize(&context, state: &state, capabilities: ["update"])
      let target = try KeyService.requiredString(context.body["token"], key: "token")
      guard let token = validToken(target, state: &state, now: context.now), token.wrapped == nil
      else { throw .badRequest("bad token") }
      response = envelope(data: tokenDescription(token, now: context.now))
    } else if path == "auth/token/revoke-self" || path == "auth/token/revoke" {
      context.mountType = "token"
      guard isWrite else { throw .unsupportedOperation }
      try authorize(&context, state: &state, capabilities: ["update"])
      let target =
        path == "auth/token/revoke"
        ? try KeyService.requiredString(context.body["token"], key: "token")
        : (context.caller?.id ?? "")
      KeyService.revoke(target, state: &state)
      return KeyServiceResponse(status: 204, body: nil)
    } else if path.hasPrefix("sys/internal/ui/mounts/") {
      // What the vault CLI asks before `vault kv get` to learn the KV version.
      context.mountType = "system"
      guard method == "GET" else { throw .unsupportedOperation }
      try authenticate(&context, state: &state)
      spendUse(&context, state: &state)
      let mountPath = String(path.dropFirst("sys/internal/ui/mounts/".count))
      guard mountPath == "secret" || mountPath.hasPrefix("secret/") else {
        throw .permissionDenied
      }
      response = envelope(
        data: .object([
          "path": .string("secret/"), "type": .string("kv"),
          "options": .object(["version": .string("2")]), "description": .string(""),
        ]))
    } else {
      throw .notFound("no handler for route \"\(path)\". route entry not found.")
    }

    if let wrapTTLText = context.request.wrapTTL, response.status == 200,
      let body = response.body
    {
      response = try wrap(
        body, ttlText: wrapTTLText, wrappedAccessor: wrappedAccessor, context: context,
        state: &state)
    }
    return response
  }

  static func suffix(of path: String, after prefixes: [String]) -> String? {
    for prefix in prefixes where path.hasPrefix(prefix) && path.count > prefix.count {
      return String(path.dropFirst(prefix.count))
    }
    return nil
  }

  // MARK: - Authentication and authorization

  /// The token `id` if it exists, has not expired and all its ancestors are
  /// valid; expired tokens (and their descendants) are removed on the way.
  func validToken(_ id: String, state: inout State, now: Date) -> Token? {
    var cursor: String? = id
    var seen = 0
    while let current = cursor {
      guard let token = state.tokens[current] else { return nil }
      if let expiry = token.expiresAt, expiry <= now {
        KeyService.revoke(current, state: &state)
        return nil
      }
      cursor = token.parent
      seen += 1
      if seen > 1000 { return nil }
    }
    return state.tokens[id]
  }

  /// Finds and checks the caller's token (existence, expiry, bound CIDRs).
  /// Spends no use: `spendUse` does, once the request passed its checks.
  func authenticate(_ context: inout RequestContext, state: inout State) throws(KeyServiceError) {
    guard let id = context.request.token, !id.isEmpty,
      let token = validToken(id, state: &state, now: context.now), token.wrapped == nil
    else { throw .permissionDenied }
    if !token.boundCIDRs.isEmpty
      && !token.boundCIDRs.contains(where: { $0.contains(address: context.request.remoteAddress) })
    {
      throw .permissionDenied
    }
    context.caller = token
  }

  /// Spends one use of the caller's token, as Vault does for every request
  /// that passed authentication and policy; the request spending the last use
  /// is served, and the token (with its children) is then gone.
  func spendUse(_ context: inout RequestContext, state: inout State) {
    guard var token = context.caller, token.usesLeft > 0 else { return }
    token.usesLeft -= 1
    if token.usesLeft == 0 {
      KeyService.revoke(token.id, state: &state)
      token.usesLeft = -1
    } else {
      state.tokens[token.id] = token
    }
    context.caller = token
  }

  /// Authenticates, requires one of `capabilities` on the request path (root
  /// passes every check), then spends a use.
  func authorize(
    _ context: inout RequestContext, state: inout State, capabilities: Set<String>
  ) throws(KeyServiceError) {
    try authenticate(&context, state: &state)
    guard let caller = context.caller else { throw .permissionDenied }
    if !caller.isRoot {
      let policies = caller.policies.compactMap { name in
        name == "default" ? VaultPolicy.builtInDefault : state.policies[name]
      }
      guard PolicyDecision(policies: policies).allows(capabilities, on: context.request.path)
      else { throw .permissionDenied }
    }
    spendUse(&context, state: &state)
  }

  static func revoke(_ id: String, state: inout State) {
    guard state.tokens.removeValue(forKey: id) != nil else { return }
    let children = state.tokens.values.filter { $0.parent == id }.map(\.id)
    for child in children { revoke(child, state: &state) }
  }

  // MARK: - KV v2

  func readSecret(_ path: String, context: RequestContext, state: State) throws(KeyServiceError)
    -> KeyServiceResponse
  {
    guard let versions = state.secrets[path], !versions.isEmpty else { throw .notFound(nil) }
    var number = versions.count
    if let text = context.request.query["version"], !text.isEmpty, text != "0" {
      guard let requested = Int(text), requested > 0 else {
        throw .badRequest("invalid version \"\(text)\": expected a positive integer")
      }
      guard requested <= versions.count else { throw .notFound(nil) }
      number = requested
    }
    let version = versions[number - 1]
    return envelope(
      data: .object([
        "data": version.data,
        "metadata": versionMetadata(number: number, createdAt: version.createdAt),
      ]), mountType: "kv")
  }

  func writeSecret(_ path: String, context: RequestContext, state: inout State)
    throws(KeyServiceError) -> KeyServiceResponse
  {
    guard case .object? = context.body["data"] else {
      throw .badRequest("no data provided")
    }
    let versions = state.secrets[path] ?? []
    if let cas = context.body["options"]?["cas"], !cas.isNull {
      let expected = try KeyService.integer(cas, key: "options.cas")
      guard expected == versions.count else {
        throw .badRequest(
          "check-and-set parameter did not match the current version")
      }
    }
    let version = SecretVersion(data: context.body["data"] ?? .null, createdAt: context.now)
    state.secrets[path] = versions + [version]
    return envelope(
      data: versionMetadata(number: versions.count + 1, createdAt: context.now), mountType: "kv")
  }

  func versionMetadata(number: Int, createdAt: Date) -> JSONValue {
    .object([
      "created_time": .string(KeyService.timestamp(createdAt)), "custom_metadata": .null,
      "deletion_time": .string(""), "destroyed": .bool(false), "version": .integer(number),
    ])
  }

  // MARK: - Policies

  func policyEndpoint(name: String, context: inout RequestContext, state: inout State)
    throws(KeyServiceError) -> KeyServiceResponse
  {
    switch context.request.method {
    case "GET":
      try authorize(&context, state: &state, capabilities: ["read"])
      let policy = name == "default" ? VaultPolicy.builtInDefault : state.policies[name]
      guard let policy else { throw .notFound(nil) }
      return envelope(
        data: .object(["name": .string(policy.name), "policy": .string(policy.text)]))
    case "PUT", "POST":
      let exists = state.policies[name] != nil
      context.operation = exists ? "update" : "create"
      try authorize(&context, state: &state, capabilities: [exists ? "update" : "create"])
      guard name != "root" && name != "default" else {
        throw .badRequest("cannot update \(name) policy (built in)")
      }
      guard KeyService.isValidName(name) else {
        throw .badRequest("invalid policy name \"\(name)\": use letters, digits, '-', '_', '.'")
      }
      let text = try KeyService.requiredString(context.body["policy"], key: "policy")
      state.policies[name] = try VaultPolicy(name: name, text: text)
      return KeyServiceResponse(status: 204, body: nil)
    case "DELETE":
      try authorize(&context, state: &state, capabilities: ["delete"])
      guard name != "root" && name != "default" else {
        throw .badRequest("cannot delete \(name) policy")
      }
      state.policies[name] = nil
      return KeyServiceResponse(status: 204, body: nil)
    default:
      throw .unsupportedOperation
    }
  }

  static func isValidName(_ name: String) -> Bool {
    !name.isEmpty
      && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
  }

  // MARK: - Token roles

  static let roleKeys: Set<String> = [
    "allowed_policies", "disallowed_policies", "orphan", "token_bound_cidrs", "bound_cidrs",
    "token_ttl", "token_max_ttl", "token_explicit_max_ttl", "explicit_max_ttl", "token_num_uses",
    "token_no_default_policy", "renewable", "token_type", "name",
  ]

  func roleEndpoint(name: String, context: inout RequestContext, state: inout State)
    throws(KeyServiceError) -> KeyServiceResponse
  {
    switch context.request.method {
    case "GET":
      try authorize(&context, state: &state, capabilities: ["read"])
      guard let role = state.roles[name] else { throw .notFound(nil) }
      let cidrs = JSONValue.array(role.boundCIDRs.map { .string($0.description) })
      return envelope(
        data: .object([
          "name": .string(role.name),
          "allowed_policies": .array(role.allowedPolicies.map(JSONValue.string)),
          "disallowed_policies": .array(role.disallowedPolicies.map(JSONValue.string)),
          "orphan": .bool(role.orphan), "token_bound_cidrs": cidrs,
          "token_ttl": .integer(role.ttlSeconds), "token_max_ttl": .integer(role.maxTTLSeconds),
          "token_num_uses": .integer(role.numUses),
          "token_no_default_policy": .bool(role.noDefaultPolicy),
          "renewable": .bool(false), "token_type": .string("service"),
        ]))
    case "PUT", "POST":
      let exists = state.roles[name] != nil
      context.operation = exists ? "update" : "create"
      try authorize(&context, state: &state, capabilities: [exists ? "update" : "create"])
      guard KeyService.isValidName(name) else {
        throw .badRequest("invalid role name \"\(name)\": use letters, digits, '-', '_', '.'")
      }
      let body = context.body
      var role = state.roles[name] ?? Role(name: name)
      if let value = body["allowed_policies"] {
        role.allowedPolicies = try KeyService.stringList(value, key: "allowed_policies")
      }
      if let value = body["disallowed_policies"] {
        role.disallowedPolicies = try KeyService.stringList(value, key: "disallowed_policies")
      }
      if let value = body["orphan"] { role.orphan = try KeyService.boolean(value, key: "orphan") }
      for key in ["bound_cidrs", "token_bound_cidrs"] {
        if let value = body[key] { role.boundCIDRs = try KeyService.cidrs(value, key: key) }
      }
      if let seconds = try VaultDuration.seconds(body["token_ttl"], key: "token_ttl") {
        role.ttlSeconds = seconds
      }
      for key in ["token_max_ttl", "token_explicit_max_ttl", "explicit_max_ttl"] {
        if let seconds = try VaultDuration.seconds(body[key], key: key) {
          role.maxTTLSeconds = seconds
        }
      }
      if let value = body["token_num_uses"] {
        role.numUses = try KeyService.integer(value, key: "token_num_uses")
        guard role.numUses >= 0 else { throw .badRequest("token_num_uses cannot be negative") }
      }
      if let value = body["token_no_default_policy"] {
        role.noDefaultPolicy = try KeyService.boolean(value, key: "token_no_default_policy")
      }
      if let value = body["renewable"] {
        // Checked and accepted for compatibility (Vault's default is true);
        // twin-sim tokens never renew.
        _ = try KeyService.boolean(value, key: "renewable")
      }
      if let value = body["token_type"], let type = value.stringValue,
        !["service", "default-service", "default"].contains(type)
      {
        throw .badRequest("token_type \"\(type)\" not supported: only service tokens")
      }
      state.roles[name] = role
      let ignored = KeyService.unknownKeys(body, known: KeyService.roleKeys)
      if ignored.isEmpty { return KeyServiceResponse(status: 204, body: nil) }
      return envelope(data: .null, warnings: [KeyService.ignoredWarning(ignored)])
    case "DELETE":
      try authorize(&context, state: &state, capabilities: ["delete"])
      state.roles[name] = nil
      return KeyServiceResponse(status: 204, body: nil)
    default:
      throw .unsupportedOperation
    }
  }

  // MARK: - Tokens

  static let createKeys: Set<String> = [
    "policies", "ttl", "num_uses", "no_default_policy", "display_name", "meta", "renewable",
    "explicit_max_ttl", "no_parent", "bound_cidrs", "type",
  ]

  func createToken(
    context: RequestContext, state: inout State, roleName: String?, orphan: Bool
  ) throws(KeyServiceError) -> (response: KeyServiceResponse, accessor: String) {
    guard let parent = context.caller else { throw .permissionDenied }
    let body = context.body
    if parent.usesLeft != 0 {
      throw .badRequest("restricted use token cannot generate child tokens")
    }
    var role: Role? = nil
    if let roleName {
      guard let found = state.roles[roleName] else {
        throw .badRequest("unknown role \(roleName)")
      }
      role = found
    }
    let requested = try body["policies"].map { value throws(KeyServiceError) in
      try KeyService.stringList(value, key: "policies")
    }
    let noDefault =
      try body["no_default_policy"].map { value throws(KeyServiceError) in
        try KeyService.boolean(value, key: "no_default_policy")
      } ?? false
    var policies: [String]
    if let role, !role.allowedPolicies.isEmpty {
      let wanted = (requested ?? role.allowedPolicies).filter { $0 != "default" }
      let notAllowed = wanted.filter { !role.allowedPolicies.contains($0) }
      guard notAllowed.isEmpty else {
        throw .badRequest(
          "token policies (\(notAllowed.joined(separator: ", "))) must be subset of the "
            + "role's allowed policies (\(role.allowedPolicies.joined(separator: ", ")))")
      }
      policies = wanted
    } else {
      let wanted = (requested ?? parent.policies).filter { $0 != "default" }
      if !parent.isRoot {
        let notHeld = wanted.filter { !parent.policies.contains($0) }
        guard notHeld.isEmpty else {
          throw .badRequest(
            "child policies must be subset of parent (not held: "
              + "\(notHeld.joined(separator: ", ")))")
        }
      }
      policies = wanted
    }
    if let role {
      let refused = policies.filter { role.disallowedPolicies.contains($0) }
      guard refused.isEmpty else {
        throw .badRequest("token policies (\(refused.joined(separator: ", "))) are disallowed")
      }
    }
    if policies.contains("root") && !parent.isRoot {
      throw .badRequest("root tokens may only be created by a root token")
    }
    let roleNoDefault = role?.noDefaultPolicy ?? false
    if !(noDefault || roleNoDefault) && !policies.contains("root") { policies.append("default") }
    policies = Array(Set(policies)).sorted()
    if policies.isEmpty {
      throw .badRequest("token must have at least one policy (no_default_policy with none given)")
    }

    var numUses =
      try body["num_uses"].map { value throws(KeyServiceError) in
        try KeyService.integer(value, key: "num_uses")
      } ?? 0
    guard numUses >= 0 else { throw .badRequest("num_uses cannot be negative") }
    if let roleUses = role?.numUses, roleUses > 0, numUses == 0 || numUses > roleUses {
      numUses = roleUses
    }

    var ttl = try VaultDuration.seconds(body["ttl"], key: "ttl") ?? 0
    if ttl == 0 { ttl = role?.ttlSeconds ?? 0 }
    if ttl == 0 { ttl = policies.contains("root") ? 0 : KeyService.defaultTokenTTLSeconds }
    if let maximum = try VaultDuration.seconds(body["explicit_max_ttl"], key: "explicit_max_ttl"),
      maximum > 0
    {
      ttl = ttl == 0 ? maximum : min(ttl, maximum)
    }
    if let roleMaximum = role?.maxTTLSeconds, roleMaximum > 0 {
      ttl = ttl == 0 ? roleMaximum : min(ttl, roleMaximum)
    }

    var boundCIDRs = role?.boundCIDRs ?? []
    if let value = body["bound_cidrs"] {
      // twin-sim extension (real Vault binds CIDRs only through roles): may only narrow a role's.
      let requestedCIDRs = try KeyService.cidrs(value, key: "bound_cidrs")
      if !boundCIDRs.isEmpty && !requestedCIDRs.isEmpty {
        throw .badRequest("bound_cidrs cannot be combined with a role's token_bound_cidrs")
      }
      if !requestedCIDRs.isEmpty { boundCIDRs = requestedCIDRs }
    }
    if let type = body["type"]?.stringValue, !["service", "default"].contains(type) {
      throw .badRequest("token type \"\(type)\" not supported: only service tokens")
    }
    var displayName = "token"
    if let name = body["display_name"]?.stringValue, !name.isEmpty {
      displayName = "token-" + name
    }
    var meta = JSONValue.null
    if let value = body["meta"], !value.isNull {
      guard case .object(let members) = value, members.values.allSatisfy({ $0.stringValue != nil })
      else { throw .badRequest("meta must be an object of strings") }
      meta = value
    }
    let noParent =
      try body["no_parent"].map { value throws(KeyServiceError) in
        try KeyService.boolean(value, key: "no_parent")
      } ?? false
    if noParent && !parent.isRoot {
      throw .badRequest("root or sudo privileges required to create orphan token")
    }
    let isOrphan = orphan || noParent || (role?.orphan ?? false)

    let token = Token(
      id: KeyService.newTokenID(), accessor: KeyService.newAccessor(), policies: policies,
      createdAt: context.now, ttlSeconds: ttl,
      expiresAt: ttl > 0 ? context.now.addingTimeInterval(Double(ttl)) : nil, usesLeft: numUses,
      boundCIDRs: boundCIDRs, displayName: displayName,
      creationPath: roleName.map { "auth/token/create/\($0)" } ?? context.request.path,
      parent: isOrphan ? nil : parent.id, role: roleName, meta: meta, wrapped: nil)
    state.tokens[token.id] = token

    let tokenPolicies = policies
    let auth = JSONValue.object([
      "client_token": .string(token.id), "accessor": .string(token.accessor),
      "policies": .array(policies.map(JSONValue.string)),
      "token_policies": .array(tokenPolicies.map(JSONValue.string)),
      "identity_policies": .null, "metadata": meta,
      "lease_duration": .integer(ttl), "renewable": .bool(false), "entity_id": .string(""),
      "token_type": .string("service"), "orphan": .bool(isOrphan),
      "mfa_requirement": .null, "num_uses": .integer(numUses),
    ])
    let ignored = KeyService.unknownKeys(body, known: KeyService.createKeys)
    let warnings = ignored.isEmpty ? [] : [KeyService.ignoredWarning(ignored)]
    return (envelope(data: .null, auth: auth, warnings: warnings), token.accessor)
  }

  func tokenDescription(_ token: Token, now: Date) -> JSONValue {
    var members: [String: JSONValue] = [
      "id": .string(token.id), "accessor": .string(token.accessor),
      "policies": .array(token.policies.map(JSONValue.string)),
      "creation_time": .integer(Int(token.createdAt.timeIntervalSince1970)),
      "creation_ttl": .integer(token.ttlSeconds), "display_name": .string(token.displayName),
      "entity_id": .string(""), "explicit_max_ttl": .integer(0),
      "issue_time": .string(KeyService.timestamp(token.createdAt)),
      "meta": token.meta, "num_uses": .integer(max(0, token.usesLeft)),
      "orphan": .bool(token.parent == nil), "path": .string(token.creationPath),
      "renewable": .bool(false), "type": .string("service"),
    ]
    if let expiry = token.expiresAt {
      members["expire_time"] = .string(KeyService.timestamp(expiry))
      members["ttl"] = .integer(max(0, Int(expiry.timeIntervalSince(now).rounded(.down))))
    } else {
      members["expire_time"] = .null
      members["ttl"] = .integer(0)
    }
    if !token.boundCIDRs.isEmpty {
      members["bound_cidrs"] = .array(token.boundCIDRs.map { .string($0.description) })
    }
    if let role = token.role { members["role"] = .string(role) }
    return .object(members)
  }

  // MARK: - Response wrapping

  func wrap(
    _ body: JSONValue, ttlText: String, wrappedAccessor: String?, context: RequestContext,
    state: inout State
  ) throws(KeyServiceError) -> KeyServiceResponse {
    guard let ttl = VaultDuration.seconds(parsing: ttlText), ttl > 0 else {
      throw .badRequest("invalid X-Vault-Wrap-TTL \"\(ttlText)\": expected a duration like 60s")
    }
    let wrappingToken = Token(
      id: KeyService.newTokenID(), accessor: KeyService.newAccessor(),
      policies: ["response-wrapping"], createdAt: context.now, ttlSeconds: ttl,
      expiresAt: context.now.addingTimeInterval(Double(ttl)), usesLeft: 1, boundCIDRs: [],
      displayName: "response-wrapping", creationPath: context.request.path, parent: nil,
      role: nil, meta: .null, wrapped: body)
    state.tokens[wrappingToken.id] = wrappingToken
    var info: [String: JSONValue] = [
      "token": .string(wrappingToken.id), "accessor": .string(wrappingToken.accessor),
      "ttl": .integer(ttl), "creation_time": .string(KeyService.timestamp(context.now)),
      "creation_path": .string(context.request.path),
    ]
    if let wrappedAccessor { info["wrapped_accessor"] = .string(wrappedAccessor) }
    var wrapped = envelope(data: .null)
    if case .object(var members)? = wrapped.body {
      members["wrap_info"] = .object(info)
      wrapped.body = .object(members)
    }
    return wrapped
  }

  /// Which wrapping token the request names: the body's `token`, else the
  /// `X-Vault-Token` header (Vault: "do not use the wrapping token in both").
  func unwrapTarget(_ context: inout RequestContext, state: inout State) throws(KeyServiceError)
    -> String
  {
    if let bodyToken = context.body["token"], !bodyToken.isNull {
      let id = try KeyService.requiredString(bodyToken, key: "token")
      try authorize(&context, state: &state, capabilities: ["update"])
      return id
    }
    guard let id = context.request.token, !id.isEmpty else { throw .permissionDenied }
    return id
  }

  func unwrap(_ context: inout RequestContext, state: inout State) throws(KeyServiceError)
    -> KeyServiceResponse
  {
    context.mountType = "system"
    let id = try unwrapTarget(&context, state: &state)
    guard let token = validToken(id, state: &state, now: context.now), let wrapped = token.wrapped
    else { throw .badRequest("wrapping token is not valid or does not exist") }
    state.tokens[id] = nil
    if context.caller == nil { context.caller = token }
    return KeyServiceResponse(status: 200, body: wrapped)
  }

  func wrappingLookup(_ context: inout RequestContext, state: inout State)
    throws(KeyServiceError) -> KeyServiceResponse
  {
    context.mountType = "system"
    let id: String
    if let bodyToken = context.body["token"], !bodyToken.isNull {
      id = try KeyService.requiredString(bodyToken, key: "token")
    } else {
      guard let header = context.request.token else { throw .permissionDenied }
      id = header
    }
    guard let token = validToken(id, state: &state, now: context.now), token.wrapped != nil
    else { throw .badRequest("wrapping token is not valid or does not exist") }
    return envelope(
      data: .object([
        "creation_path": .string(token.creationPath),
        "creation_time": .string(KeyService.timestamp(token.createdAt)),
        "creation_ttl": .integer(token.ttlSeconds),
      ]))
  }

  // MARK: - Envelopes and audit

  func envelope(
    data: JSONValue, auth: JSONValue = .null, warnings: [String] = [], mountType: String = ""
  ) -> KeyServiceResponse {
    var members: [String: JSONValue] = [
      "request_id": .string(UUID().uuidString.lowercased()), "lease_id": .string(""),
      "renewable": .bool(false), "lease_duration": .integer(0), "data": data,
      "wrap_info": .null, "auth": auth,
      "warnings": warnings.isEmpty ? .null : .array(warnings.map(JSONValue.string)),
    ]
    if !mountType.isEmpty { members["mount_type"] = .string(mountType) }
    return KeyServiceResponse(status: 200, body: .object(members))
  }

  func auditEntry(
    type: String, context: RequestContext, state: State, response: KeyServiceResponse?
  ) -> JSONValue {
    var auth: [String: JSONValue] = [:]
    if let presented = context.request.token, !presented.isEmpty {
      auth["client_token"] = .string(audit.hash(presented))
      let known = context.caller ?? state.tokens[presented]
      if let known {
        auth["accessor"] = .string(audit.hash(known.accessor))
        auth["display_name"] = .string(known.displayName)
        auth["policies"] = .array(known.policies.map(JSONValue.string))
        auth["token_policies"] = .array(known.policies.map(JSONValue.string))
        auth["token_type"] = .string("service")
        auth["token_ttl"] = .integer(known.ttlSeconds)
        auth["token_issue_time"] = .string(KeyService.timestamp(known.createdAt))
        if known.usesLeft != 0 { auth["num_uses"] = .integer(max(0, known.usesLeft)) }
        if let role = known.role { auth["metadata"] = .object(["role": .string(role)]) }
      }
    }
    var requestMembers: [String: JSONValue] = [
      "id": .string(context.requestID), "operation": .string(context.operation),
      "path": .string(context.request.path), "namespace": .object(["id": .string("root")]),
      "remote_address": .string(context.request.remoteAddress),
      "remote_port": .integer(context.request.remotePort),
    ]
    if !context.mountType.isEmpty { requestMembers["mount_type"] = .string(context.mountType) }
    if let token = auth["client_token"] { requestMembers["client_token"] = token }
    if let accessor = auth["accessor"] { requestMembers["client_token_accessor"] = accessor }
    if case .object(let members) = context.body, !members.isEmpty {
      requestMembers["data"] = audit.hashStrings(context.body)
    }
    if !context.request.query.isEmpty {
      requestMembers["query"] = audit.hashStrings(
        .object(context.request.query.mapValues(JSONValue.string)))
    }
    if let wrapTTL = context.request.wrapTTL {
      requestMembers["wrap_ttl"] = .integer(VaultDuration.seconds(parsing: wrapTTL) ?? 0)
    }
    var entry: [String: JSONValue] = [
      "time": .string(KeyService.timestamp(context.now)), "type": .string(type),
      "auth": .object(auth), "request": .object(requestMembers),
    ]
    if let response {
      var responseMembers: [String: JSONValue] = ["status": .integer(response.status)]
      if !context.mountType.isEmpty { responseMembers["mount_type"] = .string(context.mountType) }
      if let body = response.body {
        if let data = body["data"], !data.isNull {
          responseMembers["data"] = audit.hashStrings(data)
        }
        if case .object(var authMembers)? = body["auth"] {
          for key in ["client_token", "accessor"] {
            if let value = authMembers[key]?.stringValue {
              authMembers[key] = .string(audit.hash(value))
            }
          }
          if let metadata = authMembers["metadata"], !metadata.isNull {
            authMembers["metadata"] = audit.hashStrings(metadata)
          }
          responseMembers["auth"] = .object(authMembers)
        }
        if case .object(var wrapMembers)? = body["wrap_info"] {
          for key in ["token", "accessor", "wrapped_accessor"] {
            if let value = wrapMembers[key]?.stringValue {
              wrapMembers[key] = .string(audit.hash(value))
            }
          }
          responseMembers["wrap_info"] = .object(wrapMembers)
        }
        if let warnings = body["warnings"], !warnings.isNull {
          responseMembers["warnings"] = warnings
        }
      }
      entry["response"] = .object(responseMembers)
      if let error = context.errorMessage { entry["error"] = .string(error) }
    }
    return .object(entry)
  }

  // MARK: - Value helpers

  static func timestamp(_ date: Date) -> String {
    var style = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
    style.timeZone = TimeZone(identifier: "UTC")!
    return date.formatted(style)
  }

  static func requiredString(_ value: JSONValue?, key: String) throws(KeyServiceError) -> String {
    guard let text = value?.stringValue, !text.isEmpty else {
      throw .badRequest("missing or empty \"\(key)\"")
    }
    return text
  }

  /// A list of strings from a JSON array or a comma-separated string (Vault accepts both).
  static func stringList(_ value: JSONValue, key: String) throws(KeyServiceError) -> [String] {
    switch value {
    case .null: return []
    case .string(let text):
      return text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        .filter { !$0.isEmpty }
    case .array(let items):
      var result: [String] = []
      for item in items {
        guard let text = item.stringValue else {
          throw .badRequest("\"\(key)\" must be a list of strings")
        }
        result.append(text)
      }
      return result
    default:
      throw .badRequest("\"\(key)\" must be a list of strings or a comma-separated string")
    }
  }

  static func cidrs(_ value: JSONValue, key: String) throws(KeyServiceError) -> [CIDR] {
    var result: [CIDR] = []
    for text in try stringList(value, key: key) {
      guard let cidr = CIDR(parsing: text) else {
        throw .badRequest("invalid CIDR \"\(text)\" in \"\(key)\": expected e.g. 10.0.0.0/8")
      }
      result.append(cidr)
    }
    return result
  }

  static func integer(_ value: JSONValue, key: String) throws(KeyServiceError) -> Int {
    switch value {
    case .integer(let number): return number
    case .number(let number) where number == number.rounded() && abs(number) < 1e15:
      return Int(number)
    case .string(let text):
      if let number = Int(text.trimmingCharacters(in: .whitespaces)) { return number }
    default: break
    }
    throw .badRequest("\"\(key)\" must be an integer")
  }

  static func boolean(_ value: JSONValue, key: String) throws(KeyServiceError) -> Bool {
    switch value {
    case .bool(let flag): return flag
    case .string(let text):
      switch text.lowercased() {
      case "true", "1", "t": return true
      case "false", "0", "f", "": return false
      default: break
      }
    case .integer(let number) where number == 0 || number == 1: return number == 1
    default: break
    }
    throw .badRequest("\"\(key)\" must be true or false")
  }

  static func unknownKeys(_ body: JSONValue, known: Set<String>) -> [String] {
    guard case .object(let members) = body else { return [] }
    return members.keys.filter { !known.contains($0) }.sorted()
  }

  static func ignoredWarning(_ keys: [String]) -> String {
    "Endpoint ignored these unrecognized parameters: [\(keys.joined(separator: " "))]"
  }

  // MARK: - Identifiers

  static let base62 = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")

  static func randomBase62(count: Int) -> String {
    var generator = SystemRandomNumberGenerator()
    return String((0..<count).map { _ in base62[Int.random(in: 0..<62, using: &generator)] })
  }

  /// A service token ID as Vault prints them (`hvs.` + 32 base62 characters, 190 bits).
  public static func newTokenID() -> String { "hvs." + randomBase62(count: 32) }

  static func newAccessor() -> String { randomBase62(count: 24) }
}
