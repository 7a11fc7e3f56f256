import ArgumentParser
import Foundation
import TwinKeyService

/// `twin-sim kms ...`: the key service (a Vault-compatible subset) and its
/// client. Parses arguments; the work is in TwinKeyService. docs/security.md,
/// "Key service".
struct KMS: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "kms",
    abstract: "Key service: a HashiCorp Vault-compatible subset (server and client).",
    discussion: """
      The client commands speak Vault's HTTP API, so they work against HashiCorp
      Vault, OpenBao or 'twin-sim kms serve'. They read the vault CLI's variables:
        VAULT_ADDR    server address (default https://127.0.0.1:8200)
        VAULT_TOKEN   client token
        VAULT_CACERT  PEM file of the CA to trust; when set, only that CA is trusted

      Exit status: 0 done; 1 the server refused or could not be reached;
      2 invalid arguments or configuration. Secret values and tokens appear only on
      standard output, never in error messages.
      """,
    subcommands: [
      KMSServe.self, KMSKV.self, KMSPolicy.self, KMSToken.self, KMSRead.self, KMSWrite.self,
      KMSUnwrap.self,
    ])
}

/// Runs a client command, turning errors into `twin-sim: error: ...` and exit codes.
func runKMSCommand(_ body: (VaultClient) throws -> Void) throws {
  do {
    let client = try VaultClient.fromEnvironment(ProcessInfo.processInfo.environment)
    try body(client)
  } catch let error as VaultClientError {
    if case .configuration = error { throw reportInvalidInput(error.description) }
    printError("twin-sim: error: \(error.description)")
    throw ExitCode.failure
  } catch let exit as ExitCode {
    throw exit
  } catch let error as ValidationError {
    throw reportInvalidInput(error.message)
  } catch {
    printError("twin-sim: error: \(error)")
    throw ExitCode.failure
  }
}

/// How a client command prints an answer.
struct KMSOutput: ParsableArguments {
  @Option(
    name: [.customLong("field", withSingleDash: true), .customLong("field")],
    help: "Print only this field's value (no trailing newline unless a terminal).")
  var field: String?

  @Option(
    name: [.customLong("format", withSingleDash: true), .customLong("format")],
    help: "table or json.")
  var format = "table"

  func validate() throws {
    guard format == "table" || format == "json" else {
      throw ValidationError("-format must be table or json, not \(format)")
    }
  }

  /// Prints `fields` (or the whole body as JSON, or one field raw).
  func emit(body: JSONValue, fields: [(String, JSONValue)]) throws {
    if let field {
      guard let value = fields.first(where: { $0.0 == field })?.1 else {
        let known = fields.map(\.0).joined(separator: ", ")
        throw ValidationError(
          "field \"\(field)\" not present in the answer (present: \(known.isEmpty ? "none" : known))"
        )
      }
      let text = value.displayText
      FileHandle.standardOutput.write(Data((isatty(1) == 1 ? text + "\n" : text).utf8))
      return
    }
    if format == "json" {
      print(body.prettySerialized())
      return
    }
    if fields.isEmpty {
      print("Success! Data written.")
      return
    }
    let width = max(3, fields.map(\.0.count).max() ?? 3)
    func padded(_ text: String) -> String {
      text + String(repeating: " ", count: width - text.count)
    }
    print("\(padded("Key"))    Value")
    print("\(padded("---"))    -----")
    for (key, value) in fields { print("\(padded(key))    \(value.displayText)") }
  }
}

/// `KEY=VALUE` pairs; `KEY=@FILE` reads the file, `KEY=-` standard input.
func parseKeyValues(_ pairs: [String]) throws -> [String: JSONValue] {
  var data: [String: JSONValue] = [:]
  var stdinUsed = false
  for pair in pairs {
    guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else {
      throw ValidationError("expected KEY=VALUE, KEY=@FILE or KEY=-, found an argument without '='")
    }
    let key = String(pair[..<equals])
    let value = String(pair[pair.index(after: equals)...])
    if value == "-" {
      guard !stdinUsed else { throw ValidationError("standard input can be read only once") }
      stdinUsed = true
      data[key] = .string(
        String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self))
    } else if value.hasPrefix("@") {
      let file = String(value.dropFirst())
      guard let contents = FileManager.default.contents(atPath: file) else {
        throw ValidationError("\(key)=@\(file): cannot read file \(file)")
      }
      guard let text = String(data: contents, encoding: .utf8) else {
        throw ValidationError("\(key)=@\(file): file \(file) is not UTF-8 text")
      }
      data[key] = .string(text)
    } else {
      data[key] = .string(value)
    }
  }
  return data
}

// MARK: - serve

struct KMSServe: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "serve",
    abstract: "Run the key service: Vault's KV v2, tokens, roles and wrapping over TLS.",
    discussion: """
      Serves a subset of HashiCorp Vault's HTTP API over TLS (docs/security.md,
      "Key service"). --state-dir holds ca.pem (give it to clients as VAULT_CACERT),
      the CA key, the audit HMAC key and root-token (mode 0600, new at each start).
      Without --tls-cert/--tls-key the server certificate is issued by that CA at
      each start for localhost, 127.0.0.1, ::1, the listen address and every
      --tls-san. Secrets, policies, roles and tokens are kept in memory only: a
      restart forgets them.

      When listening, prints one line to standard output:
        twin-sim kms ready VAULT_ADDR=https://HOST:PORT VAULT_CACERT=DIR/ca.pem
      Stops on SIGTERM or SIGINT.

      Example:
        twin-sim kms serve --state-dir ~/.twin-sim-kms --address 127.0.0.1:8200 \\
          --audit-log ~/.twin-sim-kms/audit.log
      """)

  @Option(help: "State folder (created with mode 0700 if missing).")
  var stateDir: String

  @Option(help: "Listen address HOST:PORT (PORT 0 picks a free port).")
  var address = "127.0.0.1:8200"

  @Option(help: "Server certificate chain (PEM) from the site; needs --tls-key.")
  var tlsCert: String?

  @Option(help: "Private key (PEM) of --tls-cert.")
  var tlsKey: String?

  @Option(help: "Extra name or IP address for the generated server certificate; repeatable.")
  var tlsSan: [String] = []

  @Option(help: "Audit log file (JSON lines, appended, mode 0600).")
  var auditLog: String?

  func validate() throws {
    if (tlsCert == nil) != (tlsKey == nil) {
      throw ValidationError("--tls-cert and --tls-key go together")
    }
    _ = try listenAddress()
  }

  func listenAddress() throws -> (host: String, port: Int) {
    guard let colon = address.lastIndex(of: ":"),
      let port = Int(address[address.index(after: colon)...]), (0...65535).contains(port)
    else {
      throw ValidationError("--address must be HOST:PORT, e.g. 127.0.0.1:8200, not \(address)")
    }
    var host = String(address[..<colon])
    if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
    if host.isEmpty { host = "0.0.0.0" }
    return (host, port)
  }

  func run() throws {
    let (host, port) = try listenAddress()
    do {
      let state = try StateDirectory(path: stateDir)
      let audit = try AuditLog(path: auditLog, key: try state.auditKey())
      let chain: [String]
      let key: String
      if let tlsCert, let tlsKey {
        guard let certText = FileManager.default.contents(atPath: tlsCert),
          let keyText = FileManager.default.contents(atPath: tlsKey)
        else { throw KeyServiceError.internalError("cannot read \(tlsCert) or \(tlsKey)") }
        chain = [String(decoding: certText, as: UTF8.self)]
        key = String(decoding: keyText, as: UTF8.self)
      } else {
        let credentials = try state.serverCredentials(names: [host] + tlsSan)
        chain = credentials.certificateChainPEM
        key = credentials.privateKeyPEM
      }
      let service = KeyService(audit: audit)
      try state.writeRootToken(service.rootToken)
      let server = try KeyServiceServer(
        service: service, host: host, port: port, certificateChainPEM: chain, privateKeyPEM: key)
      signal(SIGTERM, SIG_IGN)
      signal(SIGINT, SIG_IGN)
      let sources = [SIGTERM, SIGINT].map { number in
        let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
        source.setEventHandler { server.close() }
        source.resume()
        return source
      }
      let boundPort = server.localAddress?.port ?? port
      var clientHost = host
      if host == "0.0.0.0" { clientHost = "127.0.0.1" }
      if host == "::" { clientHost = "::1" }
      if clientHost.contains(":") { clientHost = "[\(clientHost)]" }
      var ready = "twin-sim kms ready VAULT_ADDR=https://\(clientHost):\(boundPort)"
      if tlsCert == nil {
        ready += " VAULT_CACERT=\(URL(fileURLWithPath: state.caCertificatePath).standardized.path)"
      }
      // Unbuffered, so a script waiting on the pipe sees it at once.
      FileHandle.standardOutput.write(Data((ready + "\n").utf8))
      try server.waitUntilClosed()
      for source in sources { source.cancel() }
      audit.close()
      printError("twin-sim kms: stopped")
    } catch let error as KeyServiceError {
      throw reportInvalidInput(error.description)
    } catch {
      printError("twin-sim: error: kms serve on \(address): \(error)")
      throw ExitCode.failure
    }
  }
}

// MARK: - kv

struct KMSKV: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "kv", abstract: "Read and write KV v2 secrets (as 'vault kv').",
    subcommands: [KMSKVPut.self, KMSKVGet.self])
}

struct KMSKVPut: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "put",
    abstract: "Write a new version of a secret: KEY=VALUE, KEY=@FILE or KEY=- (stdin).",
    discussion: """
      PATH is MOUNT/PATH with a KV v2 mount (twin-sim's server: secret).

      Example:
        twin-sim kms kv put secret/twin-sim/jobs/job1 identity=@job1-identity.txt
      """)

  @OptionGroup var output: KMSOutput

  @Argument(help: "Secret path, e.g. secret/twin-sim/jobs/job1.")
  var path: String

  @Argument(help: "KEY=VALUE, KEY=@FILE or KEY=-.")
  var pairs: [String] = []

  func run() throws {
    try runKMSCommand { client in
      guard !pairs.isEmpty else { throw ValidationError("give at least one KEY=VALUE") }
      let metadata = try client.kvPut(path, data: try parseKeyValues(pairs))
      let fields = (metadata.objectValue ?? [:]).sorted { $0.key < $1.key }.map {
        ($0.key, $0.value)
      }
      try output.emit(body: .object(["data": metadata]), fields: fields)
    }
  }
}

struct KMSKVGet: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "get",
    abstract: "Read a secret (latest version, or --version).",
    discussion: """
      Example:
        VAULT_TOKEN=... twin-sim kms kv get -field identity secret/twin-sim/jobs/job1
      """)

  @OptionGroup var output: KMSOutput

  @Option(
    name: [.customLong("version", withSingleDash: true), .customLong("version")],
    help: "Version to read.")
  var version: Int?

  @Argument(help: "Secret path, e.g. secret/twin-sim/jobs/job1.")
  var path: String

  func run() throws {
    try runKMSCommand { client in
      let data = try client.kvGet(path, version: version)
      try output.emit(
        body: .object(["data": .object(data)]),
        fields: data.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
    }
  }
}

// MARK: - policy

struct KMSPolicy: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "policy", abstract: "Write ACL policies (as 'vault policy').",
    subcommands: [KMSPolicyWrite.self])
}

struct KMSPolicyWrite: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "write",
    abstract: "Write the policy NAME from FILE ('-' for standard input), HCL or JSON.",
    discussion: """
      Example policy (twin-sim's server takes path blocks with capabilities):
        path "secret/data/twin-sim/jobs/*" {
          capabilities = ["read"]
        }
      """)

  @Argument(help: "Policy name.")
  var name: String

  @Argument(help: "Policy file, or - for standard input.")
  var file: String

  func run() throws {
    try runKMSCommand { client in
      let contents =
        file == "-"
        ? FileHandle.standardInput.readDataToEndOfFile()
        : FileManager.default.contents(atPath: file)
      guard let contents else { throw ValidationError("cannot read policy file \(file)") }
      try client.writePolicy(name: name, text: String(decoding: contents, as: UTF8.self))
      print("Success! Uploaded policy: \(name)")
    }
  }
}

// MARK: - token

struct KMSToken: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "token", abstract: "Create and look up tokens (as 'vault token').",
    subcommands: [KMSTokenCreate.self, KMSTokenLookup.self])
}

struct KMSTokenCreate: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "create",
    abstract: "Create a token (child of VAULT_TOKEN), optionally through a role and wrapped.",
    discussion: """
      --bound-cidr is a twin-sim server extension; with HashiCorp Vault bind CIDRs
      through a role (token_bound_cidrs) and --role. With --wrap-ttl the answer is a
      single-use wrapping token (field wrapping_token); unwrap it with
      'twin-sim kms unwrap'.

      Example:
        twin-sim kms token create --role twin-sim-job --ttl 2h --use-limit 2 \\
          --wrap-ttl 24h -field wrapping_token
      """)

  @OptionGroup var output: KMSOutput

  @Option(help: "Policy for the token; repeat for several.")
  var policy: [String] = []

  @Option(help: "Time to live, e.g. 30m, 2h.")
  var ttl: String?

  @Option(help: "Number of uses (0: unlimited).")
  var useLimit = 0

  @Option(help: "CIDR the token may be used from; repeat for several.")
  var boundCidr: [String] = []

  @Option(help: "Token role to create the token against.")
  var role: String?

  @Option(help: "Wrap the answer in a single-use wrapping token living this long.")
  var wrapTtl: String?

  @Flag(help: "Do not attach the default policy.")
  var noDefaultPolicy = false

  @Option(help: "Display name.")
  var displayName: String?

  func validate() throws {
    guard useLimit >= 0 else { throw ValidationError("--use-limit cannot be negative") }
    for text in [ttl, wrapTtl].compactMap({ $0 }) where VaultDuration.seconds(parsing: text) == nil
    {
      throw ValidationError("\"\(text)\" is not a duration (e.g. 90s, 30m, 2h)")
    }
    for cidr in boundCidr where CIDR(parsing: cidr) == nil {
      throw ValidationError("--bound-cidr \(cidr) is not a CIDR like 10.0.0.0/8 or 127.0.0.2/32")
    }
  }

  func run() throws {
    try runKMSCommand { client in
      var request = VaultClient.TokenRequest()
      request.policies = policy
      request.ttl = ttl
      request.numUses = useLimit
      request.boundCIDRs = boundCidr
      request.role = role
      request.noDefaultPolicy = noDefaultPolicy
      request.displayName = displayName
      let body = try client.createToken(request, wrapTTL: wrapTtl)
      try output.emit(body: body, fields: VaultClient.fields(of: body))
    }
  }
}

struct KMSTokenLookup: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "lookup", abstract: "Show VAULT_TOKEN's properties (auth/token/lookup-self).",
    discussion: "Uses one of the token's uses, as in Vault.")

  @OptionGroup var output: KMSOutput

  func run() throws {
    try runKMSCommand { client in
      let body = try client.call("GET", "auth/token/lookup-self").body ?? .null
      try output.emit(body: body, fields: VaultClient.fields(of: body))
    }
  }
}

// MARK: - read, write, unwrap

struct KMSRead: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "read", abstract: "GET any API path (as 'vault read').",
    discussion: """
      Example:
        twin-sim kms read auth/token/roles/twin-sim-job
      """)

  @OptionGroup var output: KMSOutput

  @Option(help: "Wrap the answer in a single-use wrapping token living this long.")
  var wrapTtl: String?

  @Argument(help: "API path after /v1/.")
  var path: String

  func run() throws {
    try runKMSCommand { client in
      let body = try client.call("GET", path, wrapTTL: wrapTtl).body ?? .null
      try output.emit(body: body, fields: VaultClient.fields(of: body))
    }
  }
}

struct KMSWrite: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "write", abstract: "POST KEY=VALUE data to any API path (as 'vault write').",
    discussion: """
      Values are sent as strings (the server converts lists, numbers, durations);
      KEY=@FILE reads a file, KEY=- standard input. Token roles are written this way:
        twin-sim kms write auth/token/roles/twin-sim-job allowed_policies=twin-sim-job \\
          token_bound_cidrs=10.1.0.0/16 token_ttl=2h token_num_uses=2
      """)

  @OptionGroup var output: KMSOutput

  @Option(help: "Wrap the answer in a single-use wrapping token living this long.")
  var wrapTtl: String?

  @Argument(help: "API path after /v1/.")
  var path: String

  @Argument(help: "KEY=VALUE, KEY=@FILE or KEY=-.")
  var pairs: [String] = []

  func run() throws {
    try runKMSCommand { client in
      let data = try parseKeyValues(pairs)
      let body = try client.call("POST", path, body: .object(data), wrapTTL: wrapTtl).body
      guard let body else {
        print("Success! Data written to: \(path)")
        return
      }
      try output.emit(body: body, fields: VaultClient.fields(of: body))
    }
  }
}

struct KMSUnwrap: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "unwrap", abstract: "Unwrap a response-wrapping token (works once).",
    discussion: """
      Without VAULT_TOKEN the wrapping token itself authenticates the call (as
      'vault unwrap'). Without an argument, VAULT_TOKEN is the wrapping token.

      Example (inside a job):
        VAULT_TOKEN=$(twin-sim kms unwrap -field token "$WRAPPING_TOKEN") \\
          twin-sim kms kv get -field identity secret/twin-sim/jobs/job1
      """)

  @OptionGroup var output: KMSOutput

  @Argument(help: "The wrapping token (default: VAULT_TOKEN).")
  var wrappingToken: String?

  func run() throws {
    try runKMSCommand { client in
      let body = try client.unwrap(wrappingToken)
      try output.emit(body: body, fields: VaultClient.fields(of: body))
    }
  }
}
