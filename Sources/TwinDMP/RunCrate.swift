import Foundation
import HDF5Kit

/// What a run folder says about its run (docs/operations.md, "The run folder"),
/// read from the result file's root attributes (docs/hdf5-layout.md).
public struct RunRecord: Sendable {
  public var folder: URL
  /// `results.h5` for a complete run, `results.h5.partial` otherwise.
  public var resultFileName: String
  /// The result file's `status` is `complete` and it has its final name.
  public var completed: Bool
  public var softwareVersion: String
  public var scenarioName: String
  public var runID: String
  /// The result file's `created` (start of the run).
  public var startTime: Date
  /// Last modification of the result file (the run's last write, its end).
  public var endTime: Date
  public var mpiRanks: Int64

  public static let completeName = "results.h5"
  public static let partialName = "results.h5.partial"
  public static let scenarioName = "scenario.yaml"
  public static let logName = "run.log"

  /// Reads a run folder. Throws `ProvenanceError` when it holds no result file
  /// or the file lacks the attributes every twin-sim result has.
  public static func inspect(folder: URL) throws -> RunRecord {
    let manager = FileManager.default
    let complete = folder.appendingPathComponent(completeName)
    let partial = folder.appendingPathComponent(partialName)
    let file: URL
    if manager.fileExists(atPath: complete.path) {
      file = complete
    } else if manager.fileExists(atPath: partial.path) {
      file = partial
    } else {
      throw ProvenanceError(
        "\(folder.path): not a run folder (neither \(completeName) nor \(partialName) exists)")
    }
    do {
      let h5 = try H5File.open(path: file.path)
      defer { try? h5.close() }
      let root = try h5.root()
      let status = try root.stringAttribute("status")
      let created = try root.stringAttribute("created")
      guard let start = CrateTime.parse(created) else {
        throw ProvenanceError("\(file.path): attribute created is not ISO 8601: \"\(created)\"")
      }
      let attributes = try manager.attributesOfItem(atPath: file.path)
      let end = (attributes[.modificationDate] as? Date) ?? start
      return RunRecord(
        folder: folder, resultFileName: file.lastPathComponent,
        completed: file == complete && status == "complete",
        softwareVersion: try root.stringAttribute("software_version"),
        scenarioName: try root.stringAttribute("scenario_name"),
        runID: try root.stringAttribute("run_id"), startTime: start, endTime: end,
        mpiRanks: try root.scalarAttribute("mpi_ranks", as: Int64.self))
    } catch let error as HDF5Error {
      throw ProvenanceError("\(file.path): cannot read the run's attributes: \(error)")
    }
  }
}

/// A crate could not be written: the message names the file and the reason.
public struct ProvenanceError: Error, Sendable, CustomStringConvertible {
  public var description: String
  public init(_ description: String) { self.description = description }
}

/// The software that ran, as the crate's `instrument`.
public struct SoftwareIdentity: Sendable {
  /// An absolute URI naming this version, e.g. `urn:twin-sim:0.1.0`.
  public var identifier: String
  public var name: String
  public var version: String
  /// Where the software can be found (a source repository or the executable's file URL).
  public var url: String

  public init(identifier: String, name: String, version: String, url: String) {
    self.identifier = identifier
    self.name = name
    self.version = version
    self.url = url
  }

  /// twin-sim of `version`, found at `url`. The id is the URL when it is a
  /// web address (the profile asks for an http(s) id), else `urn:twin-sim:VERSION`.
  public static func twinSim(version: String, url: String) -> SoftwareIdentity {
    let web = url.hasPrefix("https://") || url.hasPrefix("http://")
    return SoftwareIdentity(
      identifier: web ? url : "urn:twin-sim:\(version)", name: "twin-sim", version: version,
      url: url)
  }
}

/// The person on whose behalf a run ran (the crate's `agent`).
public struct Agent: Sendable {
  /// An ORCID URL or a local `#agent-NAME` id.
  public var identifier: String
  public var name: String
  /// The organisation the person acts for, if declared.
  public var affiliation: Organization?

  public init(identifier: String, name: String, affiliation: Organization? = nil) {
    self.identifier = identifier
    self.name = name
    self.affiliation = affiliation
  }

  /// From the environment: `TWIN_SIM_AGENT_ORCID` (an https://orcid.org/ URL)
  /// and `TWIN_SIM_AGENT_NAME` if set, else the Slurm job's user or the login name;
  /// affiliation from `TWIN_SIM_AGENT_AFFILIATION_NAME` and `..._URL`.
  public static func fromEnvironment(_ environment: [String: String]) -> Agent {
    let login =
      environment["SLURM_JOB_USER"] ?? environment["USER"] ?? environment["LOGNAME"] ?? "unknown"
    let name = environment["TWIN_SIM_AGENT_NAME"] ?? login
    let affiliation = Organization.fromEnvironment(
      environment, prefix: "TWIN_SIM_AGENT_AFFILIATION")
    if let orcid = environment["TWIN_SIM_AGENT_ORCID"], orcid.hasPrefix("https://orcid.org/") {
      return Agent(identifier: orcid, name: name, affiliation: affiliation)
    }
    let safe = login.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "_" }
    return Agent(identifier: "#agent-\(String(safe))", name: name, affiliation: affiliation)
  }

  /// This agent with `organization` as its affiliation when it declares none. Crates pass
  /// their publisher, the site's organisation: the person ran the job on an account of that
  /// site, which is an affiliation in schema.org's sense (docs/dmp.md).
  public func affiliated(orDefault organization: Organization?) -> Agent {
    var agent = self
    if agent.affiliation == nil { agent.affiliation = organization }
    return agent
  }
}

/// An organisation in a crate: the publisher of crates (the computing centre:
/// `TWIN_SIM_PUBLISHER_NAME` and `TWIN_SIM_PUBLISHER_URL`, else the site file's `publisher`)
/// or the agent's affiliation (`TWIN_SIM_AGENT_AFFILIATION_NAME`, `..._URL`).
public struct Organization: Sendable, Hashable {
  public var name: String
  /// An http(s) URL identifying the organisation (its ROR id or home page).
  public var url: String

  public init(name: String, url: String) {
    self.name = name
    self.url = url
  }

  /// From `PREFIX_NAME` and `PREFIX_URL`; nil unless both are set and the URL is http(s).
  public static func fromEnvironment(
    _ environment: [String: String], prefix: String
  ) -> Organization? {
    guard let name = environment[prefix + "_NAME"], !name.isEmpty,
      let url = environment[prefix + "_URL"],
      url.hasPrefix("https://") || url.hasPrefix("http://")
    else { return nil }
    return Organization(name: name, url: url)
  }

  /// The publisher of crates: `TWIN_SIM_PUBLISHER_NAME` and `TWIN_SIM_PUBLISHER_URL`, else
  /// the site file's `publisher` (`SiteConfiguration`). Throws `ProvenanceError` naming the
  /// site file when it is invalid.
  public static func publisher(_ environment: [String: String]) throws -> Organization? {
    do {
      return try SiteConfiguration.publisher(environment: environment)
    } catch let failure as SiteLocation.Failure {
      throw ProvenanceError("site configuration: \(failure)")
    }
  }
}

/// The Slurm and MPI facts a crate records as `environment` PropertyValues.
public enum RunEnvironment {
  /// Slurm's variables recorded when set (sbatch(1), "OUTPUT ENVIRONMENT VARIABLES").
  public static let slurmVariables = [
    "SLURM_JOB_ID", "SLURM_JOB_PARTITION", "SLURM_JOB_NODELIST", "SLURM_CLUSTER_NAME",
  ]
}

/// Writes the Process Run Crate 0.5 of one run folder
/// (https://w3id.org/ro/wfrun/process/0.5): `ro-crate-metadata.json` beside
/// the result file. Inputs outside the folder are referenced by absolute
/// `file://` URI with their checksum; files inside by relative path.
public enum RunCrate {
  public static let metadataFileName = "ro-crate-metadata.json"
  static let processProfile = "https://w3id.org/ro/wfrun/process/0.5"

  /// Builds and writes the crate; returns the metadata file's URL.
  /// `softwareURL` is where twin-sim can be found (docs/dmp.md); the version
  /// recorded is the one in the result file.
  public static func write(
    run: RunRecord, softwareURL: String, inputs: [URL] = [], agent: Agent,
    license: CrateLicense = .governedByDMP, environment: [String: String]
  ) throws -> URL {
    let software = SoftwareIdentity.twinSim(version: run.softwareVersion, url: softwareURL)
    let document = try metadata(
      run: run, software: software, inputs: inputs, agent: agent, license: license,
      environment: environment)
    let target = run.folder.appendingPathComponent(metadataFileName)
    try document.serialized().write(to: target, options: .atomic)
    return target
  }

  /// The crate's JSON-LD.
  public static func metadata(
    run: RunRecord, software: SoftwareIdentity, inputs: [URL], agent: Agent,
    license: CrateLicense = .governedByDMP, environment: [String: String]
  ) throws -> JSONValue {
    var graph = CrateGraph()
    let publisher = try Organization.publisher(environment)
    let agent = agent.affiliated(orDefault: publisher)
    let actionID = "#run-\(run.runID)"
    let jobID = environment["SLURM_JOB_ID"]
    let scenario = run.folder.appendingPathComponent(RunRecord.scenarioName)
    var objects: [String] = []
    if FileManager.default.fileExists(atPath: scenario.path) {
      objects.append(
        try graph.addFile(
          scenario, crateRoot: run.folder, name: "Scenario (copy of the scenario file)",
          format: "application/yaml"))
    }
    for input in inputs {
      objects.append(
        try graph.addFile(
          input, crateRoot: run.folder, name: "Input \(input.lastPathComponent)",
          format: mediaType(of: input)))
    }
    let result = try graph.addFile(
      run.folder.appendingPathComponent(run.resultFileName), crateRoot: run.folder,
      name: run.completed ? "Simulation results" : "Simulation results (incomplete)",
      format: "application/x-hdf5")
    var parts = objects + [result]
    let log = run.folder.appendingPathComponent(RunRecord.logName)
    if FileManager.default.fileExists(atPath: log.path) {
      parts.append(
        try graph.addFile(log, crateRoot: run.folder, name: "Run log", format: "text/plain"))
    }
    var environmentIDs: [String] = []
    for variable in RunEnvironment.slurmVariables {
      if let value = environment[variable], !value.isEmpty {
        environmentIDs.append(graph.addPropertyValue(name: variable, value: .string(value)))
      }
    }
    environmentIDs.append(
      graph.addPropertyValue(name: "mpi_ranks", value: .number(Double(run.mpiRanks))))
    graph.addSoftware(software)
    graph.addAgent(agent)
    let jobText = jobID.map { " (Slurm job \($0))" } ?? ""
    var action: [String: JSONValue] = [
      "@id": .string(actionID),
      "@type": "CreateAction",
      "name": .string("twin-sim run of scenario \(run.scenarioName)\(jobText)"),
      "description": .string(
        "twin-sim \(run.softwareVersion) on \(run.mpiRanks) MPI rank(s), run \(run.runID)"),
      "instrument": .reference(software.identifier),
      "object": .references(objects),
      "result": .reference(result),
      "agent": .reference(agent.identifier),
      "startTime": .string(CrateTime.string(run.startTime)),
      "endTime": .string(CrateTime.string(run.endTime)),
      "actionStatus": .string(
        run.completed
          ? "http://schema.org/CompletedActionStatus" : "http://schema.org/FailedActionStatus"),
      "environment": .references(environmentIDs),
    ]
    if let jobID { action["identifier"] = .string("slurm:\(jobID)") }
    if !run.completed {
      action["error"] = .string(
        "the run did not complete (\(run.resultFileName) is not marked complete)")
    }
    graph.add(.object(action))
    graph.addProfile(processProfile, name: "Process Run Crate", version: "0.5")
    var rootExtra: [String: JSONValue] = ["author": .reference(agent.identifier)]
    if let publisher {
      graph.addPublisher(publisher)
      rootExtra["publisher"] = .reference(publisher.url)
    }
    graph.addRoot(
      name: "twin-sim run \(run.runID) of scenario \(run.scenarioName)\(jobText)",
      description: "Provenance of one twin-sim run: scenario, inputs and results with SHA-256.",
      datePublished: CrateTime.string(run.endTime), license: license,
      profiles: [processProfile],
      parts: parts, mentions: [actionID], extra: rootExtra)
    return graph.document()
  }

  /// The media type of a file from its extension (HDF5, CSV, YAML, JSON, else octet-stream).
  public static func mediaType(of url: URL) -> String {
    switch url.pathExtension.lowercased() {
    case "h5", "hdf5": return "application/x-hdf5"
    case "csv": return "text/csv"
    case "yaml", "yml": return "application/yaml"
    case "json": return "application/json"
    default: return "application/octet-stream"
    }
  }
}

extension JSONValue: ExpressibleByStringLiteral {
  public init(stringLiteral value: String) { self = .string(value) }

  /// `{"@id": id}`.
  public static func reference(_ id: String) -> JSONValue { .object(["@id": .string(id)]) }
}
