import ArgumentParser
import Foundation
import TwinCore
import TwinSecure

/// `twin-sim secure epilog | fetch | open`: the end of a secure job on the node
/// (sign, publish, wipe) and its results on the workstation (verify, decrypt).
/// docs/security.md, "Node side" and "Results on the workstation".
struct SecureEpilogCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "epilog",
    abstract: "Slurm Epilog: sign and publish a secure job's encrypted outputs, wipe the node.",
    discussion: """
      Run by slurmd after every job on the node (scripts/slurm/secure-epilog),
      also when the job failed or was killed. For a job the secure prolog
      accepted (its record in --job-records, by SLURM_JOB_ID), it copies every
      out/NAME.age of the job's node-local folder NODE_TMP/twin-sim-job-JOBID to
      results/ of the bundle, writes results/output-manifest.json (SHA-256 and
      size of each output, job id, job nonce, SHA-256 of the bundle manifest,
      node, user, start and end time, Slurm's exit code, the script's own exit
      status from the job folder's 'status' file) and its signature
      output-manifest.json.sig by the node key (ssh-keygen -Y sign -n
      twin-sim-node; the key is readable by root only, never by jobs). Then,
      for every job, it overwrites and removes the node-local folder and the
      record. One JSON line per job goes to --log.

      Exit status 0 when the folder is gone (also when publishing failed: the
      log says why); 1 when wiping failed (Slurm then drains the node);
      2 when SLURM_JOB_ID is missing.
      """)

  @Option(help: "The node's OpenSSH private key (root only) that signs output manifests.")
  var nodeKey: String

  @Option(help: "Log file (JSON lines, appended).")
  var log: String

  @Option(help: "Node-local folder for the jobs' private folders (as for the prolog).")
  var nodeTmp = "/tmp"

  @Option(help: "Root-only folder of the prolog's records (as for the prolog).")
  var jobRecords = "/var/lib/twin-sim/jobs"

  @Option(help: "Node name in the output manifest (default: SLURMD_NODENAME, else the host name).")
  var nodeName: String?

  func run() throws {
    let environment = ProcessInfo.processInfo.environment
    guard let jobID = environment["SLURM_JOB_ID"] else {
      throw reportInvalidInput("SLURM_JOB_ID must be set (run as a Slurm Epilog)")
    }
    let node =
      nodeName ?? environment["SLURMD_NODENAME"]
      ?? ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "node"
    let exitCode = environment["SLURM_JOB_EXIT_CODE2"] ?? environment["SLURM_JOB_EXIT_CODE"] ?? "?"
    let now = Date()
    var fields: [String: String] = ["job_id": jobID, "node": node, "exit_code": exitCode]
    do {
      let finished = try SecureNodeJob.finish(
        jobID: jobID, nodeTmp: nodeTmp, recordsFolder: jobRecords, nodeKeyPath: nodeKey,
        nodeName: node, exitCode: exitCode, softwareVersion: SoftwareVersion.string, now: now)
      fields["wiped_files"] = String(finished.wipedFiles)
      if let record = finished.record {
        fields["user"] = record.user
        fields["job_nonce"] = record.jobNonce
        if let reason = finished.publishError {
          fields["verdict"] = "publish-failed"
          fields["reason"] = reason
          printError("twin-sim: epilog: job \(jobID): outputs not published: \(reason)")
        } else {
          fields["verdict"] = "published"
          fields["published"] = finished.published.joined(separator: " ")
        }
      } else {
        fields["verdict"] = finished.wipedFiles > 0 ? "wiped" : "nothing"
      }
    } catch {
      fields["verdict"] = "wipe-failed"
      fields["reason"] = "\(error)"
      fields["time"] = JobBundle.timestamp(now)
      appendLine(jsonLine(fields), to: log, from: "epilog")
      printError("twin-sim: epilog: job \(jobID): \(error)")
      throw ExitCode.failure
    }
    fields["time"] = JobBundle.timestamp(now)
    appendLine(jsonLine(fields), to: log, from: "epilog")
  }

  func jsonLine(_ fields: [String: String]) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    // Encoding a [String: String] cannot fail.
    return String(decoding: try! encoder.encode(fields), as: UTF8.self)
  }
}

/// Options shared by `fetch` and `open`: which job's results, checked against what.
struct SecureResultsOptions: ParsableArguments {
  @Option(help: "Your copy of the job bundle (its manifest.json names the job nonce).")
  var bundle: String

  @Option(help: "The site's allowed-signers file for node keys (namespace twin-sim-node).")
  var nodeSigners: String

  func load() throws -> (AllowedSigners, JobOutputs.ExpectedJob) {
    guard let text = FileManager.default.contents(atPath: nodeSigners) else {
      throw BundleError.invalidInput("cannot read node signers file \(nodeSigners)")
    }
    let signers = try AllowedSigners(text: String(decoding: text, as: UTF8.self))
    return (signers, try JobOutputs.ExpectedJob(bundleFolder: bundle))
  }
}

func describe(_ verified: JobOutputs.Verified) -> String {
  let manifest = verified.manifest
  return
    "job \(manifest.jobID) on \(manifest.node) (\(verified.principals.joined(separator: ", "))), "
    + "\(manifest.started) to \(manifest.finished), exit code \(manifest.exitCode), "
    + "script status \(manifest.scriptStatus), "
    + "\(manifest.outputs.count) outputs"
}

struct SecureFetch: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "fetch",
    abstract: "Copy a secure job's signed, encrypted results and verify them.",
    discussion: """
      Copies output-manifest.json, its signature and the outputs it lists from
      the job's results folder (default: BUNDLE/results; give --from for a copy
      of the cluster's folder) into the new folder -o, then checks the copies:
      the signature by a node key in --node-signers (namespace twin-sim-node,
      principal = the manifest's node), the job nonce and the SHA-256 of
      BUNDLE/manifest.json against your bundle, the SHA-256 and size of every
      output. The folder appears only when everything holds. Use your own copy
      of the bundle (the one you packed), not the one on the shared system.

      Exit status 0: verified and the job succeeded; 1: verification failed
      (nothing is written), or verified but the job failed (the folder holds
      its encrypted log); 2: invalid arguments.

      Example:
        twin-sim secure fetch --bundle job1 --node-signers site/node_signers \\
          --from /cluster/home/alice/job1/results -o job1-results
      """)

  @OptionGroup var options: SecureResultsOptions

  @Option(help: "The job's results folder (default: BUNDLE/results).")
  var from: String?

  @Option(name: .shortAndLong, help: "Folder to create with the verified results.")
  var output: String

  func run() throws {
    try runSecureCommand {
      let (signers, expected) = try options.load()
      let verified = try JobOutputs.fetch(
        from: from ?? options.bundle + "/" + JobBundle.resultsFolderName, to: output,
        nodeSigners: signers, expected: expected)
      print("\(output): verified \(describe(verified))")
      if !verified.manifest.succeeded {
        printError(
          "twin-sim: error: the job failed (exit code \(verified.manifest.exitCode),"
            + " script status \(verified.manifest.scriptStatus));"
            + " open \(output) to read its log")
        throw ExitCode.failure
      }
    }
  }
}

struct SecureOpen: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "open",
    abstract: "Verify a secure job's results and decrypt them with your identity.",
    discussion: """
      Verifies FOLDER as 'fetch' does (node signature, job nonce, bundle
      manifest hash, output hashes), then decrypts every NAME.age it lists
      into -o as NAME (results.h5, job.log). Existing files are not replaced;
      a file that fails to decrypt leaves nothing behind.

      Example:
        twin-sim secure open job1-results --bundle job1 \\
          --node-signers site/node_signers -i ~/.config/twin-sim/key.txt -o job1-open
      """)

  @Argument(help: "Folder made by fetch (or a job's results folder).")
  var folder: String

  @OptionGroup var options: SecureResultsOptions

  @Option(name: .shortAndLong, help: "Your identity file (age-keygen format).")
  var identity: String

  @Option(name: .shortAndLong, help: "Folder for the decrypted files (created if missing).")
  var output: String

  func run() throws {
    try runSecureCommand {
      let (signers, expected) = try options.load()
      let identities = try AgeFile.readIdentities(path: identity)
      let (verified, written) = try JobOutputs.open(
        folder: folder, nodeSigners: signers, expected: expected, identities: identities,
        outputFolder: output)
      print("\(folder): verified \(describe(verified))")
      for path in written { print("wrote \(path)") }
    }
  }
}
