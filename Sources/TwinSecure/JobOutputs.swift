import Crypto
import Foundation

/// `output-manifest.json` of a finished secure job: what the node signed.
public struct OutputManifest: Codable, Sendable, Equatable {
  public static let formatName = "twin-sim-job-output/1"
  public var format: String
  /// The Slurm job id.
  public var jobID: String
  /// The bundle's job nonce, as the prolog accepted it (so results of one
  /// bundle cannot pass for those of another).
  public var jobNonce: String
  /// SHA-256 (hex) of the bundle's `manifest.json` the prolog verified: binds
  /// the results to exactly the bundle the user signed.
  public var bundleManifestSHA256: String
  /// The node that ran the job: it must be a principal of the signing key in
  /// the site's node allowed-signers file.
  public var node: String
  /// The job's user.
  public var user: String
  /// ISO 8601 UTC times: prolog acceptance and epilog.
  public var started: String
  public var finished: String
  /// Slurm's exit code of the job, `status:signal` (`0:0` is success).
  public var exitCode: String
  /// The batch script's own exit status (`0` when every step, including the
  /// encryption of the results, succeeded), or `none` when the script ended
  /// without reporting it (killed). Slurm's code alone does not tell a
  /// cancelled job from a finished one in every case.
  public var scriptStatus: String
  /// The twin-sim version of the site's installation (the epilog's; jobs run
  /// the site's twin-sim through `site.env`). Absent in older manifests.
  public var softwareVersion: String?
  /// The published files (each encrypted to the user's recipient), plain names.
  public var outputs: [BundleFile]

  enum CodingKeys: String, CodingKey {
    case format, node, user, started, finished, outputs
    case jobID = "job_id"
    case jobNonce = "job_nonce"
    case bundleManifestSHA256 = "bundle_manifest_sha256"
    case exitCode = "exit_code"
    case scriptStatus = "script_status"
    case softwareVersion = "software_version"
  }

  /// Whether the job succeeded: Slurm reported success and the script reached
  /// its end with status 0.
  public var succeeded: Bool { (exitCode == "0:0" || exitCode == "0") && scriptStatus == "0" }
}

/// The results of a secure job in `results/` of its bundle: encrypted outputs
/// and the output manifest, signed by the node key (SSHSIG, namespace
/// `twin-sim-node`). Checked and opened on the workstation.
public enum JobOutputs {
  public static let signatureNamespace = "twin-sim-node"
  public static let manifestName = "output-manifest.json"
  public static let signatureName = "output-manifest.json.sig"

  /// The job the user expects results of: read from the user's own copy of
  /// the bundle (on the workstation, not the shared file system).
  public struct ExpectedJob: Sendable, Equatable {
    public var jobNonce: String
    /// SHA-256 (hex) of the bundle's `manifest.json`.
    public var bundleManifestSHA256: String

    public init(jobNonce: String, bundleManifestSHA256: String) {
      self.jobNonce = jobNonce
      self.bundleManifestSHA256 = bundleManifestSHA256
    }

    /// Reads `BUNDLE/manifest.json`; refuses a job nonce not of `JobNonce`'s form.
    public init(bundleFolder: String) throws {
      let path = bundleFolder + "/" + JobBundle.manifestName
      guard let data = FileManager.default.contents(atPath: path) else {
        throw BundleError.invalidInput("cannot read \(path)")
      }
      let manifest: JobManifest
      do { manifest = try JSONDecoder().decode(JobManifest.self, from: data) } catch {
        throw BundleError.invalidInput("\(path) is not a job manifest: \(error)")
      }
      // The nonce names the key-service path of `release`: only its one form.
      try JobNonce.check(manifest.jobNonce)
      self.init(
        jobNonce: manifest.jobNonce, bundleManifestSHA256: JobBundle.hex(SHA256.hash(data: data)))
    }
  }

  /// What a successful verification established.
  public struct Verified: Sendable {
    public var manifest: OutputManifest
    /// The node allowed-signers principals that match the signing key.
    public var principals: [String]
  }

  /// Checks `folder`: the SSHSIG signature of the output manifest against
  /// `nodeSigners` (namespace `twin-sim-node`, principal = the manifest's
  /// node), the job nonce and bundle manifest hash against `expected` (the
  /// user's own copy of the bundle), and
  /// the SHA-256 and size of every listed output.
  public static func verify(
    folder: String, nodeSigners: AllowedSigners, expected: ExpectedJob, now: Date = Date()
  ) throws -> Verified {
    let url = URL(fileURLWithPath: folder)
    guard
      let manifestData = FileManager.default.contents(
        atPath: url.appendingPathComponent(manifestName).path)
    else { throw BundleError.missingFile(path: manifestName) }
    guard
      let signatureData = FileManager.default.contents(
        atPath: url.appendingPathComponent(signatureName).path)
    else { throw BundleError.missingFile(path: signatureName) }
    let signature: SSHSignature
    do {
      signature = try SSHSignature(armored: String(decoding: signatureData, as: UTF8.self))
      try signature.verify(message: [UInt8](manifestData), namespace: signatureNamespace)
    } catch {
      throw BundleError.nodeSignature(error)
    }
    let manifest: OutputManifest
    do { manifest = try JSONDecoder().decode(OutputManifest.self, from: manifestData) } catch {
      throw BundleError.outputManifest("not an output manifest: \(error)")
    }
    guard manifest.format == OutputManifest.formatName else {
      throw BundleError.outputManifest(
        "format '\(manifest.format)' is not \(OutputManifest.formatName)")
    }
    let principals = nodeSigners.principals(
      for: signature, namespace: signatureNamespace, principal: manifest.node, at: now)
    if principals.isEmpty {
      throw BundleError.nodeSignature(
        .signerNotAllowed("the key is not an allowed node signer for node '\(manifest.node)'"))
    }
    guard manifest.jobNonce == expected.jobNonce else {
      throw BundleError.outputManifest(
        "job nonce \(manifest.jobNonce) is not the bundle's \(expected.jobNonce): "
          + "results of another job")
    }
    guard manifest.bundleManifestSHA256 == expected.bundleManifestSHA256 else {
      throw BundleError.outputManifest(
        "the job ran a bundle manifest other than yours (SHA-256 \(manifest.bundleManifestSHA256),"
          + " yours \(expected.bundleManifestSHA256))")
    }
    for output in manifest.outputs {
      guard JobBundle.isPlainRelativePath(output.path), !output.path.contains("/") else {
        throw BundleError.outputManifest("output name '\(output.path)' is not a plain file name")
      }
      let fileURL = url.appendingPathComponent(output.path)
      guard FileManager.default.fileExists(atPath: fileURL.path) else {
        throw BundleError.missingFile(path: output.path)
      }
      let (digest, bytes) = try JobBundle.sha256(ofFileAt: fileURL)
      guard digest == output.sha256, bytes == output.bytes else {
        throw BundleError.hashMismatch(path: output.path)
      }
    }
    return Verified(manifest: manifest, principals: principals)
  }

  /// Copies the output manifest, its signature and the listed outputs from
  /// `source` (the job's `results/`) into the new folder `destination`, then
  /// verifies the copies (so what was checked is what stays). The folder is
  /// built under a temporary name and renamed only when it verified.
  public static func fetch(
    from source: String, to destination: String, nodeSigners: AllowedSigners, expected: ExpectedJob,
    now: Date = Date()
  ) throws -> Verified {
    let finalURL = URL(fileURLWithPath: destination)
    if FileManager.default.fileExists(atPath: finalURL.path) {
      throw BundleError.invalidInput("\(destination) exists; choose a new folder")
    }
    let sourceURL = URL(fileURLWithPath: source)
    guard
      let manifestData = FileManager.default.contents(
        atPath: sourceURL.appendingPathComponent(manifestName).path)
    else { throw BundleError.missingFile(path: manifestName) }
    let listed: OutputManifest
    do { listed = try JSONDecoder().decode(OutputManifest.self, from: manifestData) } catch {
      throw BundleError.outputManifest("not an output manifest: \(error)")
    }
    let partial = finalURL.deletingLastPathComponent()
      .appendingPathComponent(
        ".\(finalURL.lastPathComponent).partial-\(JobBundle.hex(Age.randomBytes(6)))")
    try FileManager.default.createDirectory(
      at: partial, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
    do {
      let names = [manifestName, signatureName] + listed.outputs.map(\.path)
      for name in names {
        guard JobBundle.isPlainRelativePath(name), !name.contains("/") else {
          throw BundleError.outputManifest("output name '\(name)' is not a plain file name")
        }
        let from = sourceURL.appendingPathComponent(name)
        guard FileManager.default.fileExists(atPath: from.path) else {
          throw BundleError.missingFile(path: name)
        }
        try FileManager.default.copyItem(at: from, to: partial.appendingPathComponent(name))
      }
      let verified = try verify(
        folder: partial.path, nodeSigners: nodeSigners, expected: expected, now: now)
      guard rename(partial.path, finalURL.path) == 0 else {
        throw BundleError.invalidInput(
          "cannot rename to \(finalURL.path): \(String(cString: strerror(errno)))")
      }
      return verified
    } catch {
      try? FileManager.default.removeItem(at: partial)
      throw error
    }
  }

  /// Verifies `folder` (as `verify`), then decrypts every `NAME.age` output
  /// with `identities` into `outputFolder` as `NAME` (created with mode 0700
  /// if missing; existing files are not replaced). Returns the verification
  /// and the written paths.
  public static func open(
    folder: String, nodeSigners: AllowedSigners, expected: ExpectedJob, identities: [AgeIdentity],
    outputFolder: String, now: Date = Date()
  ) throws -> (verified: Verified, written: [String]) {
    let verified = try verify(
      folder: folder, nodeSigners: nodeSigners, expected: expected, now: now)
    let sealed = verified.manifest.outputs.filter { $0.path.hasSuffix(".age") }
    let targets = sealed.map { outputFolder + "/" + String($0.path.dropLast(".age".count)) }
    for target in targets where FileManager.default.fileExists(atPath: target) {
      throw BundleError.invalidInput("\(target) exists; refusing to replace it")
    }
    try FileManager.default.createDirectory(
      atPath: outputFolder, withIntermediateDirectories: true,
      attributes: [.posixPermissions: 0o700])
    var written: [String] = []
    for (output, target) in zip(sealed, targets) {
      try AgeFile.decrypt(
        inputPath: folder + "/" + output.path, outputPath: target, identities: identities)
      written.append(target)
    }
    return (verified, written)
  }
}
