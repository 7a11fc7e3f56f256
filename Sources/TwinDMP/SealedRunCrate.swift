import Foundation

/// A secure job's results folder as the node described it (docs/dmp.md,
/// "Secure runs"): encrypted outputs and the node-signed output manifest.
/// The caller verifies the manifest (signature, job nonce, checksums) with the
/// secure layer and hands over what it established; this layer never sees
/// plaintext and never hashes it.
public struct SealedRun: Sendable {
  /// One published file: its plain name in the folder and the SHA-256 (hex)
  /// and size the node signed for it.
  public struct Output: Sendable, Hashable {
    public var name: String
    public var sha256: String
    public var bytes: Int64

    public init(name: String, sha256: String, bytes: Int64) {
      self.name = name
      self.sha256 = sha256
      self.bytes = bytes
    }
  }

  /// The results folder (fetched, or `results/` of the bundle).
  public var folder: URL
  public var jobID: String
  /// The bundle's job nonce (64 hex digits): names the run.
  public var jobNonce: String
  public var node: String
  /// The job's Slurm user.
  public var user: String
  /// Prolog acceptance and epilog time.
  public var started: Date
  public var finished: Date
  /// Slurm's exit code and the batch script's own status both said success.
  public var succeeded: Bool
  /// Slurm's `status:signal` of the job.
  public var exitCode: String
  /// twin-sim's version on the node, when the output manifest names it.
  public var softwareVersion: String?
  /// The ciphertexts, as the output manifest lists them.
  public var outputs: [Output]
  /// The output manifest and its signature (plain metadata, no protected data).
  public var manifestFiles: [String]

  public init(
    folder: URL, jobID: String, jobNonce: String, node: String, user: String, started: Date,
    finished: Date, succeeded: Bool, exitCode: String, softwareVersion: String?,
    outputs: [Output], manifestFiles: [String]
  ) {
    self.folder = folder
    self.jobID = jobID
    self.jobNonce = jobNonce
    self.node = node
    self.user = user
    self.started = started
    self.finished = finished
    self.succeeded = succeeded
    self.exitCode = exitCode
    self.softwareVersion = softwareVersion
    self.outputs = outputs
    self.manifestFiles = manifestFiles
  }

  /// The encrypted result file's name, `results.h5.age`.
  public static let resultName = RunRecord.completeName + ".age"

  /// The run's id in crates and the catalog: `secure-` and the first 16 hex
  /// digits of the job nonce (unique per bundle: the prolog accepts a nonce once).
  public var runID: String { "secure-\(jobNonce.prefix(16))" }

  /// The encrypted result when the job published one, else the first output.
  public var primaryOutput: Output? {
    outputs.first { $0.name == Self.resultName } ?? outputs.first
  }
}

extension RunCrate {
  /// Writes the Process Run Crate of a secure job's results folder:
  /// `ro-crate-metadata.json` beside the ciphertexts. The `result` of the
  /// CreateAction is the encrypted outputs, each with the SHA-256 of the bytes
  /// on disk (which must equal the signed value: else `ProvenanceError`);
  /// times, job id and node come from the output manifest. No plaintext is
  /// read or hashed.
  public static func write(
    sealed run: SealedRun, softwareURL: String, agent: Agent,
    license: CrateLicense = .governedByDMP, environment: [String: String]
  ) throws -> URL {
    let document = try metadata(
      sealed: run, softwareURL: softwareURL, agent: agent, license: license,
      environment: environment)
    let target = run.folder.appendingPathComponent(metadataFileName)
    try document.serialized().write(to: target, options: .atomic)
    return target
  }

  /// The crate's JSON-LD for a secure job's results folder.
  public static func metadata(
    sealed run: SealedRun, softwareURL: String, agent: Agent,
    license: CrateLicense = .governedByDMP, environment: [String: String]
  ) throws -> JSONValue {
    var graph = CrateGraph()
    let publisher = try Organization.publisher(environment)
    let agent = agent.affiliated(orDefault: publisher)
    let actionID = "#run-\(run.runID)"
    let software = SoftwareIdentity.twinSim(
      version: run.softwareVersion ?? "unknown", url: softwareURL)
    var results: [String] = []
    for output in run.outputs {
      let url = run.folder.appendingPathComponent(output.name)
      let id = try graph.addFile(
        url, crateRoot: run.folder, name: sealedName(output.name),
        format: "application/octet-stream")
      guard let recorded = graph.entities[id]?["sha256"]?.stringValue, recorded == output.sha256
      else {
        throw ProvenanceError(
          "\(url.path): SHA-256 differs from the node-signed output manifest")
      }
      if var entity = graph.entities[id]?.objectValue {
        entity["description"] = .string(
          "age-encrypted (age-encryption.org/v1) to the job's user only; the checksum is of"
            + " the ciphertext")
        graph.add(.object(entity))
      }
      results.append(id)
    }
    var parts = results
    for name in run.manifestFiles {
      parts.append(
        try graph.addFile(
          run.folder.appendingPathComponent(name), crateRoot: run.folder,
          name: name.hasSuffix(".sig")
            ? "Node signature of the output manifest (SSHSIG, namespace twin-sim-node)"
            : "Output manifest signed by the node",
          format: name.hasSuffix(".sig") ? "text/plain" : "application/json"))
    }
    let environmentIDs = [
      graph.addPropertyValue(name: "SLURM_JOB_ID", value: .string(run.jobID)),
      graph.addPropertyValue(name: "SLURM_JOB_NODELIST", value: .string(run.node)),
      graph.addPropertyValue(name: "twin_sim_job_nonce", value: .string(run.jobNonce)),
      graph.addPropertyValue(name: "slurm_exit_code", value: .string(run.exitCode)),
    ]
    graph.addSoftware(software)
    graph.addAgent(agent)
    var action: [String: JSONValue] = [
      "@id": .string(actionID),
      "@type": "CreateAction",
      "name": .string("twin-sim secure job \(run.jobID) on \(run.node)"),
      "description": .string(
        "A secure job (docs/security.md): inputs decrypted and results encrypted on the node;"
          + " only ciphertexts left it. Job nonce \(run.jobNonce)."),
      "instrument": .reference(software.identifier),
      "result": .references(results),
      "agent": .reference(agent.identifier),
      "startTime": .string(CrateTime.string(run.started)),
      "endTime": .string(CrateTime.string(run.finished)),
      "actionStatus": .string(
        run.succeeded
          ? "http://schema.org/CompletedActionStatus" : "http://schema.org/FailedActionStatus"),
      "environment": .references(environmentIDs),
      "identifier": .string("slurm:\(run.jobID)"),
    ]
    if !run.succeeded {
      action["error"] = .string(
        "the secure job failed (exit code \(run.exitCode)); its encrypted log says why")
    }
    graph.add(.object(action))
    graph.addProfile(processProfile, name: "Process Run Crate", version: "0.5")
    var rootExtra: [String: JSONValue] = ["author": .reference(agent.identifier)]
    if let publisher {
      graph.addPublisher(publisher)
      rootExtra["publisher"] = .reference(publisher.url)
    }
    graph.addRoot(
      name: "twin-sim secure job \(run.jobID) (encrypted results)",
      description:
        "Provenance of one twin-sim secure job: its encrypted outputs with the SHA-256 of the"
        + " ciphertexts, and the node-signed output manifest.",
      datePublished: CrateTime.string(run.finished), license: license,
      profiles: [processProfile], parts: parts, mentions: [actionID], extra: rootExtra)
    return graph.document()
  }

  private static func sealedName(_ name: String) -> String {
    switch name {
    case SealedRun.resultName: return "Simulation results (encrypted)"
    case "job.log.age": return "Job log (encrypted)"
    default: return "\(name) (encrypted)"
    }
  }
}
