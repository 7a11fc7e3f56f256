import Foundation

/// Writes the Provenance Run Crate 0.5 of a campaign folder
/// (https://w3id.org/ro/wfrun/provenance/0.5): several run folders, one per
/// run of a workflow step. The workflow is the DMP's `twin_sim:workflow`; the
/// DMP file is the crate's main entity (a ComputationalWorkflow whose steps
/// are HowToSteps). Each run is a CreateAction of twin-sim; a ControlAction
/// links it to its step; an OrganizeAction (Slurm, which ran the jobs) links
/// the ControlActions to the CreateAction of the whole campaign.
///
/// A run belongs to the step that writes the dataset its result file is a
/// file of (`twin_sim:path`). Slurm variables of a run come from the run
/// folder's own crate, written inside its job.
public enum CampaignCrate {
  static let workflowProfile = "https://w3id.org/ro/wfrun/workflow/0.5"
  static let provenanceProfile = "https://w3id.org/ro/wfrun/provenance/0.5"
  static let workflowCrateProfile = "https://w3id.org/workflowhub/workflow-ro-crate/1.0"
  static let bioschemasWorkflowProfile =
    "https://bioschemas.org/profiles/ComputationalWorkflow/1.0-RELEASE"

  /// The run folders of a campaign: its direct subfolders holding a result
  /// file, sorted by name.
  public static func runFolders(in campaign: URL) throws -> [URL] {
    let names = try FileManager.default.contentsOfDirectory(atPath: campaign.path).sorted()
    return names.map { campaign.appendingPathComponent($0) }.filter { folder in
      [RunRecord.completeName, RunRecord.partialName].contains {
        FileManager.default.fileExists(atPath: folder.appendingPathComponent($0).path)
      }
    }
  }

  /// Builds and writes `ro-crate-metadata.json` in the campaign folder.
  public static func write(
    campaign: URL, plan: DataManagementPlan, planFile: URL, softwareURL: String, agent: Agent,
    publisher: Organization? = nil, license: CrateLicense = .governedByDMP,
    slurmVersion: String? = nil
  ) throws -> URL {
    let runs = try runFolders(in: campaign).map { try RunRecord.inspect(folder: $0) }
    guard let first = runs.first else {
      throw ProvenanceError("\(campaign.path): no run folders (subfolders with results.h5)")
    }
    let versions = Set(runs.map(\.softwareVersion))
    guard versions.count == 1 else {
      throw ProvenanceError(
        "\(campaign.path): runs of different twin-sim versions (\(versions.sorted().joined(separator: ", ")));"
          + " one crate describes one instrument")
    }
    let software = SoftwareIdentity.twinSim(version: first.softwareVersion, url: softwareURL)
    let document = try metadata(
      campaign: campaign, runs: runs, plan: plan, planFile: planFile, software: software,
      agent: agent, publisher: publisher, license: license, slurmVersion: slurmVersion)
    let target = campaign.appendingPathComponent(RunCrate.metadataFileName)
    try document.serialized().write(to: target, options: .atomic)
    return target
  }

  /// The crate's JSON-LD for `runs` (folders inside `campaign`).
  public static func metadata(
    campaign: URL, runs: [RunRecord], plan: DataManagementPlan, planFile: URL,
    software: SoftwareIdentity, agent: Agent, publisher: Organization? = nil,
    license: CrateLicense = .governedByDMP, slurmVersion: String? = nil
  ) throws -> JSONValue {
    var graph = CrateGraph()
    let agent = agent.affiliated(orDefault: publisher)
    graph.addSoftware(software)
    graph.addAgent(agent)
    let engineID = "https://slurm.schedmd.com/"
    var engine: [String: JSONValue] = [
      "@id": .string(engineID), "@type": "SoftwareApplication", "name": "Slurm",
      "url": .string(engineID),
    ]
    if let slurmVersion { engine["softwareVersion"] = .string(slurmVersion) }
    graph.add(.object(engine))
    let workflowID = try graph.addFile(
      planFile, crateRoot: campaign, name: "Workflow of the DMP: \(plan.title)",
      format: "application/json")
    var stepIDs: [String: String] = [:]
    for (position, step) in plan.steps.enumerated() {
      let id = "#step-\(step.name)"
      stepIDs[step.name] = id
      var entity: [String: JSONValue] = [
        "@id": .string(id), "@type": "HowToStep", "name": .string(step.name),
        "position": .string(String(position)), "workExample": .reference(software.identifier),
      ]
      if let text = step.description { entity["description"] = .string(text) }
      graph.add(.object(entity))
    }
    let languageID = "#twin-sim-dmp-workflow"
    graph.add(
      .object([
        "@id": .string(languageID), "@type": "ComputerLanguage",
        "name": "twin-sim workflow in a maDMP (twin_sim:workflow, docs/dmp.md)",
      ]))
    if var workflow = graph.entities[workflowID]?.objectValue {
      workflow["@type"] = .array(["File", "SoftwareSourceCode", "ComputationalWorkflow", "HowTo"])
      workflow["programmingLanguage"] = .reference(languageID)
      workflow["hasPart"] = .reference(software.identifier)
      workflow["step"] = .references(plan.steps.compactMap { stepIDs[$0.name] })
      workflow["version"] = .string(plan.document["dmp"]?["modified"]?.stringValue ?? "1")
      let dmpID = plan.identifier
      workflow["url"] = .string(
        dmpID.hasPrefix("https://") || dmpID.hasPrefix("http://")
          ? dmpID : planFile.standardizedFileURL.absoluteString)
      workflow["conformsTo"] = .reference(bioschemasWorkflowProfile)
      graph.add(.object(workflow))
    }

    var parts = workflowID.contains(":") ? [] : [workflowID]
    var controlIDs: [String] = []
    var mentions: [String] = []
    var allResults: [String] = []
    var firstStart = runs[0].startTime
    var lastEnd = runs[0].endTime
    for run in runs {
      let runName = run.folder.lastPathComponent
      let resultFile = run.folder.appendingPathComponent(run.resultFileName)
      let owners = plan.files(matching: resultFile.path).map(\.dataset.identifier)
      guard
        let step = plan.steps.first(where: { step in owners.contains(where: step.writes.contains) })
      else {
        throw ProvenanceError(
          "\(resultFile.path): no workflow step of the DMP writes it (no dataset's twin_sim:path"
            + " matches, or no step lists the dataset in writes)")
      }
      var objects: [String] = []
      let scenario = run.folder.appendingPathComponent(RunRecord.scenarioName)
      if FileManager.default.fileExists(atPath: scenario.path) {
        objects.append(
          try graph.addFile(
            scenario, crateRoot: campaign, name: "Scenario of \(runName)",
            format: "application/yaml"))
      }
      let result = try graph.addFile(
        resultFile, crateRoot: campaign, name: "Results of \(runName)",
        format: "application/x-hdf5")
      parts += objects + [result]
      allResults.append(result)
      var environmentIDs: [String] = []
      for (name, value) in try slurmFacts(ofRunFolder: run.folder) {
        environmentIDs.append(
          graph.addPropertyValue(name: name, value: value, idPrefix: "\(runName)-"))
      }
      environmentIDs.append(
        graph.addPropertyValue(
          name: "mpi_ranks", value: .number(Double(run.mpiRanks)), idPrefix: "\(runName)-"))
      let actionID = "#run-\(run.runID)"
      graph.add(
        .object([
          "@id": .string(actionID), "@type": "CreateAction",
          "name": .string("twin-sim run \(runName) (step \(step.name))"),
          "description": .string(
            "twin-sim \(run.softwareVersion), scenario \(run.scenarioName), \(run.mpiRanks) rank(s)"
          ),
          "instrument": .reference(software.identifier),
          "object": .references(objects), "result": .reference(result),
          "agent": .reference(agent.identifier),
          "startTime": .string(CrateTime.string(run.startTime)),
          "endTime": .string(CrateTime.string(run.endTime)),
          "actionStatus": .string(status(run.completed)),
          "environment": .references(environmentIDs),
        ]))
      let controlID = "#control-\(run.runID)"
      graph.add(
        .object([
          "@id": .string(controlID), "@type": "ControlAction",
          "name": .string("orchestrate step \(step.name) for \(runName)"),
          "instrument": .reference(stepIDs[step.name] ?? ""), "object": .reference(actionID),
          "actionStatus": .string(status(run.completed)),
        ]))
      controlIDs.append(controlID)
      mentions.append(actionID)
      firstStart = min(firstStart, run.startTime)
      lastEnd = max(lastEnd, run.endTime)
    }
    let allComplete = runs.allSatisfy(\.completed)
    let campaignID = "#campaign-run"
    graph.add(
      .object([
        "@id": .string(campaignID), "@type": "CreateAction",
        "name": .string("campaign \(campaign.lastPathComponent) of DMP \(plan.title)"),
        "description": .string("\(runs.count) twin-sim run(s) of the DMP's workflow steps"),
        "instrument": .reference(workflowID), "result": .references(allResults),
        "agent": .reference(agent.identifier),
        "startTime": .string(CrateTime.string(firstStart)),
        "endTime": .string(CrateTime.string(lastEnd)),
        "actionStatus": .string(status(allComplete)),
      ]))
    let organizeID = "#organize"
    graph.add(
      .object([
        "@id": .string(organizeID), "@type": "OrganizeAction",
        "name": "Slurm jobs of the campaign", "instrument": .reference(engineID),
        "object": .references(controlIDs), "result": .reference(campaignID),
        "agent": .reference(agent.identifier),
        "startTime": .string(CrateTime.string(firstStart)),
        "endTime": .string(CrateTime.string(lastEnd)),
      ]))
    for (id, name) in [
      (RunCrate.processProfile, "Process Run Crate"), (workflowProfile, "Workflow Run Crate"),
      (provenanceProfile, "Provenance Run Crate"),
    ] {
      graph.addProfile(id, name: name, version: "0.5")
    }
    graph.addProfile(workflowCrateProfile, name: "Workflow RO-Crate", version: "1.0")
    graph.addProfile(
      bioschemasWorkflowProfile, name: "Bioschemas ComputationalWorkflow profile",
      version: "1.0-RELEASE")
    let readme = try graph.addReadme(
      campaign: campaign,
      text: readmeText(campaign: campaign, plan: plan, runs: runs, software: software))
    parts.append(readme)
    var rootExtra: [String: JSONValue] = [
      "mainEntity": .reference(workflowID), "author": .reference(agent.identifier),
    ]
    if let publisher {
      graph.addPublisher(publisher)
      rootExtra["publisher"] = .reference(publisher.url)
    }
    graph.addRoot(
      name: "twin-sim campaign \(campaign.lastPathComponent)",
      description: "Provenance of a twin-sim campaign: the DMP's workflow steps and their runs.",
      datePublished: CrateTime.string(lastEnd), license: license,
      profiles: [
        RunCrate.processProfile, workflowProfile, provenanceProfile, workflowCrateProfile,
      ],
      parts: parts, mentions: [campaignID, organizeID] + controlIDs + mentions,
      extra: rootExtra, descriptorProfiles: [workflowCrateProfile])
    return graph.document()
  }

  /// A README.md for people: the plan, its steps and the runs with their status.
  static func readmeText(
    campaign: URL, plan: DataManagementPlan, runs: [RunRecord], software: SoftwareIdentity
  ) -> String {
    var lines = [
      "# twin-sim campaign \(campaign.lastPathComponent)", "",
      "Runs of the workflow of the data management plan \"\(plan.title)\"",
      "(\(plan.identifier)) with twin-sim \(software.version). Machine-readable",
      "provenance: `ro-crate-metadata.json` (Provenance Run Crate 0.5).", "",
      "| run | scenario | MPI ranks | start (UTC) | end (UTC) | status |",
      "|---|---|---|---|---|---|",
    ]
    for run in runs {
      lines.append(
        "| \(run.folder.lastPathComponent) | \(run.scenarioName) | \(run.mpiRanks) | "
          + "\(CrateTime.string(run.startTime)) | \(CrateTime.string(run.endTime)) | "
          + "\(run.completed ? "complete" : "incomplete") |")
    }
    lines += ["", "Workflow steps:", ""]
    for step in plan.steps {
      lines.append("- `\(step.name)`: \(step.description ?? "")")
    }
    return lines.joined(separator: "\n") + "\n"
  }

  private static func status(_ completed: Bool) -> String {
    completed ? "http://schema.org/CompletedActionStatus" : "http://schema.org/FailedActionStatus"
  }

  /// The Slurm PropertyValues of a run folder's own crate (name, value), if it has one.
  public static func slurmFacts(ofRunFolder folder: URL) throws -> [(String, JSONValue)] {
    let file = folder.appendingPathComponent(RunCrate.metadataFileName)
    guard FileManager.default.fileExists(atPath: file.path) else { return [] }
    let document: JSONValue
    do {
      document = try JSONValue.parse(try Data(contentsOf: file))
    } catch {
      throw ProvenanceError("\(file.path): not readable JSON: \(error)")
    }
    var facts: [(String, JSONValue)] = []
    for entity in document["@graph"]?.arrayValue ?? [] {
      guard entity["@type"]?.stringValue == "PropertyValue",
        let name = entity["name"]?.stringValue, RunEnvironment.slurmVariables.contains(name),
        let value = entity["value"]
      else { continue }
      facts.append((name, value))
    }
    return facts.sorted { $0.0 < $1.0 }
  }
}
