import Foundation
import Testing

@testable import TwinSecure

/// Attacks by an allowed signer on the job nonce, the replay list and the
/// expiry (docs/security.md, "Job nonce, replay list, expiry"). The attack
/// inputs are in `Tests/fixtures/secure/bundle-attacks.json`, shared with
/// `Tests/python/test_secure_prolog.py`.
struct BundleAttackTests {
  struct Attacks: Decodable {
    struct Nonce: Decodable {
      var why: String
      var nonce: String
    }
    /// A time of the fixture: seconds from now, or a text as it is.
    enum Time: Decodable {
      case offset(Double)
      case text(String)
      init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let seconds = try? container.decode(Double.self) {
          self = .offset(seconds)
        } else {
          self = .text(try container.decode(String.self))
        }
      }
      func text(now: Date) -> String {
        switch self {
        case .offset(let seconds): return JobBundle.timestamp(now.addingTimeInterval(seconds))
        case .text(let text): return text
        }
      }
    }
    struct Expiry: Decodable {
      var why: String
      var created: Time
      var expires: Time
      var accepted: Bool
    }
    var malformedNonces: [Nonce]
    var expiry: [Expiry]

    enum CodingKeys: String, CodingKey {
      case expiry
      case malformedNonces = "malformed_nonces"
    }

    static func load() throws -> Attacks {
      let url = TestSupport.repositoryRoot.appendingPathComponent(
        "Tests/fixtures/secure/bundle-attacks.json")
      return try JSONDecoder().decode(Attacks.self, from: Data(contentsOf: url))
    }
  }

  /// A fresh nonce of the right form (as `pack` makes them).
  static func freshNonce() -> String { JobBundle.hex(Age.randomBytes(32)) }

  /// Edits `manifest.json` of `bundle` and signs it again with `keyPath`, as an
  /// allowed signer crafting a manifest by hand would.
  static func resign(bundle: URL, keyPath: String, _ changes: [String: String]) throws {
    let url = bundle.appendingPathComponent(JobBundle.manifestName)
    var object = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
    for (key, value) in changes { object[key] = value }
    let data = try JSONSerialization.data(
      withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    try (data + Data("\n".utf8)).write(to: url)
    try FileManager.default.removeItem(at: bundle.appendingPathComponent(JobBundle.signatureName))
    try JobBundle.signWithSSHKeygen(file: url, keyPath: keyPath)
  }

  /// Two allowed signers, alice and bob, each with a packed bundle, one replay list.
  struct TwoUsers {
    var alice: JobBundleTests.Fixture
    var bob: JobBundleTests.Fixture
    var signers: AllowedSigners
    var replayList: String

    init() throws {
      alice = try JobBundleTests.makeBundle()
      bob = try JobBundleTests.makeBundle()
      let bobLine = bob.signersText.replacingOccurrences(
        of: "alice@example.org", with: "bob@example.org")
      signers = try AllowedSigners(text: alice.signersText + bobLine)
      replayList = alice.folder.appendingPathComponent("nonces").path
    }

    func remove() {
      try? FileManager.default.removeItem(at: alice.folder)
      try? FileManager.default.removeItem(at: bob.folder)
    }

    func check(_ fixture: JobBundleTests.Fixture, user: String, jobID: String) throws
      -> SecureProlog.Decision
    {
      var job = try SecurePrologTests.job(fixture, user: user)
      job.jobID = jobID
      return try SecureProlog.check(
        job, securePartitions: ["secure"], allowedSigners: signers, replayListPath: replayList)
    }
  }

  static func isAccepted(_ decision: SecureProlog.Decision) -> Bool {
    if case .accepted = decision { return true }
    return false
  }

  @Test func malformedNoncesAreRefusedByVerifyAndTheProlog() throws {
    let attacks = try Attacks.load()
    #expect(attacks.malformedNonces.count >= 20)
    let fixture = try JobBundleTests.makeBundle()
    defer { try? FileManager.default.removeItem(at: fixture.folder) }
    for attack in attacks.malformedNonces {
      let nonce = attack.nonce.replacingOccurrences(of: "{v}", with: Self.freshNonce())
      try Self.resign(bundle: fixture.bundle, keyPath: fixture.keyPath, ["job_nonce": nonce])
      var refusal: BundleError?
      do { _ = try JobBundleTests.verify(fixture) } catch let error as BundleError {
        refusal = error
      }
      #expect(
        refusal?.description.contains("64 lowercase hexadecimal digits") == true,
        "\(attack.why): \(String(describing: refusal))")
      #expect(throws: BundleError.self, "\(attack.why)") {
        try SecurePrologTests.check(fixture, try SecurePrologTests.job(fixture))
      }
    }
    #expect(
      !FileManager.default.fileExists(
        atPath: fixture.folder.appendingPathComponent("nonces").path))
  }

  @Test func injectedNonceCannotBlockAnotherUsersBundle() throws {
    // Alice learns bob's nonce V (his job's comment shows it) and signs a
    // bundle of her own with the nonce "q\n" + V. Her job is refused; bob's
    // genuine bundle runs. (Before: her job wrote the line "V 42" into the
    // replay list and bob's job was refused as a replay, draining the node.)
    let users = try TwoUsers()
    defer { users.remove() }
    let victim = users.bob.manifest.jobNonce
    try Self.resign(
      bundle: users.alice.bundle, keyPath: users.alice.keyPath, ["job_nonce": "q\n" + victim])
    #expect(throws: BundleError.self) {
      try users.check(users.alice, user: "alice@example.org", jobID: "7")
    }
    #expect(Self.isAccepted(try users.check(users.bob, user: "bob@example.org", jobID: "8")))
  }

  @Test func copiedWellFormedNonceBlocksOnlyItsOwnSigner() throws {
    let users = try TwoUsers()
    defer { users.remove() }
    try Self.resign(
      bundle: users.alice.bundle, keyPath: users.alice.keyPath,
      ["job_nonce": users.bob.manifest.jobNonce])
    #expect(Self.isAccepted(try users.check(users.alice, user: "alice@example.org", jobID: "7")))
    #expect(Self.isAccepted(try users.check(users.bob, user: "bob@example.org", jobID: "8")))
    #expect(throws: SecureProlog.Refusal.replayed(jobNonce: users.bob.manifest.jobNonce)) {
      try users.check(users.alice, user: "alice@example.org", jobID: "9")
    }
    #expect(throws: SecureProlog.Refusal.replayed(jobNonce: users.bob.manifest.jobNonce)) {
      try users.check(users.bob, user: "bob@example.org", jobID: "10")
    }
  }

  @Test func expiryIsBoundedAsPackBoundsIt() throws {
    let attacks = try Attacks.load()
    let fixture = try JobBundleTests.makeBundle()
    defer { try? FileManager.default.removeItem(at: fixture.folder) }
    for attack in attacks.expiry {
      let now = Date()
      try Self.resign(
        bundle: fixture.bundle, keyPath: fixture.keyPath,
        ["created": attack.created.text(now: now), "expires": attack.expires.text(now: now)])
      var refusal: Error?
      do { _ = try JobBundleTests.verify(fixture, now: now) } catch { refusal = error }
      #expect((refusal == nil) == attack.accepted, "\(attack.why): \(String(describing: refusal))")
    }
  }

  @Test func concurrentPrologsAcceptABundleOnceAndLoseNoRecord() throws {
    let users = try TwoUsers()
    defer { users.remove() }
    // Eight checks of the same bundle at once, each on its own connection:
    // exactly one is accepted, the others are refused as replays.
    let results = ResultBox()
    DispatchQueue.concurrentPerform(iterations: 8) { index in
      results.append(
        Result { try users.check(users.bob, user: "bob@example.org", jobID: "\(100 + index)") })
    }
    #expect(results.values.filter { (try? $0.get()).map(Self.isAccepted) == true }.count == 1)
    for case .failure(let error) in results.values {
      #expect(error as? SecureProlog.Refusal == .replayed(jobNonce: users.bob.manifest.jobNonce))
    }
    // Two signers' bundles at once: both are recorded.
    let both = ResultBox()
    DispatchQueue.concurrentPerform(iterations: 2) { index in
      let (fixture, user) =
        index == 0 ? (users.alice, "alice@example.org") : (users.bob, "bob@example.org")
      both.append(
        Result { try users.check(try Self.packAgain(fixture), user: user, jobID: "20\(index)") })
    }
    #expect(both.values.allSatisfy { (try? $0.get()).map(Self.isAccepted) == true })
    let recorded = try ReplayList(path: users.replayList).entries().accepted
    #expect(recorded.count == 3)
    #expect(Set(recorded.map(\.user)) == ["alice@example.org", "bob@example.org"])
  }

  /// Another bundle of the same scenario, signed by the fixture's key.
  static func packAgain(_ fixture: JobBundleTests.Fixture) throws -> JobBundleTests.Fixture {
    var again = fixture
    again.bundle = fixture.folder.appendingPathComponent("job-\(UUID().uuidString)")
    let study = fixture.folder.appendingPathComponent("study")
    again.manifest = try JobBundle.pack(
      JobBundle.PackRequest(
        scenario: (study.appendingPathComponent("scenario.yaml").path, "scenario.yaml"),
        inputs: [(study.appendingPathComponent("data/cohort.csv").path, "data/cohort.csv")],
        userRecipient: fixture.user.recipient, signingKeyPath: fixture.keyPath,
        outputFolder: again.bundle.path))
    return again
  }

  final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [Result<SecureProlog.Decision, Error>] = []
    func append(_ value: Result<SecureProlog.Decision, Error>) {
      lock.withLock { stored.append(value) }
    }
    var values: [Result<SecureProlog.Decision, Error>] { lock.withLock { stored } }
  }
}

/// The nonce's one form and the replay list's store.
struct JobNonceAndReplayListTests {
  @Test func generatedNoncesHaveTheOneFormAndDiffer() throws {
    let nonces = (0..<1000).map { _ in JobNonce.generate() }
    #expect(nonces.allSatisfy(JobNonce.isValid))
    #expect(Set(nonces).count == nonces.count)
    for attack in try BundleAttackTests.Attacks.load().malformedNonces {
      let nonce = attack.nonce.replacingOccurrences(of: "{v}", with: JobNonce.generate())
      #expect(!JobNonce.isValid(nonce), "\(attack.why)")
    }
    #expect(throws: BundleError.self) { try JobNonce.check("q\n" + JobNonce.generate()) }
  }

  @Test func messagesQuoteHostileTextEscaped() {
    #expect(JobBundle.quoted("q\n00\u{202e}\"") == "\"q\\u{a}00\\u{202e}\\u{22}\"")
    #expect(JobBundle.quoted(String(repeating: "a", count: 100)).count == 85)
  }

  @Test func fingerprintIsOpenSSHs() throws {
    let folder = try TestSupport.makeTemporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let (path, line) = try SSHSignatureTests.makeSSHKey(in: folder, name: "alice")
    let listed = try TestSupport.run("ssh-keygen", ["-l", "-f", path + ".pub"])
    let expected = String(decoding: listed.standardOutput, as: UTF8.self)
      .split(separator: " ")[1]
    #expect(try SSHPublicKey(authorizedKeyLine: line).fingerprint == String(expected))
  }

  static func entry(
    nonce: String = JobNonce.generate(),
    signer: String = "SHA256:" + String(repeating: "A", count: 43),
    user: String = "alice", jobID: String = "7"
  ) -> ReplayList.Entry {
    ReplayList.Entry(
      signer: signer, jobNonce: nonce, user: user, jobID: jobID,
      accepted: "2026-01-01T00:00:00Z", expires: "2026-01-08T00:00:00Z")
  }

  @Test func forgedFieldsAreRefusedBeforeAnythingIsStored() throws {
    let folder = try TestSupport.makeTemporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let list = ReplayList(path: folder.appendingPathComponent("nonces").path)
    let victim = JobNonce.generate()
    for forged in [
      Self.entry(nonce: "q\n" + victim), Self.entry(nonce: victim + " 7"),
      Self.entry(jobID: "7\n" + victim), Self.entry(jobID: ""), Self.entry(signer: "alice"),
      Self.entry(signer: "SHA256:" + String(repeating: "A", count: 42) + "\n"),
      Self.entry(user: ""),
    ] {
      #expect(throws: (any Error).self) { try list.record(forged) }
    }
    #expect(!FileManager.default.fileExists(atPath: list.path))
    try list.record(Self.entry(nonce: victim))
    #expect(try list.entries().accepted.map(\.jobNonce) == [victim])
    let mode = try FileManager.default.attributesOfItem(atPath: list.path)[.posixPermissions]
    #expect(mode as? Int == 0o600)
  }

  @Test func recordsAreKeptPerSignerAndNonce() throws {
    let folder = try TestSupport.makeTemporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let list = ReplayList(path: folder.appendingPathComponent("nonces").path)
    let nonce = JobNonce.generate()
    let other = "SHA256:" + String(repeating: "B", count: 43)
    try list.record(Self.entry(nonce: nonce))
    try list.record(Self.entry(nonce: nonce, signer: other, user: "bob", jobID: "8"))
    #expect(throws: SecureProlog.Refusal.replayed(jobNonce: nonce)) {
      try list.record(Self.entry(nonce: nonce, jobID: "9"))
    }
    #expect(try list.entries().accepted.map(\.jobID) == ["7", "8"])
  }

  @Test func aListOfTheOldLineFormatIsImportedAndKept() throws {
    let folder = try TestSupport.makeTemporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let path = folder.appendingPathComponent("nonces").path
    let old = JobNonce.generate()
    let text = "\(old) 3\nq\n../../etc/x 4\n\(JobNonce.generate().uppercased()) 5\n"
    try text.write(toFile: path, atomically: false, encoding: .utf8)
    let list = ReplayList(path: path)
    // Refused for every signer: the old list did not say whose it was.
    #expect(throws: SecureProlog.Refusal.replayed(jobNonce: old)) {
      try list.record(Self.entry(nonce: old))
    }
    #expect(try list.entries().legacyNonces == [old])
    let kept = try FileManager.default.contentsOfDirectory(atPath: folder.path)
      .filter { $0.hasPrefix("nonces.legacy-") }
    #expect(kept.count == 1)
    #expect(
      try String(contentsOfFile: folder.appendingPathComponent(kept[0]).path, encoding: .utf8)
        == text)
    try list.record(Self.entry())
    #expect(try list.entries().accepted.count == 1)
  }

  @Test func aLinkOrBinaryDataIsRefused() throws {
    let folder = try TestSupport.makeTemporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let link = folder.appendingPathComponent("link").path
    try FileManager.default.createSymbolicLink(
      atPath: link, withDestinationPath: folder.appendingPathComponent("elsewhere").path)
    #expect(throws: SecureProlog.Refusal.self) { try ReplayList(path: link).record(Self.entry()) }
    let binary = folder.appendingPathComponent("binary").path
    try Data([0x00, 0x01, 0x02, 0x0a]).write(to: URL(fileURLWithPath: binary))
    #expect(throws: SecureProlog.Refusal.self) { try ReplayList(path: binary).record(Self.entry()) }
    #expect(
      !FileManager.default.fileExists(atPath: folder.appendingPathComponent("elsewhere").path))
  }
}
