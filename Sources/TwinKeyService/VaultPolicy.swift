/// An ACL policy in the subset of Vault's policy language twin-sim implements.
///
/// HCL form (`#` and `//` comments; one `capabilities` list per path block):
///
///     path "secret/data/twin-sim/jobs/*" {
///       capabilities = ["read", "create", "update"]
///     }
///
/// JSON form: `{"path": {"secret/data/x": {"capabilities": ["read"]}}}`.
/// Paths are exact, end in `*` (prefix glob) or hold `+` (one segment).
/// Capabilities: `read`, `create`, `update`, `delete`, `list`, `patch`, `sudo`,
/// `deny`; twin-sim's endpoints use read, create and update, and deny beats all.
/// Not supported: `allowed_parameters`, `denied_parameters`,
/// `required_parameters`, `min_wrapping_ttl`/`max_wrapping_ttl`, templated paths.
public struct VaultPolicy: Sendable, Equatable {
  public struct Rule: Sendable, Equatable {
    public let pattern: String
    public let capabilities: Set<String>
  }

  public static let knownCapabilities: Set<String> = [
    "read", "create", "update", "delete", "list", "patch", "sudo", "deny",
  ]

  public let name: String
  /// The policy text as written (returned by GET sys/policies/acl/NAME).
  public let text: String
  public let rules: [Rule]

  public init(name: String, text: String) throws(KeyServiceError) {
    self.name = name
    self.text = text
    let trimmed = text.drop { $0.isWhitespace }
    if trimmed.first == "{" {
      rules = try VaultPolicy.parseJSON(text)
    } else {
      rules = try VaultPolicy.parseHCL(text)
    }
  }

  init(name: String, text: String, rules: [Rule]) {
    self.name = name
    self.text = text
    self.rules = rules
  }

  /// Vault's built-in `default` policy, reduced to the endpoints twin-sim
  /// serves: a token may look itself up and unwrap or look up wrapping tokens.
  public static let builtInDefault = VaultPolicy(
    name: "default",
    text: """
      path "auth/token/lookup-self" {
        capabilities = ["read"]
      }
      path "sys/wrapping/unwrap" {
        capabilities = ["update"]
      }
      path "sys/wrapping/lookup" {
        capabilities = ["update"]
      }
      """,
    rules: [
      Rule(pattern: "auth/token/lookup-self", capabilities: ["read"]),
      Rule(pattern: "sys/wrapping/unwrap", capabilities: ["update"]),
      Rule(pattern: "sys/wrapping/lookup", capabilities: ["update"]),
    ])

  static func parseJSON(_ text: String) throws(KeyServiceError) -> [Rule] {
    let document: JSONValue
    do { document = try JSONValue.parse(Array(text.utf8)) } catch {
      throw .badRequest("failed to parse policy: invalid JSON")
    }
    guard let paths = document["path"]?.objectValue else {
      throw .badRequest("failed to parse policy: expected an object with key \"path\"")
    }
    var rules: [Rule] = []
    for (pattern, body) in paths.sorted(by: { $0.key < $1.key }) {
      guard case .array(let items)? = body["capabilities"] else {
        throw .badRequest("failed to parse policy: path \"\(pattern)\": missing capabilities")
      }
      var capabilities: [String] = []
      for item in items {
        guard let name = item.stringValue else {
          throw .badRequest("failed to parse policy: path \"\(pattern)\": capability not a string")
        }
        capabilities.append(name)
      }
      rules.append(try rule(pattern: pattern, capabilities: capabilities))
    }
    return rules
  }

  static func rule(pattern: String, capabilities: [String]) throws(KeyServiceError) -> Rule {
    let bare = pattern.hasPrefix("/") ? String(pattern.dropFirst()) : pattern
    if let star = bare.firstIndex(of: "*"), star != bare.index(before: bare.endIndex) {
      throw .badRequest(
        "failed to parse policy: path \"\(pattern)\": '*' is allowed only at the end")
    }
    for name in capabilities where !knownCapabilities.contains(name) {
      throw .badRequest(
        "failed to parse policy: path \"\(pattern)\": invalid capability \"\(name)\"")
    }
    return Rule(pattern: bare, capabilities: Set(capabilities))
  }

  /// Tokenizes and parses `path "P" { capabilities = ["a", ...] }` blocks.
  static func parseHCL(_ text: String) throws(KeyServiceError) -> [Rule] {
    var tokens: [(text: String, quoted: Bool, line: Int)] = []
    var line = 1
    var index = text.startIndex
    while index < text.endIndex {
      let character = text[index]
      if character == "\n" { line += 1 }
      if character.isWhitespace || character == "," {
        index = text.index(after: index)
      } else if character == "#"
        || (character == "/" && text[index...].hasPrefix("//"))
      {
        index = text[index...].firstIndex(of: "\n") ?? text.endIndex
      } else if character == "\"" {
        var value = ""
        var cursor = text.index(after: index)
        while cursor < text.endIndex, text[cursor] != "\"" {
          if text[cursor] == "\n" { break }
          value.append(text[cursor])
          cursor = text.index(after: cursor)
        }
        guard cursor < text.endIndex, text[cursor] == "\"" else {
          throw .badRequest("failed to parse policy: line \(line): unterminated string")
        }
        tokens.append((value, true, line))
        index = text.index(after: cursor)
      } else if "{}[]=".contains(character) {
        tokens.append((String(character), false, line))
        index = text.index(after: index)
      } else {
        var word = ""
        var cursor = index
        while cursor < text.endIndex, text[cursor].isLetter || text[cursor] == "_" {
          word.append(text[cursor])
          cursor = text.index(after: cursor)
        }
        guard !word.isEmpty else {
          throw .badRequest("failed to parse policy: line \(line): unexpected '\(character)'")
        }
        tokens.append((word, false, line))
        index = cursor
      }
    }
    var rules: [Rule] = []
    var position = 0
    func expect(_ expected: String) throws(KeyServiceError) {
      guard position < tokens.count, !tokens[position].quoted, tokens[position].text == expected
      else {
        let found = position < tokens.count ? "'\(tokens[position].text)'" : "end of policy"
        let where_ = position < tokens.count ? tokens[position].line : line
        throw .badRequest(
          "failed to parse policy: line \(where_): expected '\(expected)', found \(found)")
      }
      position += 1
    }
    while position < tokens.count {
      try expect("path")
      guard position < tokens.count, tokens[position].quoted else {
        throw .badRequest("failed to parse policy: line \(line): expected a quoted path")
      }
      let pattern = tokens[position].text
      position += 1
      try expect("{")
      var capabilities: [String]? = nil
      while position < tokens.count, tokens[position].text != "}" || tokens[position].quoted {
        let key = tokens[position]
        guard !key.quoted, key.text == "capabilities" else {
          throw .badRequest(
            "failed to parse policy: line \(key.line): path \"\(pattern)\": unsupported key "
              + "\"\(key.text)\" (only capabilities)")
        }
        position += 1
        try expect("=")
        try expect("[")
        var names: [String] = []
        while position < tokens.count, tokens[position].quoted {
          names.append(tokens[position].text)
          position += 1
        }
        try expect("]")
        capabilities = names
      }
      try expect("}")
      guard let capabilities else {
        throw .badRequest("failed to parse policy: path \"\(pattern)\": missing capabilities")
      }
      rules.append(try rule(pattern: pattern, capabilities: capabilities))
    }
    return rules
  }
}

/// The combined rules of a token's policies, answering "may this token do X on P".
struct PolicyDecision {
  let rules: [VaultPolicy.Rule]

  init(policies: [VaultPolicy]) {
    // Vault merges the capabilities of identical paths across policies.
    var merged: [String: Set<String>] = [:]
    for policy in policies {
      for rule in policy.rules { merged[rule.pattern, default: []].formUnion(rule.capabilities) }
    }
    rules = merged.map { VaultPolicy.Rule(pattern: $0.key, capabilities: $0.value) }
  }

  /// Whether any of `capabilities` is granted on `path` by the most specific
  /// matching rule (Vault's priority order), with `deny` overriding.
  func allows(_ capabilities: Set<String>, on path: String) -> Bool {
    let matching = rules.filter { PolicyDecision.matches(pattern: $0.pattern, path: path) }
    guard let best = matching.max(by: { PolicyDecision.lowerPriority($0.pattern, $1.pattern) })
    else { return false }
    if best.capabilities.contains("deny") { return false }
    return !best.capabilities.isDisjoint(with: capabilities)
  }

  static func matches(pattern: String, path: String) -> Bool {
    var patternBody = Substring(pattern)
    let isPrefix = patternBody.hasSuffix("*")
    if isPrefix { patternBody = patternBody.dropLast() }
    if !patternBody.contains("+") {
      return isPrefix ? path.hasPrefix(patternBody) : path == patternBody
    }
    let patternSegments = patternBody.split(separator: "/", omittingEmptySubsequences: false)
    let pathSegments = path.split(separator: "/", omittingEmptySubsequences: false)
    if isPrefix
      ? pathSegments.count < patternSegments.count
      : pathSegments.count != patternSegments.count
    {
      return false
    }
    for (index, segment) in patternSegments.enumerated() {
      let actual = pathSegments[index]
      if segment == "+" { continue }
      let isLast = index == patternSegments.count - 1
      if isPrefix && isLast {
        if !actual.hasPrefix(segment) { return false }
      } else if actual != segment {
        return false
      }
    }
    return true
  }

  /// Vault's ordering of matching paths (docs "Priority matching"): the later
  /// first wildcard, then no trailing `*`, then fewer `+`, then the longer
  /// path, then the lexicographically larger path wins.
  static func lowerPriority(_ left: String, _ right: String) -> Bool {
    func firstWildcard(_ pattern: String) -> Int {
      pattern.firstIndex { $0 == "+" || $0 == "*" }.map {
        pattern.distance(from: pattern.startIndex, to: $0)
      }
        ?? Int.max
    }
    let (leftWild, rightWild) = (firstWildcard(left), firstWildcard(right))
    if leftWild != rightWild { return leftWild < rightWild }
    let (leftStar, rightStar) = (left.hasSuffix("*"), right.hasSuffix("*"))
    if leftStar != rightStar { return leftStar }
    let (leftPlus, rightPlus) = (left.count { $0 == "+" }, right.count { $0 == "+" })
    if leftPlus != rightPlus { return leftPlus > rightPlus }
    if left.count != right.count { return left.count < right.count }
    return left < right
  }
}
