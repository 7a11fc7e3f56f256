import Testing

@testable import TwinKeyService

/// Policy language subset, CIDRs and durations.
struct PolicyAndParsingTests {
  @Test func hclPolicyWithCommentsParsesIntoPathRules() throws {
    let policy = try VaultPolicy(
      name: "job",
      text: """
        # jobs may read their keys
        path "secret/data/twin-sim/jobs/*" {
          capabilities = ["read"]
        }
        // and write results
        path "secret/data/twin-sim/results/+/out" {
          capabilities = ["create", "update"]
        }
        """)
    #expect(
      policy.rules.map(\.pattern) == [
        "secret/data/twin-sim/jobs/*", "secret/data/twin-sim/results/+/out",
      ])
    #expect(policy.rules[0].capabilities == ["read"])
    #expect(policy.rules[1].capabilities == ["create", "update"])
  }

  @Test func jsonPolicyParsesLikeTheHCLForm() throws {
    let policy = try VaultPolicy(
      name: "job", text: #"{"path": {"secret/data/a": {"capabilities": ["read", "update"]}}}"#)
    #expect(policy.rules == [.init(pattern: "secret/data/a", capabilities: ["read", "update"])])
  }

  @Test func unknownCapabilityAndUnsupportedKeysAreRefusedByName() {
    #expect(
      throws: KeyServiceError.badRequest(
        "failed to parse policy: path \"secret/*\": invalid capability \"write\"")
    ) {
      try VaultPolicy(name: "p", text: #"path "secret/*" { capabilities = ["write"] }"#)
    }
    #expect(throws: KeyServiceError.self) {
      try VaultPolicy(
        name: "p",
        text: #"path "secret/*" { capabilities = ["read"] allowed_parameters = {} }"#)
    }
    #expect(throws: KeyServiceError.self) {
      try VaultPolicy(name: "p", text: #"path "secret/*/x" { capabilities = ["read"] }"#)
    }
  }

  @Test func mostSpecificPathWinsAndDenyOverrides() throws {
    // Vault's docs ("Policies", priority matching): an exact path beats a glob,
    // the longer glob beats the shorter one, and a deny on the winner refuses.
    let policy = try VaultPolicy(
      name: "p",
      text: """
        path "secret/*" { capabilities = ["read"] }
        path "secret/data/private" { capabilities = ["deny"] }
        path "secret/data/team/*" { capabilities = ["create"] }
        """)
    let decision = PolicyDecision(policies: [policy])
    #expect(decision.allows(["read"], on: "secret/data/other"))
    #expect(!decision.allows(["read"], on: "secret/data/private"))
    #expect(!decision.allows(["read"], on: "secret/data/team/x"))
    #expect(decision.allows(["create"], on: "secret/data/team/x"))
    #expect(!decision.allows(["read"], on: "sys/policies/acl/p"))
  }

  @Test func plusMatchesExactlyOneSegment() {
    #expect(PolicyDecision.matches(pattern: "secret/data/+/key", path: "secret/data/a/key"))
    #expect(!PolicyDecision.matches(pattern: "secret/data/+/key", path: "secret/data/a/b/key"))
    #expect(PolicyDecision.matches(pattern: "secret/+/a*", path: "secret/data/abc"))
    #expect(!PolicyDecision.matches(pattern: "secret/data/a", path: "secret/data/ab"))
  }

  @Test func cidrsContainExactlyTheirAddresses() throws {
    let host = try #require(CIDR(parsing: "127.0.0.2/32"))
    #expect(host.contains(address: "127.0.0.2"))
    #expect(!host.contains(address: "127.0.0.3"))
    #expect(host.contains(address: "::ffff:127.0.0.2"))
    let network = try #require(CIDR(parsing: "10.1.0.0/16"))
    #expect(network.contains(address: "10.1.255.7"))
    #expect(!network.contains(address: "10.2.0.1"))
    let v6 = try #require(CIDR(parsing: "fd00::/8"))
    #expect(v6.contains(address: "fd12::1"))
    #expect(!v6.contains(address: "fe80::1"))
    #expect(CIDR(parsing: "10.0.0.0/33") == nil)
    #expect(CIDR(parsing: "not-an-address") == nil)
    #expect(CIDR(parsing: "10.1.2.3/8")?.description == "10.0.0.0/8")
  }

  @Test func durationsFollowVaultsSyntax() {
    #expect(VaultDuration.seconds(parsing: "90") == 90)
    #expect(VaultDuration.seconds(parsing: "90s") == 90)
    #expect(VaultDuration.seconds(parsing: "15m") == 900)
    #expect(VaultDuration.seconds(parsing: "1h30m") == 5400)
    #expect(VaultDuration.seconds(parsing: "2d") == 172_800)
    #expect(VaultDuration.seconds(parsing: "1.5h") == nil)
    #expect(VaultDuration.seconds(parsing: "-5") == nil)
    #expect(VaultDuration.seconds(parsing: "10x") == nil)
    #expect(VaultDuration.seconds(parsing: "h") == nil)
  }
}
