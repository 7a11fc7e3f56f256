import Crypto
import Foundation
import Testing

@testable import TwinSecure

/// SSHSIG parsing and Ed25519 verification, checked against OpenSSH's
/// `ssh-keygen -Y sign` and `ssh-keygen -Y verify` (the reference) both ways.
struct SSHSignatureTests {
  /// A fresh Ed25519 key pair made by ssh-keygen; returns (private key path, public key line).
  static func makeSSHKey(in folder: URL, name: String) throws -> (String, String) {
    let path = folder.appendingPathComponent(name).path
    let result = try TestSupport.run(
      "ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", name, "-f", path])
    guard result.status == 0 else { throw AgeError.io("ssh-keygen: \(result.standardError)") }
    let publicLine = try String(contentsOfFile: path + ".pub", encoding: .utf8)
    return (path, publicLine.trimmingCharacters(in: .whitespacesAndNewlines))
  }

  static func sshKeygenSign(message: [UInt8], keyPath: String, namespace: String, in folder: URL)
    throws -> String
  {
    let file = folder.appendingPathComponent("message-\(UUID().uuidString)")
    try Data(message).write(to: file)
    let result = try TestSupport.run(
      "ssh-keygen", ["-q", "-Y", "sign", "-f", keyPath, "-n", namespace, file.path])
    guard result.status == 0 else { throw AgeError.io("ssh-keygen: \(result.standardError)") }
    return try String(contentsOfFile: file.path + ".sig", encoding: .utf8)
  }

  static func sshKeygenVerifies(
    message: [UInt8], signature: String, allowedSigners: String, principal: String,
    namespace: String, in folder: URL
  ) throws -> Bool {
    let signers = folder.appendingPathComponent("allowed-\(UUID().uuidString)")
    let signatureFile = folder.appendingPathComponent("sig-\(UUID().uuidString)")
    try allowedSigners.write(to: signers, atomically: true, encoding: .utf8)
    try signature.write(to: signatureFile, atomically: true, encoding: .utf8)
    let result = try TestSupport.run(
      "ssh-keygen",
      [
        "-Y", "verify", "-f", signers.path, "-I", principal, "-n", namespace, "-s",
        signatureFile.path,
      ], input: message)
    return result.status == 0
  }

  @Test func signaturesMadeBySSHKeygenVerifyHereAndTamperingIsCaught() throws {
    let folder = try TestSupport.makeTemporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let (keyPath, publicLine) = try Self.makeSSHKey(in: folder, name: "alice")
    let message = Array("manifest bytes\n".utf8)
    let armored = try Self.sshKeygenSign(
      message: message, keyPath: keyPath, namespace: "twin-sim", in: folder)
    let signature = try SSHSignature(armored: armored)
    #expect(signature.publicKey == (try SSHPublicKey(authorizedKeyLine: publicLine)))
    #expect(signature.hashAlgorithm == "sha512")
    try signature.verify(message: message, namespace: "twin-sim")
    #expect(throws: SignatureError.invalidSignature) {
      try signature.verify(message: message + [0x0a], namespace: "twin-sim")
    }
    #expect(throws: SignatureError.wrongNamespace(expected: "file", found: "twin-sim")) {
      try signature.verify(message: message, namespace: "file")
    }
  }

  @Test func signaturesMadeHereVerifyWithSSHKeygenAndAgreeOnTampering() throws {
    let folder = try TestSupport.makeTemporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let key = Curve25519.Signing.PrivateKey()
    let publicKey = SSHPublicKey(ed25519Bytes: [UInt8](key.publicKey.rawRepresentation))
    let signers = "node@site namespaces=\"twin-sim\" \(publicKey.authorizedKeyLine)\n"
    let message = Array("output manifest\n".utf8)
    let armored = try SSHSignature.sign(message: message, namespace: "twin-sim", privateKey: key)
    #expect(
      try Self.sshKeygenVerifies(
        message: message, signature: armored, allowedSigners: signers, principal: "node@site",
        namespace: "twin-sim", in: folder))
    #expect(
      !(try Self.sshKeygenVerifies(
        message: message + [1], signature: armored, allowedSigners: signers,
        principal: "node@site", namespace: "twin-sim", in: folder)))
    #expect(
      !(try Self.sshKeygenVerifies(
        message: message, signature: armored, allowedSigners: signers, principal: "node@site",
        namespace: "other", in: folder)))
    try SSHSignature(armored: armored).verify(message: message, namespace: "twin-sim")
  }

  @Test func allowedSignersMatchPrincipalNamespaceAndValidity() throws {
    let alice = SSHPublicKey(ed25519Bytes: [UInt8](repeating: 1, count: 32))
    let bob = SSHPublicKey(ed25519Bytes: [UInt8](repeating: 2, count: 32))
    let text = """
      # site signers
      alice@example.org,a@example.org namespaces="twin-sim,file" \(alice.authorizedKeyLine) laptop
      bob@example.org namespaces="git" \(bob.authorizedKeyLine)
      *@old.example.org valid-before="20200101" \(bob.authorizedKeyLine)
      ca@example.org cert-authority \(alice.authorizedKeyLine)
      """
    let signers = try AllowedSigners(text: text)
    #expect(signers.entries.count == 3)
    func signature(_ key: SSHPublicKey) -> SSHSignature {
      let armored = try! SSHSignature.sign(
        message: [], namespace: "twin-sim", privateKey: Curve25519.Signing.PrivateKey())
      // Only the key matters to AllowedSigners; the signature itself is checked elsewhere.
      var parsed = try! SSHSignature(armored: armored)
      parsed.publicKey = key
      return parsed
    }
    let now = Date()
    #expect(
      signers.principals(
        for: signature(alice), namespace: "twin-sim", principal: nil, at: now)
        == ["alice@example.org", "a@example.org"])
    #expect(
      signers.principals(
        for: signature(alice), namespace: "twin-sim", principal: "mallory@example.org", at: now
      )
      .isEmpty)
    #expect(
      signers.principals(for: signature(bob), namespace: "twin-sim", principal: nil, at: now)
        .isEmpty)
    let in2019 = Date(timeIntervalSince1970: 1_546_300_800)
    #expect(
      signers.principals(
        for: signature(bob), namespace: "twin-sim", principal: "x@old.example.org", at: in2019)
        == ["x@old.example.org"])
  }
}
