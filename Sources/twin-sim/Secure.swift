import ArgumentParser
import Foundation
import TwinCore
import TwinDMP
import TwinSecure

/// `twin-sim secure ...`: client-side encryption and signed job bundles for
/// secure partitions (docs/security.md). Parses arguments; the work is in TwinSecure.
struct Secure: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "secure",
    abstract: "Encrypt files (age format) and build signed job bundles for secure partitions.",
    discussion: """
      Files are encrypted in the age format (age-encryption.org/v1, X25519
      recipients), interoperable with the age and age-keygen tools. Threat model,
      key handling and a walkthrough: docs/security.md.

      Exit status: 0 done; 1 a file failed to decrypt or verify (damaged,
      modified, wrong key); 2 invalid arguments or unreadable keys.
      """,
    subcommands: [
      SecureKeygen.self, SecureEncrypt.self, SecureDecrypt.self, SecurePack.self,
      SecureVerify.self, SecurePrologCommand.self, SecureEpilogCommand.self, SecureFetch.self,
      SecureOpen.self, SecureRelease.self,
    ])
}

/// Runs `body`, turning TwinSecure's errors into the exit codes of `secure`.
func runSecureCommand(_ body: () throws -> Void) throws {
  do {
    try body()
  } catch let error as AgeError {
    switch error {
    case .invalidKey, .io:
      throw reportInvalidInput(error.description)
    default:
      printError("twin-sim: error: \(error.description)")
      throw ExitCode.failure
    }
  } catch let error as BundleError {
    switch error {
    case .invalidInput, .signingFailed:
      throw reportInvalidInput(error.description)
    default:
      printError("twin-sim: error: \(error.description)")
      throw ExitCode.failure
    }
  } catch let error as SignatureError {
    throw reportInvalidInput(error.description)
  } catch let exit as ExitCode {
    throw exit
  } catch {
    printError("twin-sim: error: \(error)")
    throw ExitCode.failure
  }
}

struct SecureKeygen: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "keygen",
    abstract: "Write a new age identity (AGE-SECRET-KEY-1...) and print its recipient.",
    discussion: """
      Writes the identity file as age-keygen does (comment lines '# created:' and
      '# public key:', then the secret key) with mode 0600, and prints the
      recipient (age1...) on standard output. Refuses to overwrite a file.

      Example:
        twin-sim secure keygen -o ~/.config/twin-sim/key.txt
      """)

  @Option(name: .shortAndLong, help: "Identity file to create.")
  var output: String

  func run() throws {
    try runSecureCommand {
      if FileManager.default.fileExists(atPath: output) {
        throw AgeError.io("refusing to overwrite existing file \(output)")
      }
      let recipient = try AgeFile.writeNewIdentity(path: output)
      print(recipient)
    }
  }
}

struct SecureEncrypt: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "encrypt",
    abstract: "Encrypt a file to one or more age recipients.",
    discussion: """
      Streams in 64 KiB chunks (constant memory). The output file appears only
      when complete.

      Example:
        twin-sim secure encrypt -r age1... -o cohort.csv.age cohort.csv
      """)

  @Option(name: .shortAndLong, help: "Recipient (age1...); repeat for several.")
  var recipient: [String] = []

  @Flag(name: .shortAndLong, help: "Write ASCII armor (PEM-like text).")
  var armor = false

  @Option(name: .shortAndLong, help: "Output file (default: standard output).")
  var output: String?

  @Argument(help: "File to encrypt (default: standard input).")
  var input: String?

  func validate() throws {
    if recipient.isEmpty { throw ValidationError("Give at least one recipient with -r.") }
  }

  func run() throws {
    try runSecureCommand {
      let recipients = try recipient.map { text throws(AgeError) in
        try AgeRecipient(parsing: text)
      }
      try AgeFile.encrypt(
        inputPath: input, outputPath: output, recipients: recipients, armored: armor)
    }
  }
}

struct SecureDecrypt: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "decrypt",
    abstract: "Decrypt an age file (binary or armored) with an identity file.",
    discussion: """
      Every 64 KiB chunk is authenticated; a flipped byte, truncation, appended
      data, reordered chunks or a wrong key end with an error and exit status 1.
      With -o the plaintext goes into a file without a name in the output's
      folder (Linux O_TMPFILE) that is linked to its name only after the last
      chunk verified, so a failure, or a kill -9, leaves no plaintext behind.
      Where the file system cannot (NFS, Lustre), a temporary file
      .NAME.partial-XXXXXXXXXXXX (mode 0600) is used instead, removed on
      failure but left behind by a kill -9 (docs/security.md). Without -o,
      verified chunks go to standard output as they verify.

      Example:
        twin-sim secure decrypt -i key.txt -o cohort.csv cohort.csv.age
      """)

  @Option(name: .shortAndLong, help: "Identity file (age-keygen format).")
  var identity: String

  @Option(name: .shortAndLong, help: "Output file (default: standard output).")
  var output: String?

  @Argument(help: "File to decrypt (default: standard input).")
  var input: String?

  func run() throws {
    try runSecureCommand {
      let identities = try AgeFile.readIdentities(path: identity)
      try AgeFile.decrypt(inputPath: input, outputPath: output, identities: identities)
    }
  }
}

struct SecurePack: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "pack",
    abstract: "Turn a scenario and its input tables into a signed, encrypted job bundle.",
    discussion: """
      Creates the folder given with -o holding:
        inputs/NAME.age     the scenario, the population table it references and
                            every --input file, encrypted to a fresh per-job age key
        job-identity.age    that per-job key, encrypted to your recipient (-r)
        job.sbatch          the batch script (partition, job nonce)
        manifest.json       SHA-256 and size of every file, the batch script's hash,
                            a random job nonce (64 hex digits), creation and expiry
                            time (at most \(JobBundle.maximumLifetimeHours) hours apart), partition
        manifest.json.sig   SSHSIG signature of manifest.json, namespace twin-sim,
                            made by ssh-keygen -Y sign (agents and hardware keys work)
      Input paths must be relative to the scenario's folder; the bundle mirrors
      the folder tree holding the scenario and its files, so they resolve on the
      node as written. When the scenario names a data management plan (key dmp),
      the plan travels encrypted like the inputs, and pack refuses a bundle
      whose run the plan forbids even as a secure run (docs/dmp.md).
      Check a bundle with 'twin-sim secure verify'. See docs/security.md.

      Example:
        twin-sim secure pack scenarios/table-cohort.yaml -o job1 \\
          -r age1... --sign-key ~/.ssh/id_ed25519
      """)

  @Argument(help: "Scenario file.")
  var scenario: String

  @Option(name: .shortAndLong, help: "Bundle folder to create (must not exist).")
  var output: String

  @Option(name: .shortAndLong, help: "Your age recipient (age1...): results are encrypted to it.")
  var recipient: String

  @Option(help: "OpenSSH key for ssh-keygen -Y sign (private key, or .pub with an agent).")
  var signKey: String

  @Option(help: "Further input file, relative to the scenario's folder; repeat for several.")
  var input: [String] = []

  @Option(help: "Hours until the bundle expires (1 ... \(JobBundle.maximumLifetimeHours)).")
  var expiresInHours: Double = 168

  @Option(help: "Slurm partition the job is for.")
  var partition = "secure"

  @Option(
    help:
      "The secure nodes' node-local folder (the site's prolog --node-tmp); part of the signed script."
  )
  var nodeTmp = "/tmp"

  func validate() throws {
    guard expiresInHours >= 1 && expiresInHours <= Double(JobBundle.maximumLifetimeHours) else {
      throw ValidationError(
        "--expires-in-hours must be between 1 and \(JobBundle.maximumLifetimeHours).")
    }
  }

  func run() throws {
    let loaded: Scenario
    do { loaded = try ScenarioLoader.load(path: scenario) } catch {
      throw reportInvalidInput("\(error)")
    }
    let scenarioURL = URL(fileURLWithPath: scenario).standardizedFileURL
    let folder = scenarioURL.deletingLastPathComponent()
    // The files the job reads besides the scenario, each by the path the
    // scenario (or --input) gives relative to the scenario's folder.
    var references: [(written: String, url: URL)] = []
    if case .table(let table) = loaded.population.source {
      references.append((table.path, table.url))
    }
    references += input.map { ($0, folder.appendingPathComponent($0)) }
    if let plan = loaded.dmp { references.append((plan.file, plan.url)) }
    for (written, _) in references where written.hasPrefix("/") {
      throw reportInvalidInput(
        "\(scenario): '\(written)' is an absolute path; a bundle needs paths relative to the"
          + " scenario's folder (the job reads the files from the bundle)")
    }
    var files: [URL] = []
    for (_, url) in references where !files.contains(url.standardizedFileURL) {
      files.append(url.standardizedFileURL)
    }
    // The bundle mirrors the tree below the deepest folder holding the scenario
    // and every file, so the scenario's relative paths (population table, dmp
    // file, also with '..') resolve on the node unchanged.
    let root = commonFolder(
      [folder] + files.map { $0.deletingLastPathComponent() })
    let output = URL(fileURLWithPath: self.output).standardizedFileURL
    let published = output.appendingPathComponent("\(JobBundle.resultsFolderName)/results.h5.age")
    if let plan = loaded.dmp {
      try checkPlanAtPack(plan: plan, published: published, loaded: loaded)
    }
    try runSecureCommand {
      let relative = { (url: URL) in JobBundle.PackRequest.relativePath(of: url, from: root) }
      let request = JobBundle.PackRequest(
        scenario: (scenarioURL.path, relative(scenarioURL)),
        inputs: files.map { ($0.path, relative($0)) },
        userRecipient: try AgeRecipient(parsing: recipient), signingKeyPath: signKey,
        outputFolder: output.path, partition: partition, nodeTmp: nodeTmp,
        publishedResult: relative(published), lifetimeSeconds: expiresInHours * 3600)
      let manifest = try JobBundle.pack(request)
      print("bundle \(self.output): \(manifest.files.count) files, nonce \(manifest.jobNonce)")
      print("expires \(manifest.expires), partition \(manifest.partition)")
    }
  }

  /// The scenario names a data management plan: the bundle must be a run the
  /// plan allows as a secure run (encrypted output, published as
  /// `published`), checked here on the workstation without the site's
  /// location, which the node checks again with its own.
  func checkPlanAtPack(plan: DMPReference, published: URL, loaded: Scenario) throws {
    var inputs: [String] = []
    if case .table(let table) = loaded.population.source { inputs.append(table.url.path) }
    let violations: [Violation]
    do {
      violations = try RunGate.violations(
        dmpFile: plan.url.path, step: plan.step, output: published.path, inputs: inputs,
        encryptedOutput: true, checkingSite: false
      ).violations
    } catch let failure as DMPValidationFailure {
      printError(failure.description)
      throw reportInvalidInput("\(plan.url.path): invalid DMP")
    }
    for violation in violations {
      printError("twin-sim: error: \(plan.url.path): \(violation)")
    }
    if !violations.isEmpty {
      throw reportInvalidInput(
        "\(scenario): not packed: a secure run of it would break its DMP (step \(plan.step))")
    }
  }

  /// The deepest folder containing every folder of `folders` (absolute, normalised).
  func commonFolder(_ folders: [URL]) -> URL {
    var common = folders[0].standardizedFileURL.pathComponents
    for folder in folders.dropFirst() {
      let parts = folder.standardizedFileURL.pathComponents
      var count = 0
      while count < min(common.count, parts.count), common[count] == parts[count] { count += 1 }
      common = Array(common[..<count])
    }
    return URL(fileURLWithPath: NSString.path(withComponents: common))
  }
}

struct SecureVerify: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "verify",
    abstract: "Check a job bundle's signature, expiry and file hashes.",
    discussion: """
      Verifies the SSHSIG signature of manifest.json (namespace twin-sim,
      Ed25519 keys, checked by twin-sim itself) against an OpenSSH allowed-signers
      file, then the expiry, then that the folder holds exactly the files the
      manifest lists, each with its SHA-256. Exit status 0 when everything
      holds, 1 with the reason otherwise.

      Example:
        twin-sim secure verify job1 --allowed-signers ~/.ssh/allowed_signers \\
          --identity alice@example.org
      """)

  @Argument(help: "Bundle folder.")
  var bundle: String

  @Option(help: "OpenSSH allowed-signers file.")
  var allowedSigners: String

  @Option(help: "Principal the signer must be (as in the allowed-signers file).")
  var identity: String?

  func run() throws {
    try runSecureCommand {
      guard let text = FileManager.default.contents(atPath: allowedSigners) else {
        throw BundleError.invalidInput("cannot read allowed signers file \(allowedSigners)")
      }
      let signers = try AllowedSigners(text: String(decoding: text, as: UTF8.self))
      let verified = try JobBundle.verify(
        folder: bundle, allowedSigners: signers, principal: identity)
      print("bundle \(bundle): good signature by \(verified.principals.joined(separator: ", "))")
      print(
        "nonce \(verified.manifest.jobNonce), expires \(verified.manifest.expires), "
          + "partition \(verified.manifest.partition), \(verified.manifest.files.count) files")
    }
  }
}

struct SecurePrologCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "prolog",
    abstract: "Slurm Prolog: refuse a secure-partition job whose signed bundle does not check out.",
    discussion: """
      Run by slurmd before a job starts (scripts/slurm/secure-prolog). For a job on
      a secure partition (SLURM_JOB_PARTITION), it checks: the bundle in the job's
      working directory is signed by the job's user (SLURM_JOB_USER) according to
      the site's allowed-signers file; its job nonce is 64 lowercase hex digits;
      it was created no more than \(Int(JobBundle.clockSkewSeconds / 60)) minutes ahead of this clock, has not
      expired and expires at most \(JobBundle.maximumLifetimeHours) hours after its creation; it holds exactly the
      signed files; the script Slurm spooled is the signed batch script; the
      signed partition is the job's; the signing key never had a bundle with
      this nonce accepted (replay list: an SQLite database, one row per
      accepted bundle; a list in the line format of earlier versions is
      imported and kept as FILE.legacy-*). Every verdict is appended to --log
      as a JSON line with the reason.
      When every check held, it prepares the job's node-local folder
      NODE_TMP/twin-sim-job-JOBID (mode 0700, owned by the job's user, with
      site.env: this twin-sim binary and the --job-environment file) and a
      root-only record in --job-records that 'twin-sim secure epilog' reads.
      Exit status 0 lets the job run (also for other partitions); 1 refuses it
      (Slurm then holds the job and drains the node), also when the site's files
      cannot be read; 2 when the Slurm variables are missing.

      The spooled script comes from 'scontrol write batch_script', the bundle
      folder from SLURM_JOB_WORK_DIR (or the job's WorkDir from scontrol);
      --job-script and --bundle override them.
      """)

  @Option(help: "The site's OpenSSH allowed-signers file.")
  var allowedSigners: String

  @Option(
    help:
      "Replay list of accepted bundles (SQLite; created if missing, mode 0600; node-local storage)."
  )
  var replayList: String

  @Option(help: "Log file (JSON lines, appended).")
  var log: String

  @Option(help: "A secure partition; repeat for several.")
  var securePartition: [String] = ["secure"]

  @Option(help: "The spooled job script (default: from scontrol).")
  var jobScript: String?

  @Option(help: "The bundle folder (default: the job's working directory).")
  var bundle: String?

  @Option(help: "Node-local folder for the jobs' private folders.")
  var nodeTmp = "/tmp"

  @Option(help: "Root-only folder for the records the epilog reads (created mode 0700).")
  var jobRecords = "/var/lib/twin-sim/jobs"

  @Option(help: "Site settings for the job (shell assignments: TWIN_SIM_LAUNCH, VAULT_ADDR, ...).")
  var jobEnvironment: String?

  func run() throws {
    let environment = ProcessInfo.processInfo.environment
    guard let jobID = environment["SLURM_JOB_ID"], let user = environment["SLURM_JOB_USER"],
      let partition = environment["SLURM_JOB_PARTITION"]
    else {
      throw reportInvalidInput(
        "SLURM_JOB_ID, SLURM_JOB_USER and SLURM_JOB_PARTITION must be set (run as a Slurm Prolog)")
    }
    guard securePartition.contains(partition) else { return }
    let now = Date()
    var job = SecureProlog.Job(
      jobID: jobID, user: user, partition: partition, bundleFolder: bundle ?? "",
      spooledScript: [])
    var verdict = "refused"
    var reason = ""
    defer { appendLog(SecureProlog.logLine(job: job, now: now, verdict: verdict, reason: reason)) }
    do {
      if bundle == nil {
        job.bundleFolder =
          try environment["SLURM_JOB_WORK_DIR"] ?? SlurmJobQuery.workDirectory(jobID: jobID)
      }
      if let jobScript {
        guard let data = FileManager.default.contents(atPath: jobScript) else {
          throw BundleError.invalidInput("cannot read job script \(jobScript)")
        }
        job.spooledScript = [UInt8](data)
      } else {
        job.spooledScript = try SlurmJobQuery.spooledScript(jobID: jobID)
      }
      guard let signersText = FileManager.default.contents(atPath: allowedSigners) else {
        throw BundleError.invalidInput("cannot read allowed signers file \(allowedSigners)")
      }
      let signers = try AllowedSigners(text: String(decoding: signersText, as: UTF8.self))
      let decision = try SecureProlog.check(
        job, securePartitions: securePartition, allowedSigners: signers,
        replayListPath: replayList, now: now)
      if case .accepted(let principal, let manifest, let manifestSHA256) = decision {
        let record = SecureNodeJob.Record(
          jobID: jobID, jobNonce: manifest.jobNonce, bundleManifestSHA256: manifestSHA256,
          user: user, uid: UInt32(environment["SLURM_JOB_UID"] ?? "") ?? getuid(),
          gid: UInt32(environment["SLURM_JOB_GID"] ?? "") ?? getgid(), bundle: job.bundleFolder,
          userRecipient: manifest.userRecipient, started: JobBundle.timestamp(now))
        try SecureNodeJob.prepare(
          record: record, nodeTmp: nodeTmp, recordsFolder: jobRecords,
          twinSimBinary: ownExecutablePath(), jobEnvironment: jobEnvironment)
        verdict = "accepted"
        reason = "signed by \(principal), nonce \(manifest.jobNonce)"
      }
    } catch {
      reason = "\(error)"
      printError("twin-sim: prolog: job \(jobID) refused: \(reason)")
      throw ExitCode.failure
    }
  }

  func appendLog(_ line: String) { appendLine(line, to: log, from: "prolog") }
}

/// This process's executable (Linux: /proc/self/exe), for the job's site.env.
func ownExecutablePath() -> String {
  var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
  let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
  guard count > 0 else { return CommandLine.arguments[0] }
  return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// Appends one line to a log file (created mode 0600); says so on stderr when it cannot.
func appendLine(_ line: String, to log: String, from command: String) {
  let descriptor = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
  guard descriptor >= 0 else {
    printError("twin-sim: \(command): cannot write log \(log): \(line)")
    return
  }
  let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
  try? handle.write(contentsOf: Data((line + "\n").utf8))
}
