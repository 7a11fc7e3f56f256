import ArgumentParser
import Foundation
import TwinDMP

/// `twin-sim provenance RUN_FOLDER` and `twin-sim provenance --campaign DIR --dmp FILE`.
struct Provenance: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "provenance",
    abstract: "Write the RO-Crate (ro-crate-metadata.json) of a run folder or a campaign.",
    discussion: """
      A run folder gets a Process Run Crate 0.5: a CreateAction with twin-sim and
      its version (instrument), the scenario and inputs (object) and the result
      file (result), each with SHA-256, the agent, start and end times, the
      action status, and the Slurm job id, partition and node list (from
      SLURM_JOB_ID, SLURM_JOB_PARTITION, SLURM_JOB_NODELIST: run it inside the
      job) and the MPI rank count (the result file's mpi_ranks) as environment
      PropertyValues.

      A campaign folder (one run folder per Slurm job / workflow step) gets a
      Provenance Run Crate 0.5 linking each workflow step of the DMP (HowToStep)
      to its runs (ControlAction -> CreateAction). Write the run crates first:
      the campaign takes each run's Slurm facts from them.

      A secure job's results folder (fetched with 'twin-sim secure fetch', or
      results/ of the bundle: output-manifest.json and the .age files) gets a
      crate of its ciphertexts: each with the SHA-256 of its bytes, job id, node
      and times from the node-signed output manifest, verified first
      (--node-signers, --bundle as for 'secure fetch'). No plaintext checksum.

      Agent: TWIN_SIM_AGENT_ORCID / TWIN_SIM_AGENT_NAME, else the Slurm or login
      user. The site's identity, declared once in the site file
      (/etc/twin-sim/site.json, or the file TWIN_SIM_SITE_CONFIG names):
      software_url (where its twin-sim is described) and publisher ({name, url}:
      the organisation publishing the crates); TWIN_SIM_SOFTWARE_URL and
      TWIN_SIM_PUBLISHER_NAME with TWIN_SIM_PUBLISHER_URL win over the file.
      Without a software URL the crate names this executable's file URL. The
      agent's affiliation: TWIN_SIM_AGENT_AFFILIATION_NAME and ..._URL, else the
      publisher. Guide: docs/dmp.md.
      """)

  @Argument(help: "A finished (or failed) run folder.")
  var runFolder: String?

  @Option(help: ArgumentHelp("A campaign folder holding run folders.", valueName: "dir"))
  var campaign: String?

  @Option(help: ArgumentHelp("The maDMP whose workflow the campaign ran.", valueName: "file"))
  var dmp: String?

  @Option(
    help: ArgumentHelp(
      "Licence of the data: a URL (e.g. https://spdx.org/licenses/CC-BY-4.0) or words"
        + " (default: use governed by the DMP).", valueName: "url-or-text"))
  var license: String?

  @Option(
    name: .customLong("input"),
    help: ArgumentHelp("An input file the run read (repeatable).", valueName: "file"))
  var inputs: [String] = []

  @OptionGroup var sealedResults: SealedResultsOptions

  func validate() throws {
    switch (runFolder, campaign) {
    case (nil, nil): throw ValidationError("Give a run folder or --campaign DIR.")
    case (.some, .some): throw ValidationError("Give a run folder or --campaign DIR, not both.")
    default: break
    }
    if campaign != nil && dmp == nil {
      throw ValidationError("--campaign needs --dmp FILE (the workflow steps come from it).")
    }
  }

  func run() throws {
    let environment = ProcessInfo.processInfo.environment
    let software = softwareURL(environment: environment)
    let agent = Agent.fromEnvironment(environment)
    let crateLicense = license.map(CrateLicense.init) ?? .governedByDMP
    do {
      if let campaign, let dmp {
        let plan: DataManagementPlan
        do {
          plan = try DataManagementPlan.load(path: dmp)
        } catch let failure as DMPValidationFailure {
          printError(failure.description)
          throw reportInvalidInput("\(dmp): invalid DMP")
        }
        let written = try CampaignCrate.write(
          campaign: URL(fileURLWithPath: campaign), plan: plan,
          planFile: URL(fileURLWithPath: dmp), softwareURL: software, agent: agent,
          publisher: try Organization.publisher(environment), license: crateLicense,
          slurmVersion: installedSlurmVersion())
        print(written.path)
      } else if let runFolder, let sealed = try sealedResults.sealedRun(folder: runFolder) {
        if !inputs.isEmpty {
          throw reportInvalidInput(
            "\(runFolder): a secure job's results: --input would put plaintext checksums of"
              + " protected inputs into the crate; its crate describes only the ciphertexts")
        }
        var jobEnvironment = environment
        jobEnvironment["SLURM_JOB_USER"] = sealed.user
        let written = try RunCrate.write(
          sealed: sealed, softwareURL: software, agent: Agent.fromEnvironment(jobEnvironment),
          license: crateLicense, environment: environment)
        print(written.path)
      } else if let runFolder {
        let record = try RunRecord.inspect(folder: URL(fileURLWithPath: runFolder))
        let written = try RunCrate.write(
          run: record, softwareURL: software,
          inputs: inputs.map { URL(fileURLWithPath: $0) }, agent: agent, license: crateLicense,
          environment: environment)
        print(written.path)
      }
    } catch let error as ProvenanceError {
      throw reportInvalidInput(error.description)
    }
  }
}

/// The URL a crate names twin-sim by: TWIN_SIM_SOFTWARE_URL, else the site file's
/// software_url (a site's installation page or the release), else this executable's file
/// URL. An invalid site file is reported by the publisher's lookup, which reads it too.
func softwareURL(environment: [String: String]) -> String {
  (try? SiteConfiguration.softwareURL(environment: environment))
    ?? (Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0]))
    .standardizedFileURL.absoluteString
}

/// The version of the Slurm installed here (`scontrol --version` prints
/// "slurm 23.02.7"), nil when Slurm is not on the PATH.
private func installedSlurmVersion() -> String? {
  let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
  guard
    let scontrol = path.split(separator: ":").map({ "\($0)/scontrol" }).first(where: {
      FileManager.default.isExecutableFile(atPath: $0)
    })
  else { return nil }
  let process = Process()
  process.executableURL = URL(fileURLWithPath: scontrol)
  process.arguments = ["--version"]
  let pipe = Pipe()
  process.standardOutput = pipe
  process.standardError = FileHandle.nullDevice
  do { try process.run() } catch { return nil }
  let output = pipe.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  let words = String(decoding: output, as: UTF8.self).split(whereSeparator: \.isWhitespace)
  guard process.terminationStatus == 0, words.count == 2, words[0] == "slurm" else { return nil }
  return String(words[1])
}
