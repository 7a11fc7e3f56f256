import ArgumentParser
import Foundation
import TwinKeyService
import TwinSecure

/// `twin-sim secure release BUNDLE`: the workstation's key step for a site
/// whose jobs take their key from the key service (SecureHPC step 3;
/// docs/security.md, "Key delivery"). Stores the per-job identity at the path
/// the signed batch script reads and prints the job's response-wrapped token.
struct SecureRelease: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "release",
    abstract: "Store a bundle's per-job key in the key service; print the job's wrapping token.",
    discussion: """
      Opens the bundle's job-identity.age with your identity (-i), stores the
      per-job identity at secret/twin-sim/jobs/NONCE (field identity) and prints
      a response-wrapped token for the job on standard output. Submit the job
      with it as TWIN_SIM_WRAP_TOKEN; the job unwraps it once and reads its key.

      Without --role it writes, for this job only, a policy and a token role
      both named twin-sim-job-NONCE16 (the first 16 hex digits of the nonce):
      the policy reads only this job's path; the role (orphan, no default
      policy) binds the job's token to --bound-cidr (the secure nodes), allows
      it --uses uses (default 1: one read of the key) and --ttl. That needs a
      token allowed to write policies and token roles. With --role ROLE the
      site's role is used instead; its policies must allow reading
      secret/data/twin-sim/jobs/NONCE.

      The job's token lives --ttl from now (it is made now and held by the
      wrapping token), so --ttl must be at least --wrap-ttl: the longest the
      job may wait in the queue. Reads VAULT_ADDR, VAULT_TOKEN and VAULT_CACERT
      as the 'twin-sim kms' commands do. Exit status: 0 done; 1 refused by the
      key service or a bundle file failed to decrypt; 2 invalid arguments.

      Example:
        token=$(twin-sim secure release job1 -i ~/.config/twin-sim/key.txt \\
          --bound-cidr 10.1.0.0/16)
        cd job1-on-the-cluster && TWIN_SIM_WRAP_TOKEN=$token sbatch job.sbatch
      """)

  @Argument(help: "Bundle folder, as packed (your own copy).")
  var bundle: String

  @Option(name: .shortAndLong, help: "Your identity file: opens job-identity.age.")
  var identity: String

  @Option(help: "CIDR of the secure nodes the job's token is bound to; repeat for several.")
  var boundCidr: [String] = []

  @Option(help: "A token role of the site to use instead of a per-job policy and role.")
  var role: String?

  @Option(help: "Lifetime of the job's token, from now (e.g. 24h).")
  var ttl = "24h"

  @Option(help: "How long the wrapping token can be unwrapped (single use).")
  var wrapTtl = "24h"

  @Option(help: "Uses of the job's token (1: the job reads its key once).")
  var uses = 1

  /// What is wrong with the arguments, if anything (checked in `run`, so the
  /// exit status is 2 as for every invalid input, not ArgumentParser's 64).
  func argumentProblem() -> String? {
    guard let ttlSeconds = VaultDuration.seconds(parsing: ttl), ttlSeconds > 0 else {
      return "--ttl \"\(ttl)\" is not a duration (e.g. 90s, 30m, 24h)"
    }
    guard let wrapSeconds = VaultDuration.seconds(parsing: wrapTtl), wrapSeconds > 0 else {
      return "--wrap-ttl \"\(wrapTtl)\" is not a duration (e.g. 90s, 30m, 24h)"
    }
    guard ttlSeconds >= wrapSeconds else {
      return "--ttl \(ttl) is shorter than --wrap-ttl \(wrapTtl): the job's token would expire "
        + "before it can be unwrapped"
    }
    guard uses >= 1 else { return "--uses must be at least 1, found \(uses)" }
    for cidr in boundCidr where CIDR(parsing: cidr) == nil {
      return "--bound-cidr \(cidr) is not a CIDR like 10.1.0.0/16 or 127.0.0.1/32"
    }
    if role == nil && boundCidr.isEmpty {
      return "give --bound-cidr (the secure nodes' addresses) or --role (a role of the site)"
    }
    if role != nil && !boundCidr.isEmpty {
      return "--bound-cidr and --role exclude each other (the role binds CIDRs)"
    }
    return nil
  }

  func run() throws {
    if let problem = argumentProblem() { throw reportInvalidInput(problem) }
    var nonce = ""
    var jobIdentity = ""
    try runSecureCommand {
      nonce = try JobOutputs.ExpectedJob(bundleFolder: bundle).jobNonce
      let identities = try AgeFile.readIdentities(path: identity)
      let sealedPath = bundle + "/" + JobBundle.jobIdentityName
      guard let sealed = FileManager.default.contents(atPath: sealedPath) else {
        throw BundleError.invalidInput("cannot read \(sealedPath)")
      }
      let opened = try Age.decrypt([UInt8](sealed), identities: identities)
      jobIdentity = String(decoding: opened, as: UTF8.self)
      _ = try AgeIdentity.parseIdentityFile(jobIdentity)
    }
    let keyPath = BatchScript.keyServicePath(jobNonce: nonce)
    try runKMSCommand { client in
      let roleName: String
      if let role {
        roleName = role
      } else {
        roleName = "twin-sim-job-" + String(nonce.prefix(16))
        // The policy names the API path of the KV v2 secret: MOUNT/data/PATH.
        let dataPath = "secret/data/" + keyPath.dropFirst("secret/".count)
        try client.writePolicy(
          name: roleName, text: "path \"\(dataPath)\" {\n  capabilities = [\"read\"]\n}\n")
        try client.call(
          "POST", "auth/token/roles/\(roleName)",
          body: .object([
            "allowed_policies": .array([.string(roleName)]),
            "orphan": .bool(true),
            "token_no_default_policy": .bool(true),
            "token_bound_cidrs": .array(boundCidr.map(JSONValue.string)),
            "token_ttl": .string(ttl),
            "token_max_ttl": .string(ttl),
            "token_num_uses": .integer(uses),
          ]))
      }
      _ = try client.kvPut(keyPath, data: ["identity": .string(jobIdentity)])
      var request = VaultClient.TokenRequest()
      request.role = roleName
      request.ttl = ttl
      request.numUses = uses
      request.noDefaultPolicy = role == nil
      request.displayName = "twin-sim-job"
      let answer = try client.createToken(request, wrapTTL: wrapTtl)
      guard let wrapping = answer["wrap_info"]?["token"]?.stringValue else {
        throw VaultClientError.invalidResponse(
          "auth/token/create/\(roleName): the answer holds no wrap_info.token")
      }
      printError(
        "twin-sim: stored the per-job key at \(keyPath); the job's token (role \(roleName), "
          + "\(uses) use\(uses == 1 ? "" : "s"), ttl \(ttl)) is wrapped in a single-use token "
          + "valid \(wrapTtl), printed on standard output: submit with TWIN_SIM_WRAP_TOKEN")
      print(wrapping)
    }
  }
}
