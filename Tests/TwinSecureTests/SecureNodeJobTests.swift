import Crypto
import Foundation
import Testing

@testable import TwinSecure

/// The node side around the batch script: wiping, the prolog's folder and
/// record, the epilog's signed publication, and its verification.
struct SecureNodeJobTests {
  @Test func wipeOverwritesFilesRemovesFoldersAndNeverFollowsLinks() throws {
    let folder = try TestSupport.makeTemporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let outside = folder.appendingPathComponent("outside.txt")
    try "keep\n".write(to: outside, atomically: true, encoding: .utf8)
    let job = folder.appendingPathComponent("job")
    try FileManager.default.createDirectory(
      at: job.appendingPathComponent("in/sub"), withIntermediateDirectories: true)
    let secret = job.appendingPathComponent("in/sub/table.csv")
    try Data(repeating: 0x41, count: 200_000).write(to: secret)
    try FileManager.default.createSymbolicLink(
      at: job.appendingPathComponent("link"), withDestinationURL: outside)
    // Keep a descriptor to the plaintext open: after the wipe its bytes read as zeros.
    let reader = try FileHandle(forReadingFrom: secret)
    let count = try SecureWipe.wipe(path: job.path)
    #expect(count == 1)
    #expect(!FileManager.default.fileExists(atPath: job.path))
    #expect(try String(contentsOf: outside, encoding: .utf8) == "keep\n")
    let left = try reader.readToEnd() ?? Data()
    #expect(left.count == 200_000 && left.allSatisfy { $0 == 0 })
    #expect(try SecureWipe.wipe(path: job.path) == 0)
  }

  @Test func epilogPublishesASignedManifestThatVerifiesAndBindsTheBundle() throws {
    let folder = try TestSupport.makeTemporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let (nodeKey, nodePublic) = try SSHSignatureTests.makeSSHKey(in: folder, name: "node_key")
    let bundle = folder.appendingPathComponent("bundle")
    try FileManager.default.createDirectory(
      at: bundle.appendingPathComponent("results"), withIntermediateDirectories: true)
    let nodeTmp = folder.appendingPathComponent("node").path
    try FileManager.default.createDirectory(atPath: nodeTmp, withIntermediateDirectories: true)
    let records = folder.appendingPathComponent("records").path
    let record = SecureNodeJob.Record(
      jobID: "12", jobNonce: String(repeating: "ab", count: 32),
      bundleManifestSHA256: String(repeating: "cd", count: 32), user: "alice", uid: getuid(),
      gid: getgid(), bundle: bundle.path, userRecipient: AgeIdentity().recipient.description,
      started: "2026-01-01T00:00:00Z")
    try SecureNodeJob.prepare(
      record: record, nodeTmp: nodeTmp, recordsFolder: records, twinSimBinary: "/opt/twin sim",
      jobEnvironment: nil)
    let jobFolder = SecureNodeJob.folder(nodeTmp: nodeTmp, jobID: "12")
    #expect(
      try String(contentsOfFile: jobFolder + "/site.env", encoding: .utf8)
        == "# Written by twin-sim secure prolog for job 12.\nTWIN_SIM_BIN='/opt/twin sim'\n")
    try FileManager.default.createDirectory(
      atPath: jobFolder + "/out", withIntermediateDirectories: false)
    try Data("sealed results".utf8).write(
      to: URL(fileURLWithPath: jobFolder + "/out/results.h5.age"))
    let finished = try SecureNodeJob.finish(
      jobID: "12", nodeTmp: nodeTmp, recordsFolder: records, nodeKeyPath: nodeKey,
      nodeName: "node01", exitCode: "0:0")
    #expect(finished.publishError == nil)
    #expect(!FileManager.default.fileExists(atPath: jobFolder))
    #expect(try FileManager.default.contentsOfDirectory(atPath: records).isEmpty)
    let results = bundle.appendingPathComponent("results").path
    let signers = try AllowedSigners(
      text: "node0[1-4] namespaces=\"twin-sim-node\" \(nodePublic)\n")
    let expected = JobOutputs.ExpectedJob(
      jobNonce: record.jobNonce, bundleManifestSHA256: record.bundleManifestSHA256)
    let verified = try JobOutputs.verify(folder: results, nodeSigners: signers, expected: expected)
    #expect(verified.principals == ["node01"])
    #expect(verified.manifest.outputs.map(\.path) == ["results.h5.age"])
    #expect(
      verified.manifest.outputs[0].sha256
        == JobBundle.hex(SHA256.hash(data: Data("sealed results".utf8))))
    // The same results for another bundle, or signed for another node name, are refused.
    var otherBundle = expected
    otherBundle.bundleManifestSHA256 = String(repeating: "ef", count: 32)
    #expect(throws: BundleError.self) {
      try JobOutputs.verify(folder: results, nodeSigners: signers, expected: otherBundle)
    }
    let otherNodes = try AllowedSigners(
      text: "node09 namespaces=\"twin-sim-node\" \(nodePublic)\n")
    #expect(throws: BundleError.self) {
      try JobOutputs.verify(folder: results, nodeSigners: otherNodes, expected: expected)
    }
    // A bundle signature namespace does not pass for a node signature.
    let userSigners = try AllowedSigners(text: "node01 namespaces=\"twin-sim\" \(nodePublic)\n")
    #expect(throws: BundleError.self) {
      try JobOutputs.verify(folder: results, nodeSigners: userSigners, expected: expected)
    }
  }
}
