import Crypto
import Foundation
import Testing

@testable import TwinKeyService

/// A clock the tests move forward by hand.
final class ManualClock: @unchecked Sendable {
  private let lock = NSLock()
  private var current = Date(timeIntervalSince1970: 1_800_000_000)

  var now: Date { lock.withLock { current } }
  func advance(seconds: Double) { lock.withLock { current += seconds } }
}

/// The key service's semantics, in process (no network): the transport only
/// adds TLS and HTTP framing, tested in LoopbackTests.
struct KeyServiceTests {
  let clock: ManualClock
  let service: KeyService
  let auditPath: String

  init() throws {
    auditPath =
      FileManager.default.temporaryDirectory
      .appendingPathComponent("kms-audit-\(UUID().uuidString).log").path
    let clock = ManualClock()
    self.clock = clock
    service = KeyService(
      audit: try AuditLog(path: auditPath, key: SymmetricKey(data: Array(repeating: 7, count: 32))),
      now: { clock.now })
  }

  func call(
    _ method: String, _ path: String, token: String?, body: String = "", wrap: String? = nil,
    from address: String = "127.0.0.1", query: [String: String] = [:]
  ) -> KeyServiceResponse {
    service.handle(
      KeyServiceRequest(
        method: method, path: path, query: query, token: token, wrapTTL: wrap,
        body: Array(body.utf8), remoteAddress: address))
  }

  func newToken(_ body: String, path: String = "auth/token/create") throws -> String {
    let response = call("POST", path, token: service.rootToken, body: body)
    #expect(response.status == 200)
    return try #require(response.body?["auth"]?["client_token"]?.stringValue)
  }

  @Test func kvV2WritesVersionsAndReadsThemInVaultsEnvelope() throws {
    let root = service.rootToken
    let first = call("POST", "secret/data/jobs/a", token: root, body: #"{"data":{"k":"v1"}}"#)
    #expect(first.status == 200)
    #expect(first.body?["data"]?["version"] == .integer(1))
    _ = call("PUT", "secret/data/jobs/a", token: root, body: #"{"data":{"k":"v2"},"options":{}}"#)
    let latest = call("GET", "secret/data/jobs/a", token: root)
    #expect(latest.status == 200)
    #expect(latest.body?["data"]?["data"] == .object(["k": .string("v2")]))
    #expect(latest.body?["data"]?["metadata"]?["version"] == .integer(2))
    let old = call("GET", "secret/data/jobs/a", token: root, query: ["version": "1"])
    #expect(old.body?["data"]?["data"]?["k"] == .string("v1"))
    let missing = call("GET", "secret/data/jobs/none", token: root)
    #expect(missing.status == 404)
    #expect(missing.body == .object(["errors": .array([])]))
    let casMismatch = call(
      "POST", "secret/data/jobs/a", token: root, body: #"{"data":{"k":"x"},"options":{"cas":1}}"#)
    #expect(casMismatch.status == 400)
  }

  @Test func policiesLimitWhatATokenMayDo() throws {
    let write = call(
      "PUT", "sys/policies/acl/reader", token: service.rootToken,
      body: #"{"policy":"path \"secret/data/jobs/*\" { capabilities = [\"read\"] }"}"#)
    #expect(write.status == 204)
    _ = call("POST", "secret/data/jobs/a", token: service.rootToken, body: #"{"data":{"k":"v"}}"#)
    _ = call("POST", "secret/data/other", token: service.rootToken, body: #"{"data":{"k":"v"}}"#)
    let reader = try newToken(#"{"policies":["reader"]}"#)
    #expect(call("GET", "secret/data/jobs/a", token: reader).status == 200)
    #expect(call("GET", "secret/data/other", token: reader).status == 403)
    let denied = call("POST", "secret/data/jobs/a", token: reader, body: #"{"data":{"k":"w"}}"#)
    #expect(denied.status == 403)
    #expect(denied.body == .object(["errors": .array([.string("permission denied")])]))
    // A child may not hold a policy its parent lacks.
    let escalate = call(
      "POST", "auth/token/create", token: reader, body: #"{"policies":["admin"]}"#)
    #expect(escalate.status == 403)  // reader may not even call auth/token/create
    #expect(call("GET", "secret/data/jobs/a", token: "hvs.unknown").status == 403)
    #expect(call("GET", "secret/data/jobs/a", token: nil).status == 403)
  }

  @Test func childPoliciesMustBeASubsetOfTheParents() throws {
    _ = call(
      "PUT", "sys/policies/acl/minter", token: service.rootToken,
      body: #"{"policy":"path \"auth/token/create\" { capabilities = [\"update\"] }"}"#)
    let minter = try newToken(#"{"policies":["minter"]}"#)
    let escalate = call("POST", "auth/token/create", token: minter, body: #"{"policies":["root"]}"#)
    #expect(escalate.status == 400)
    let same = call("POST", "auth/token/create", token: minter, body: #"{"policies":["minter"]}"#)
    #expect(same.status == 200)
    #expect(same.body?["auth"]?["policies"] == .array([.string("default"), .string("minter")]))
  }

  @Test func useLimitedTokenStopsAfterItsUses() throws {
    _ = call("POST", "secret/data/k", token: service.rootToken, body: #"{"data":{"k":"v"}}"#)
    let token = try newToken(#"{"num_uses":2}"#)
    #expect(call("GET", "secret/data/k", token: token).status == 200)
    #expect(call("GET", "secret/data/k", token: token).status == 200)
    #expect(call("GET", "secret/data/k", token: token).status == 403)
  }

  @Test func expiredTokenIsRefused() throws {
    _ = call("POST", "secret/data/k", token: service.rootToken, body: #"{"data":{"k":"v"}}"#)
    let token = try newToken(#"{"ttl":"2s"}"#)
    let lookup = call("GET", "auth/token/lookup-self", token: token)
    #expect(lookup.body?["data"]?["ttl"] == .integer(2))
    #expect(call("GET", "secret/data/k", token: token).status == 200)
    clock.advance(seconds: 2.5)
    #expect(call("GET", "secret/data/k", token: token).status == 403)
  }

  @Test func childTokensDieWithTheirParent() throws {
    _ = call(
      "PUT", "sys/policies/acl/minter", token: service.rootToken,
      body: #"{"policy":"path \"auth/token/create\" { capabilities = [\"update\"] }"}"#)
    let parent = try newToken(#"{"ttl":"10s","policies":["minter"]}"#)
    let child = call("POST", "auth/token/create", token: parent, body: #"{"ttl":"1h"}"#)
    let childToken = try #require(child.body?["auth"]?["client_token"]?.stringValue)
    #expect(call("GET", "auth/token/lookup-self", token: childToken).status == 200)
    clock.advance(seconds: 11)
    #expect(call("GET", "auth/token/lookup-self", token: childToken).status == 403)
  }

  @Test func roleBindsCIDRsUsesAndPolicies() throws {
    _ = call(
      "PUT", "sys/policies/acl/job", token: service.rootToken,
      body: #"{"policy":"path \"secret/data/jobs/*\" { capabilities = [\"read\"] }"}"#)
    _ = call("POST", "secret/data/jobs/a", token: service.rootToken, body: #"{"data":{"k":"v"}}"#)
    let role = call(
      "POST", "auth/token/roles/job", token: service.rootToken,
      body: #"{"allowed_policies":"job","token_bound_cidrs":"127.0.0.2/32","token_num_uses":"3"}"#)
    #expect(role.status == 204)
    let notAllowed = call(
      "POST", "auth/token/create/job", token: service.rootToken, body: #"{"policies":["admin"]}"#)
    #expect(notAllowed.status == 400)
    let token = try newToken("{}", path: "auth/token/create/job")
    #expect(call("GET", "secret/data/jobs/a", token: token, from: "127.0.0.3").status == 403)
    #expect(call("GET", "secret/data/elsewhere", token: token, from: "127.0.0.2").status == 403)
    let lookup = call("GET", "auth/token/lookup-self", token: token, from: "127.0.0.2")
    #expect(lookup.body?["data"]?["policies"] == .array([.string("default"), .string("job")]))
    #expect(lookup.body?["data"]?["bound_cidrs"] == .array([.string("127.0.0.2/32")]))
    #expect(call("GET", "secret/data/jobs/a", token: token, from: "127.0.0.2").status == 200)
    // Three uses: lookup-self and one read spent two; the refusals (from .3, and
    // by policy) spent none.
    #expect(call("GET", "secret/data/jobs/a", token: token, from: "127.0.0.2").status == 200)
    #expect(call("GET", "secret/data/jobs/a", token: token, from: "127.0.0.2").status == 403)
  }

  @Test func wrappedTokenUnwrapsExactlyOnce() throws {
    let wrapped = call(
      "POST", "auth/token/create", token: service.rootToken, body: #"{"num_uses":1}"#, wrap: "60s")
    #expect(wrapped.status == 200)
    #expect(wrapped.body?["auth"] == .null)
    let info = try #require(wrapped.body?["wrap_info"])
    #expect(info["ttl"] == .integer(60))
    #expect(info["creation_path"] == .string("auth/token/create"))
    let wrappingToken = try #require(info["token"]?.stringValue)
    // A wrapping token is good for nothing but unwrapping.
    #expect(call("GET", "auth/token/lookup-self", token: wrappingToken).status == 403)
    let first = call("POST", "sys/wrapping/unwrap", token: wrappingToken)
    #expect(first.status == 200)
    let inner = try #require(first.body?["auth"]?["client_token"]?.stringValue)
    #expect(first.body?["auth"]?["accessor"] == info["wrapped_accessor"])
    #expect(call("GET", "auth/token/lookup-self", token: inner).status == 200)
    let second = call("POST", "sys/wrapping/unwrap", token: wrappingToken)
    #expect(second.status == 400)
    #expect(
      second.body
        == .object(["errors": .array([.string("wrapping token is not valid or does not exist")])]))
  }

  @Test func wrappedReadUnwrapsThroughTheBodyTokenAndExpires() throws {
    _ = call("POST", "secret/data/k", token: service.rootToken, body: #"{"data":{"k":"v"}}"#)
    let wrapped = call("GET", "secret/data/k", token: service.rootToken, wrap: "5s")
    let wrappingToken = try #require(wrapped.body?["wrap_info"]?["token"]?.stringValue)
    let reader = try newToken(#"{"policies":["default"]}"#)
    let unwrapped = call(
      "POST", "sys/wrapping/unwrap", token: reader, body: #"{"token":"\#(wrappingToken)"}"#)
    #expect(unwrapped.body?["data"]?["data"]?["k"] == .string("v"))
    let late = call("GET", "secret/data/k", token: service.rootToken, wrap: "5s")
    let lateToken = try #require(late.body?["wrap_info"]?["token"]?.stringValue)
    clock.advance(seconds: 6)
    #expect(call("POST", "sys/wrapping/unwrap", token: lateToken).status == 400)
  }

  @Test func auditLogHasTwoLinesPerRequestAndOnlyHashesOfSecrets() throws {
    let secret = "AGE-SECRET-KEY-1THISISNOTAREALKEYBUTASECRETVALUE"
    _ = call(
      "POST", "secret/data/k", token: service.rootToken, body: #"{"data":{"id":"\#(secret)"}}"#)
    let token = try newToken(#"{"num_uses":3}"#)
    _ = call("GET", "secret/data/k", token: token)
    _ = call("GET", "secret/data/missing", token: token)
    let text = try String(contentsOfFile: auditPath, encoding: .utf8)
    let lines = text.split(separator: "\n")
    #expect(lines.count == 8)
    let entries = try lines.map { try JSONValue.parse(Array($0.utf8)) }
    #expect(
      entries.map { $0["type"]?.stringValue }
        == Array(repeating: ["request", "response"], count: 4).flatMap { $0 })
    for pair in stride(from: 0, to: entries.count, by: 2) {
      #expect(entries[pair]["request"]?["id"] == entries[pair + 1]["request"]?["id"])
    }
    #expect(!text.contains(secret))
    #expect(!text.contains(service.rootToken))
    #expect(!text.contains(token))
    #expect(text.contains("hmac-sha256:"))
    #expect(entries[7]["response"]?["status"] == .integer(404))
  }
}
