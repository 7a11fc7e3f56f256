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
  /// expiry and files (`JobBundle.verify`), the spooled script against the
  /// signed hash, the signed partition, and the nonce against the replay list
  /// at `replayListPath` (one `nonce jobID` line each, under an exclusive
  /// `flock`). Records the nonce only when every other check held.
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
    try recordNonce(manifest.jobNonce, jobID: job.jobID, replayListPath: replayListPath)
    return .accepted(
      principal: job.user, manifest: manifest, manifestSHA256: verified.manifestSHA256)
  }

  /// Appends `nonce` to the replay list unless it is there already.
  static func recordNonce(_ nonce: String, jobID: String, replayListPath: String) throws {
    let descriptor = open(replayListPath, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
    guard descriptor >= 0 else {
      throw Refusal.replayList("cannot open \(replayListPath): \(String(cString: strerror(errno)))")
    }
    let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
    guard flock(descriptor, LOCK_EX) == 0 else {
      throw Refusal.replayList("cannot lock \(replayListPath)")
    }
    defer { flock(descriptor, LOCK_UN) }
    try handle.seek(toOffset: 0)
    let text = String(decoding: try handle.readToEnd() ?? Data(), as: UTF8.self)
    for line in text.split(separator: "\n")
    where line.split(separator: " ").first == Substring(nonce) {
      throw Refusal.replayed(jobNonce: nonce)
    }
    try handle.write(contentsOf: Data("\(nonce) \(jobID)\n".utf8))
    try handle.synchronize()
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
