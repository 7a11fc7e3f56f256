import ArgumentParser
import Foundation
import TwinDMP
import TwinSecure
import TwinTime

/// Options of `provenance` and `catalog add` for a secure job's results folder
/// (one holding `output-manifest.json`): how its node-signed manifest is verified.
struct SealedResultsOptions: ParsableArguments {
  @Option(
    help: ArgumentHelp(
      "For a secure job's results: your copy of its bundle (default: the results folder's"
        + " parent, when it is the bundle).", valueName: "dir"))
  var bundle: String?

  @Option(
    help: ArgumentHelp(
      "For a secure job's results: the site's allowed-signers file of node keys"
        + " (namespace twin-sim-node).", valueName: "file"))
  var nodeSigners: String?

  /// The verified secure run of `folder`, or nil when `folder` holds no output
  /// manifest (a plain run folder). Verification as `secure fetch` does it:
  /// node signature, job nonce and bundle manifest hash, every output's
  /// SHA-256 and size.
  func sealedRun(folder: String) throws -> SealedRun? {
    let url = URL(fileURLWithPath: folder).standardizedFileURL
    guard
      FileManager.default.fileExists(
        atPath: url.appendingPathComponent(JobOutputs.manifestName).path)
    else { return nil }
    guard let nodeSigners else {
      throw reportInvalidInput(
        "\(folder) holds a secure job's results (\(JobOutputs.manifestName)): give"
          + " --node-signers FILE (the site's node keys) to verify them")
    }
    let bundleFolder = bundle ?? url.deletingLastPathComponent().path
    var sealed: SealedRun?
    try runSecureCommand {
      guard let text = FileManager.default.contents(atPath: nodeSigners) else {
        throw BundleError.invalidInput("cannot read node signers file \(nodeSigners)")
      }
      let signers = try AllowedSigners(text: String(decoding: text, as: UTF8.self))
      let expected: JobOutputs.ExpectedJob
      do { expected = try JobOutputs.ExpectedJob(bundleFolder: bundleFolder) } catch {
        throw BundleError.invalidInput(
          "\(error) (give --bundle: your copy of the job's bundle)")
      }
      let verified = try JobOutputs.verify(
        folder: url.path, nodeSigners: signers, expected: expected)
      sealed = try Self.sealedRun(folder: url, manifest: verified.manifest)
    }
    return sealed
  }

  static func sealedRun(folder: URL, manifest: OutputManifest) throws -> SealedRun {
    guard let started = UTCTime.parse(manifest.started),
      let finished = UTCTime.parse(manifest.finished)
    else {
      throw BundleError.outputManifest(
        "started '\(manifest.started)' or finished '\(manifest.finished)' is not ISO 8601")
    }
    return SealedRun(
      folder: folder, jobID: manifest.jobID, jobNonce: manifest.jobNonce, node: manifest.node,
      user: manifest.user, started: started, finished: finished,
      succeeded: manifest.succeeded, exitCode: manifest.exitCode,
      softwareVersion: manifest.softwareVersion,
      outputs: manifest.outputs.map {
        SealedRun.Output(name: $0.path, sha256: $0.sha256, bytes: Int64($0.bytes))
      },
      manifestFiles: [JobOutputs.manifestName, JobOutputs.signatureName])
  }
}
