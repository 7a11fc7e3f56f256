import Crypto
import Foundation

/// The checks a Slurm Prolog makes before a job on a secure partition runs
/// (SecureHPC step 6). Slurm does not start a job whose Prolog fails.
public enum SecureProlog {
  /// What the Prolog knows about the job.
  public struct Job: Sendable {
    public var jobID: String
    /// The Slurm user name: the bundle must be signed by this principal.
    public var user: String
    public var partition: String
    /// The bundle folder (the job's working directory).
    public var bundleFolder: String
    /// The batch script as Slurm spooled it (not the file in the bundle).
    public var spooledScript: [UInt8]

    public init(
      jobID: String, user: String, partition: String, bundleFolder: String,
      spooledScript: [UInt8]
    ) {
      self.jobID = jobID
      self.user = user
      self.partition = partition
      self.bundleFolder = bundleFolder
      self.spooledScript = spooledScript
    }
  }

  public enum Decision: Sendable, Equatable {
    /// Not a secure partition: nothing to check.
    case notSecure
    /// Every check held; the nonce is now in the replay list. The manifest and
    /// the SHA-256 of its bytes as verified go into the epilog's record.
    case accepted(principal: String, manifest: JobManifest, manifestSHA256: String)
  }

  /// Why a job was refused (in addition to `BundleError` from `JobBundle.verify`).
  public enum Refusal: Error, Equatable, CustomStringConvertible {
    case scriptDiffers
    case partitionDiffers(signed: String, actual: String)
    case replayed(jobNonce: String)
    case replayList(String)

    public var description: String {
      switch self {
      case .scriptDiffers:
        return "the job script Slurm spooled differs from the signed batch script"
      case .partitionDiffers(let signed, let actual):
        return "the bundle was signed for partition '\(signed)', the job is on '\(actual)'"
      case .replayed(let nonce): return "job nonce \(nonce) was used before (replayed bundle)"
      case .replayList(let reason): return "replay list: \(reason)"
      }
    }
  }

  /// Checks `job`: partition, signature by the job's user (allowed signers),
  /// the nonce's form, creation and expiry times, and files (`JobBundle.verify`),
  /// the spooled script against the signed hash, the signed partition, and the
  /// signing key and nonce against the replay list at `replayListPath` (an
  /// SQLite database, `ReplayList`). Records them only when every other check
  /// held.
  public static func check(
    _ job: Job, securePartitions: [String], allowedSigners: AllowedSigners,
    replayListPath: String, now: Date = Date()
  ) throws -> Decision {
    guard securePartitions.contains(job.partition) else { return .notSecure }
    let verified = try JobBundle.verify(
      folder: job.bundleFolder, allowedSigners: allowedSigners, principal: job.user, now: now)
    let manifest = verified.manifest
    guard JobBundle.hex(SHA256.hash(data: job.spooledScript)) == manifest.batchScript.sha256
    else { throw Refusal.scriptDiffers }
    guard manifest.partition == job.partition else {
      throw Refusal.partitionDiffers(signed: manifest.partition, actual: job.partition)
    }
    guard SecureNodeJob.isJobID(job.jobID) else {
      throw BundleError.invalidInput("job id \(JobBundle.quoted(job.jobID)) is not a Slurm job id")
    }
    try ReplayList(path: replayListPath).record(
      ReplayList.Entry(
        signer: verified.signer.fingerprint, jobNonce: manifest.jobNonce, user: job.user,
        jobID: job.jobID, accepted: JobBundle.timestamp(now), expires: manifest.expires))
    return .accepted(
      principal: job.user, manifest: manifest, manifestSHA256: verified.manifestSHA256)
  }

  /// One JSON line for the Prolog's log: time, job, user, verdict, reason.
  public static func logLine(job: Job, now: Date, verdict: String, reason: String) -> String {
    let fields: [String: String] = [
      "time": JobBundle.timestamp(now), "job_id": job.jobID, "user": job.user,
      "partition": job.partition, "bundle": job.bundleFolder, "verdict": verdict,
      "reason": reason,
    ]
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    // Encoding a [String: String] cannot fail.
    return String(decoding: try! encoder.encode(fields), as: UTF8.self)
  }
}
