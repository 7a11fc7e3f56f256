import Crypto
import Foundation
import TwinTime

/// Why a job bundle was refused. Each case names the file or field at fault.
public enum BundleError: Error, Equatable, CustomStringConvertible {
  case invalidInput(String)
  case signature(SignatureError)
  case manifest(String)
  case hashMismatch(path: String)
  case missingFile(path: String)
  case unexpectedFile(path: String)
  case expired(expires: String)
  case signingFailed(String)
  case nodeSignature(SignatureError)
  case outputManifest(String)

  public var description: String {
    switch self {
    case .invalidInput(let reason): return reason
    case .signature(let error): return "manifest signature: \(error)"
    case .manifest(let reason): return "manifest.json: \(reason)"
    case .hashMismatch(let path): return "\(path): SHA-256 differs from the signed manifest"
    case .missingFile(let path): return "\(path): listed in the manifest but missing"
    case .unexpectedFile(let path): return "\(path): in the bundle but not in the signed manifest"
    case .expired(let expires): return "the bundle expired at \(expires)"
    case .signingFailed(let reason): return "signing with ssh-keygen failed: \(reason)"
    case .nodeSignature(let error): return "output manifest signature: \(error)"
    case .outputManifest(let reason): return "output-manifest.json: \(reason)"
    }
  }
}

/// One file of a bundle and its SHA-256 (hex).
public struct BundleFile: Codable, Sendable, Equatable {
  /// Path relative to the bundle folder, `/`-separated.
  public var path: String
  public var sha256: String
  public var bytes: Int
}

/// `manifest.json` of a job bundle: what the user signed.
public struct JobManifest: Codable, Sendable, Equatable {
  public static let formatName = "twin-sim-job-bundle/1"
  public var format: String
  /// 32 random bytes as 64 lowercase hex digits (`JobNonce`, the only form
  /// accepted): a job is accepted once per signer and nonce (replay list, prolog).
  public var jobNonce: String
  /// ISO 8601 UTC times; `expires` is at most `JobBundle.maximumLifetimeHours`
  /// after `created`, which is not in the future (`verify`).
  public var created: String
  public var expires: String
  /// The Slurm partition the job is meant for.
  public var partition: String
  /// The scenario's name inside `inputs/` (without `.age`).
  public var scenario: String
  /// The per-job key inputs are encrypted to (`age1...`).
  public var jobRecipient: String
  /// The user's key: outputs are encrypted to it and only it.
  public var userRecipient: String
  /// The batch script (also listed in `files`).
  public var batchScript: BundleFile
  /// Every file of the bundle except `manifest.json` and its signature.
  public var files: [BundleFile]

  enum CodingKeys: String, CodingKey {
    case format, created, expires, partition, scenario, files
    case jobNonce = "job_nonce"
    case jobRecipient = "job_recipient"
    case userRecipient = "user_recipient"
    case batchScript = "batch_script"
  }
}

/// A signed, encrypted job folder for a secure partition (docs/security.md):
///
///     manifest.json        what was signed: hashes of every file, nonce, expiry, partition
///     manifest.json.sig    SSHSIG detached signature, namespace "twin-sim"
///     job.sbatch           the batch script
///     job-identity.age     the per-job age identity, encrypted to the user's recipient
///     inputs/NAME.age      scenario and tables, encrypted to the per-job recipient
///     results/             written by the job (Slurm output, encrypted results); not signed
public enum JobBundle {
  public static let signatureNamespace = "twin-sim"
  public static let manifestName = "manifest.json"
  public static let signatureName = "manifest.json.sig"
  public static let batchScriptName = "job.sbatch"
  public static let jobIdentityName = "job-identity.age"
  /// Where jobs write (Slurm's output file, encrypted results). Never read by a
  /// job as input, so `verify` ignores what is in it.
  public static let resultsFolderName = "results"

  /// The longest a bundle is valid, from its creation to its expiry: `pack`
  /// makes no longer one, `verify` (and with it the prolog) accepts no longer one.
  public static let maximumLifetimeHours = 8_760
  public static var maximumLifetimeSeconds: Double { Double(maximumLifetimeHours) * 3_600 }
  /// How far a bundle's creation time may lie ahead of the verifier's clock
  /// (the workstation's and the node's clocks differ a little; Slurm's munge
  /// credentials allow 5 minutes too). Further ahead, the creation time would
  /// let a signer push the expiry past the cap.
  public static let clockSkewSeconds: Double = 300

  /// What `pack` needs.
  public struct PackRequest: Sendable {
    /// The scenario file and the input files, as (path on disk, name inside the bundle).
    public var scenario: (source: String, name: String)
    public var inputs: [(source: String, name: String)]
    public var userRecipient: AgeRecipient
    /// The OpenSSH private key (or its `.pub` when the key is in an agent) for ssh-keygen.
    public var signingKeyPath: String
    public var outputFolder: String
    public var partition: String
    /// The secure nodes' node-local folder, where the prolog prepares
    /// `twin-sim-job-JOBID` (the site's `--node-tmp`); baked into the signed script.
    public var nodeTmp: String
    /// Where the encrypted result will be published (`results/results.h5.age`
    /// of the bundle), relative to the folder the input names are relative to;
    /// the job's DMP check takes it as the run's output.
    public var publishedResult: String
    public var lifetimeSeconds: Double
    public var now: Date

    public init(
      scenario: (source: String, name: String), inputs: [(source: String, name: String)],
      userRecipient: AgeRecipient, signingKeyPath: String, outputFolder: String,
      partition: String = "secure", nodeTmp: String = "/tmp",
      publishedResult: String? = nil, lifetimeSeconds: Double = 7 * 86_400, now: Date = Date()
    ) {
      self.scenario = scenario
      self.inputs = inputs
      self.userRecipient = userRecipient
      self.signingKeyPath = signingKeyPath
      self.outputFolder = outputFolder
      self.partition = partition
      self.nodeTmp = nodeTmp
      self.publishedResult =
        publishedResult
        ?? Self.relativePath(
          of: URL(fileURLWithPath: outputFolder).appendingPathComponent(
            "\(JobBundle.resultsFolderName)/results.h5.age"),
          from: URL(fileURLWithPath: scenario.source).deletingLastPathComponent())
      self.lifetimeSeconds = lifetimeSeconds
      self.now = now
    }

    /// `target` relative to the folder `base` (both made absolute and
    /// normalised), with `..` where it leaves `base`.
    public static func relativePath(of target: URL, from base: URL) -> String {
      let targetParts = target.standardizedFileURL.pathComponents
      let baseParts = base.standardizedFileURL.pathComponents
      var common = 0
      while common < min(targetParts.count, baseParts.count),
        targetParts[common] == baseParts[common]
      {
        common += 1
      }
      let ups = Array(repeating: "..", count: baseParts.count - common)
      return (ups + targetParts[common...]).joined(separator: "/")
    }
  }

  /// ISO 8601 UTC, whole seconds (`2026-01-01T00:00:00Z`).
  public static func timestamp(_ date: Date) -> String {
    UTCTime.string(date)
  }

  /// A manifest's text for a message: in double quotes, every character
  /// outside printable ASCII (and the quote and backslash) written as
  /// `\u{...}`, cut after 80 characters, so a hostile value cannot break a
  /// log line or a terminal.
  static func quoted(_ text: String) -> String {
    var shown = ""
    for (index, scalar) in text.unicodeScalars.enumerated() {
      if index == 80 {
        shown += "..."
        break
      }
      if (0x20...0x7e).contains(scalar.value) && scalar != "\"" && scalar != "\\" {
        shown.unicodeScalars.append(scalar)
      } else {
        shown += "\\u{" + String(scalar.value, radix: 16) + "}"
      }
    }
    return "\"" + shown + "\""
  }

  static func hex(_ bytes: some Sequence<UInt8>) -> String {
    bytes.map { String(format: "%02x", $0) }.joined()
  }

  /// SHA-256 of a file, read in 1 MiB pieces.
  static func sha256(ofFileAt url: URL) throws -> (hex: String, bytes: Int) {
    guard let handle = FileHandle(forReadingAtPath: url.path) else {
      throw BundleError.missingFile(path: url.lastPathComponent)
    }
    defer { try? handle.close() }
    var hasher = SHA256()
    var total = 0
    while let data = try handle.read(upToCount: 1 << 20), !data.isEmpty {
      hasher.update(data: data)
      total += data.count
    }
    return (hex(hasher.finalize()), total)
  }

  /// A bundle-relative name is plain: no absolute path, no `..`, no empty part.
  static func isPlainRelativePath(_ name: String) -> Bool {
    let parts = name.split(separator: "/", omittingEmptySubsequences: false)
    return !name.isEmpty && !name.hasPrefix("/")
      && parts.allSatisfy { !$0.isEmpty && $0 != "." && $0 != ".." }
  }

  /// Builds the bundle in a temporary folder beside `outputFolder`, signs the
  /// manifest with `ssh-keygen -Y sign`, and renames the folder into place.
  /// Returns the manifest.
  @discardableResult
  public static func pack(_ request: PackRequest) throws -> JobManifest {
    let finalURL = URL(fileURLWithPath: request.outputFolder)
    if FileManager.default.fileExists(atPath: finalURL.path) {
      throw BundleError.invalidInput("\(request.outputFolder) exists; choose a new folder")
    }
    guard request.lifetimeSeconds > 0, request.lifetimeSeconds <= maximumLifetimeSeconds else {
      throw BundleError.invalidInput(
        "the bundle's lifetime must be more than 0 and at most \(maximumLifetimeHours) hours")
    }
    guard !request.publishedResult.contains("\n") else {
      throw BundleError.invalidInput("the published result path must be one line")
    }
    guard request.nodeTmp.hasPrefix("/"), !request.nodeTmp.contains("\n") else {
      throw BundleError.invalidInput(
        "the node folder '\(request.nodeTmp)' must be an absolute path")
    }
    for (_, name) in [request.scenario] + request.inputs where !isPlainRelativePath(name) {
      throw BundleError.invalidInput(
        "input name '\(name)' must be a relative path inside the scenario folder, without '..'")
    }
    let suffix = hex(Age.randomBytes(6))
    let folder = finalURL.deletingLastPathComponent()
      .appendingPathComponent(".\(finalURL.lastPathComponent).partial-\(suffix)")
    try FileManager.default.createDirectory(
      at: folder, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
    do {
      let manifest = try build(request, in: folder)
      guard rename(folder.path, finalURL.path) == 0 else {
        throw BundleError.invalidInput(
          "cannot rename to \(finalURL.path): \(String(cString: strerror(errno)))")
      }
      return manifest
    } catch {
      try? FileManager.default.removeItem(at: folder)
      throw error
    }
  }

  static func build(_ request: PackRequest, in folder: URL) throws -> JobManifest {
    let jobIdentity = AgeIdentity()
    let identityText = Array(jobIdentity.identityFileText(created: request.now).utf8)
    try Data(try Age.encrypt(identityText, recipients: [request.userRecipient])).write(
      to: folder.appendingPathComponent(jobIdentityName))
    for (source, name) in [request.scenario] + request.inputs {
      let target = folder.appendingPathComponent("inputs/\(name).age")
      try FileManager.default.createDirectory(
        at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
      try AgeFile.encrypt(
        inputPath: source, outputPath: target.path, recipients: [jobIdentity.recipient],
        armored: false)
    }
    var encryptedSHA256: [String: String] = [:]
    for (_, name) in [request.scenario] + request.inputs {
      encryptedSHA256[name] = try sha256(
        ofFileAt: folder.appendingPathComponent("inputs/\(name).age")
      ).hex
    }
    let nonce = JobNonce.generate()
    try JobNonce.check(nonce)
    let script = BatchScript.secureJob(
      partition: request.partition, jobNonce: nonce, scenarioName: request.scenario.name,
      inputNames: request.inputs.map(\.name), encryptedSHA256: encryptedSHA256,
      userRecipient: request.userRecipient.description, nodeTmp: request.nodeTmp,
      publishedResult: request.publishedResult)
    try Data(script.utf8).write(to: folder.appendingPathComponent(batchScriptName))
    try FileManager.default.createDirectory(
      at: folder.appendingPathComponent(resultsFolderName), withIntermediateDirectories: false,
      attributes: [.posixPermissions: 0o700])

    var files: [BundleFile] = []
    for path in try listFiles(in: folder) {
      let (digest, bytes) = try sha256(ofFileAt: folder.appendingPathComponent(path))
      files.append(BundleFile(path: path, sha256: digest, bytes: bytes))
    }
    let manifest = JobManifest(
      format: JobManifest.formatName, jobNonce: nonce, created: timestamp(request.now),
      expires: timestamp(request.now.addingTimeInterval(request.lifetimeSeconds)),
      partition: request.partition, scenario: request.scenario.name,
      jobRecipient: jobIdentity.recipient.description,
      userRecipient: request.userRecipient.description,
      batchScript: files.first { $0.path == batchScriptName }!, files: files)
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    let manifestURL = folder.appendingPathComponent(manifestName)
    try (encoder.encode(manifest) + Data("\n".utf8)).write(to: manifestURL)
    try signWithSSHKeygen(file: manifestURL, keyPath: request.signingKeyPath)
    return manifest
  }

  /// Runs `ssh-keygen -Y sign -f KEY -n twin-sim FILE`, which writes FILE.sig.
  /// Going through ssh-keygen lets agents and hardware keys sign.
  static func signWithSSHKeygen(
    file: URL, keyPath: String, namespace: String = signatureNamespace
  ) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [
      "ssh-keygen", "-q", "-Y", "sign", "-f", keyPath, "-n", namespace, file.path,
    ]
    let errorPipe = Pipe()
    process.standardError = errorPipe
    process.standardOutput = FileHandle.nullDevice
    do { try process.run() } catch {
      throw BundleError.signingFailed("cannot start ssh-keygen: \(error)")
    }
    let errorText = String(
      decoding: errorPipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
      throw BundleError.signingFailed(errorText.trimmingCharacters(in: .whitespacesAndNewlines))
    }
  }

  /// Every regular file below `folder` (relative, sorted), except the manifest
  /// and its signature. Anything else (links, devices) is refused.
  static func listFiles(in folder: URL) throws -> [String] {
    guard let enumerator = FileManager.default.enumerator(atPath: folder.path) else {
      throw BundleError.invalidInput("cannot read folder \(folder.path)")
    }
    var paths: [String] = []
    while let path = enumerator.nextObject() as? String {
      if path == resultsFolderName {
        enumerator.skipDescendants()
        continue
      }
      let type = enumerator.fileAttributes?[.type] as? FileAttributeType
      if type == .typeDirectory { continue }
      guard type == .typeRegular else { throw BundleError.unexpectedFile(path: path) }
      if path == manifestName || path == signatureName { continue }
      paths.append(path)
    }
    return paths.sorted()
  }

  /// What a successful `verify` established.
  public struct Verified: Sendable {
    public var manifest: JobManifest
    /// The allowed-signers principals that match the signing key.
    public var principals: [String]
    /// SHA-256 (hex) of the `manifest.json` bytes that verified.
    public var manifestSHA256: String
    /// The key that signed the manifest (the replay list keeps nonces per key).
    public var signer: SSHPublicKey
  }

  /// Verifies a bundle: the SSHSIG signature of `manifest.json` (Ed25519, own
  /// implementation) against `allowedSigners` for namespace `twin-sim`, then the
  /// job nonce's form (`JobNonce`), then the times (not expired; created at
  /// most `clockSkewSeconds` ahead of `now`; expiring after its creation and at
  /// most `maximumLifetimeHours` after it, the cap `pack` keeps), then that the
  /// files are exactly those the manifest lists, with their SHA-256.
  public static func verify(
    folder: String, allowedSigners: AllowedSigners, principal: String?, now: Date = Date()
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
    let principals: [String]
    let signature: SSHSignature
    do {
      signature = try SSHSignature(armored: String(decoding: signatureData, as: UTF8.self))
      try signature.verify(message: [UInt8](manifestData), namespace: signatureNamespace)
      principals = allowedSigners.principals(
        for: signature, namespace: signatureNamespace, principal: principal, at: now)
      if principals.isEmpty {
        throw SignatureError.signerNotAllowed(
          principal.map { "the key is not an allowed signer for principal '\($0)'" }
            ?? "the key is not in the allowed signers file")
      }
    } catch let error as SignatureError {
      throw BundleError.signature(error)
    }
    let manifest: JobManifest
    do { manifest = try JSONDecoder().decode(JobManifest.self, from: manifestData) } catch {
      throw BundleError.manifest("not a job manifest: \(error)")
    }
    guard manifest.format == JobManifest.formatName else {
      throw BundleError.manifest("format '\(manifest.format)' is not \(JobManifest.formatName)")
    }
    try JobNonce.check(manifest.jobNonce)
    try checkTimes(manifest, now: now)
    guard manifest.files.contains(manifest.batchScript) else {
      throw BundleError.manifest("the batch script is not among the files")
    }
    let listed = Set(manifest.files.map(\.path))
    for path in try listFiles(in: url) where !listed.contains(path) {
      throw BundleError.unexpectedFile(path: path)
    }
    for file in manifest.files {
      guard isPlainRelativePath(file.path), !file.path.hasPrefix(resultsFolderName + "/") else {
        throw BundleError.manifest("file path '\(file.path)' leaves the bundle")
      }
      let fileURL = url.appendingPathComponent(file.path)
      guard FileManager.default.fileExists(atPath: fileURL.path) else {
        throw BundleError.missingFile(path: file.path)
      }
      let (digest, bytes) = try sha256(ofFileAt: fileURL)
      guard digest == file.sha256, bytes == file.bytes else {
        throw BundleError.hashMismatch(path: file.path)
      }
    }
    return Verified(
      manifest: manifest, principals: principals,
      manifestSHA256: hex(SHA256.hash(data: manifestData)), signer: signature.publicKey)
  }

  /// The time rules of `verify`: expired first (the plainest reason), then a
  /// creation time ahead of `now` by more than the clock skew, then an expiry
  /// not after the creation or more than the cap after it. Together they
  /// bound every accepted expiry by now + cap + skew.
  static func checkTimes(_ manifest: JobManifest, now: Date) throws {
    guard let expires = UTCTime.parse(manifest.expires) else {
      throw BundleError.manifest("expires \(quoted(manifest.expires)) is not an ISO 8601 time")
    }
    guard let created = UTCTime.parse(manifest.created) else {
      throw BundleError.manifest("created \(quoted(manifest.created)) is not an ISO 8601 time")
    }
    if now >= expires { throw BundleError.expired(expires: manifest.expires) }
    guard created.timeIntervalSince(now) <= clockSkewSeconds else {
      throw BundleError.manifest(
        "created \(manifest.created) is more than \(Int(clockSkewSeconds)) s ahead of this"
          + " host's clock (\(timestamp(now)))")
    }
    guard expires > created else {
      throw BundleError.manifest(
        "expires \(manifest.expires) is not after created \(manifest.created)")
    }
    guard expires.timeIntervalSince(created) <= maximumLifetimeSeconds else {
      throw BundleError.manifest(
        "expires \(manifest.expires) is more than \(maximumLifetimeHours) hours after created"
          + " \(manifest.created) (the longest lifetime pack gives a bundle)")
    }
  }
}
