import Crypto
import Foundation

/// The node side of a secure job around the batch script: the Prolog prepares
/// a private node-local folder for the job, the Epilog signs and publishes the
/// encrypted outputs and wipes the folder (SecureHPC steps 7 and 8).
///
///     NODE_TMP/twin-sim-job-JOBID/   mode 0700, owned by the job's user
///       site.env                     site settings for the job (from the prolog)
///       key/ in/ run/ job.log        key and plaintext (the job wipes them)
///       out/*.age                    encrypted outputs, published by the epilog
///     RECORDS/JOBID.json             what the prolog accepted (root only)
public enum SecureNodeJob {
  public static let folderPrefix = "twin-sim-job-"
  public static let siteEnvironmentName = "site.env"

  /// What the prolog accepted, kept root-only on the node for the epilog (the
  /// bundle on the shared file system may change after the prolog read it).
  public struct Record: Codable, Sendable, Equatable {
    public var jobID: String
    public var jobNonce: String
    /// SHA-256 (hex) of the bundle's `manifest.json` the prolog verified.
    public var bundleManifestSHA256: String
    public var user: String
    public var uid: UInt32
    public var gid: UInt32
    /// The bundle folder; outputs go to its `results/`.
    public var bundle: String
    public var userRecipient: String
    /// ISO 8601 UTC time the prolog accepted the job.
    public var started: String

    public init(
      jobID: String, jobNonce: String, bundleManifestSHA256: String, user: String, uid: UInt32,
      gid: UInt32, bundle: String, userRecipient: String, started: String
    ) {
      self.jobID = jobID
      self.jobNonce = jobNonce
      self.bundleManifestSHA256 = bundleManifestSHA256
      self.user = user
      self.uid = uid
      self.gid = gid
      self.bundle = bundle
      self.userRecipient = userRecipient
      self.started = started
    }

    enum CodingKeys: String, CodingKey {
      case user, uid, gid, bundle, started
      case jobID = "job_id"
      case jobNonce = "job_nonce"
      case bundleManifestSHA256 = "bundle_manifest_sha256"
      case userRecipient = "user_recipient"
    }
  }

  static func ioError(_ what: String) -> AgeError {
    AgeError.io("\(what): \(String(cString: strerror(errno)))")
  }

  /// Slurm job ids are decimal numbers; anything else never names a folder.
  public static func isJobID(_ text: String) -> Bool {
    !text.isEmpty && text.count <= 20 && text.allSatisfy { $0.isASCII && $0.isNumber }
  }

  /// `NODE_TMP/twin-sim-job-JOBID`.
  public static func folder(nodeTmp: String, jobID: String) -> String {
    nodeTmp + "/" + folderPrefix + jobID
  }

  static func recordPath(recordsFolder: String, jobID: String) -> String {
    recordsFolder + "/" + jobID + ".json"
  }

  /// Writes `data` to a new file at `path` (never through a link) with mode
  /// 0600, owned by `owner` when given.
  static func writeNewFile(_ data: Data, path: String, owner: (uid: UInt32, gid: UInt32)?) throws {
    let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
    guard descriptor >= 0 else { throw ioError("cannot create \(path)") }
    let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
    if let owner, fchown(descriptor, owner.uid, owner.gid) != 0 {
      throw ioError("cannot give \(path) to uid \(owner.uid)")
    }
    try handle.write(contentsOf: data)
    try handle.synchronize()
    try handle.close()
  }

  /// The prolog's part, after every check held: wipes a stale folder of the
  /// same job id, creates the job folder (0700, owned by the job's user), writes
  /// `site.env` (the twin-sim binary, then the site's job environment file) and
  /// the root-only record the epilog reads.
  public static func prepare(
    record: Record, nodeTmp: String, recordsFolder: String, twinSimBinary: String,
    jobEnvironment: String?
  ) throws {
    guard isJobID(record.jobID) else {
      throw BundleError.invalidInput("job id '\(record.jobID)' is not a Slurm job id")
    }
    try JobNonce.check(record.jobNonce)
    var environment = "# Written by twin-sim secure prolog for job \(record.jobID).\n"
    environment += "TWIN_SIM_BIN=\(BatchScript.shellQuote(twinSimBinary))\n"
    if let jobEnvironment {
      guard let text = FileManager.default.contents(atPath: jobEnvironment) else {
        throw BundleError.invalidInput("cannot read the job environment file \(jobEnvironment)")
      }
      environment += String(decoding: text, as: UTF8.self)
    }
    try FileManager.default.createDirectory(
      atPath: recordsFolder, withIntermediateDirectories: true,
      attributes: [.posixPermissions: 0o700])
    let jobFolder = folder(nodeTmp: nodeTmp, jobID: record.jobID)
    try SecureWipe.wipe(path: jobFolder)
    guard mkdir(jobFolder, 0o700) == 0 else { throw ioError("cannot create \(jobFolder)") }
    guard chown(jobFolder, record.uid, record.gid) == 0 else {
      throw ioError("cannot give \(jobFolder) to uid \(record.uid)")
    }
    try writeNewFile(
      Data(environment.utf8), path: jobFolder + "/" + siteEnvironmentName,
      owner: (record.uid, record.gid))
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    let path = recordPath(recordsFolder: recordsFolder, jobID: record.jobID)
    try SecureWipe.wipe(path: path)
    try writeNewFile(try encoder.encode(record) + Data("\n".utf8), path: path, owner: nil)
  }

  /// What the epilog did.
  public struct Finished: Sendable {
    /// The prolog's record; nil when the job was not an accepted secure job.
    public var record: Record?
    /// The published files (in `results/` of the bundle), manifest last.
    public var published: [String]
    /// Files overwritten and removed on the node.
    public var wipedFiles: Int
    /// Why nothing was published, when an accepted job published nothing.
    public var publishError: String?
  }

  /// The epilog's part: for a job the prolog accepted, copies each
  /// `out/NAME.age` to `results/` of the bundle (hashing the bytes it writes),
  /// writes the output manifest there and its signature by `nodeKeyPath`
  /// (`ssh-keygen -Y sign -n twin-sim-node`); then, in every case, wipes the
  /// job folder and the record. A publishing failure is reported in the
  /// result (the wipe still happens); a wipe failure throws. `softwareVersion`
  /// (the site's twin-sim) goes into the output manifest when given.
  public static func finish(
    jobID: String, nodeTmp: String, recordsFolder: String, nodeKeyPath: String,
    nodeName: String, exitCode: String, softwareVersion: String? = nil, now: Date = Date()
  ) throws -> Finished {
    guard isJobID(jobID) else {
      throw BundleError.invalidInput("job id '\(jobID)' is not a Slurm job id")
    }
    let jobFolder = folder(nodeTmp: nodeTmp, jobID: jobID)
    let recordFile = recordPath(recordsFolder: recordsFolder, jobID: jobID)
    var record: Record?
    if let data = FileManager.default.contents(atPath: recordFile) {
      record = try? JSONDecoder().decode(Record.self, from: data)
    }
    var result = Finished(record: record, published: [], wipedFiles: 0, publishError: nil)
    if let record {
      do {
        result.published = try publish(
          record: record, jobFolder: jobFolder, nodeKeyPath: nodeKeyPath, nodeName: nodeName,
          exitCode: exitCode, softwareVersion: softwareVersion, now: now)
      } catch {
        result.publishError = "\(error)"
      }
    }
    result.wipedFiles = try SecureWipe.wipe(path: jobFolder)
    try SecureWipe.wipe(path: recordFile)
    return result
  }

  /// Copies `source` (a regular file, not followed through a link) to a new
  /// file `target` owned by `owner`, returning the SHA-256 and size of what it wrote.
  static func copyHashing(source: String, target: String, owner: (uid: UInt32, gid: UInt32))
    throws -> (sha256: String, bytes: Int)
  {
    let input = open(source, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
    guard input >= 0 else { throw ioError("cannot open \(source)") }
    let reader = FileHandle(fileDescriptor: input, closeOnDealloc: true)
    var status = stat()
    guard fstat(input, &status) == 0, status.st_mode & S_IFMT == S_IFREG else {
      throw AgeError.io("\(source) is not a regular file")
    }
    let output = open(target, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
    guard output >= 0 else { throw ioError("cannot create \(target)") }
    let writer = FileHandle(fileDescriptor: output, closeOnDealloc: true)
    guard fchown(output, owner.uid, owner.gid) == 0 else {
      throw ioError("cannot give \(target) to uid \(owner.uid)")
    }
    var hasher = SHA256()
    var total = 0
    while let data = try reader.read(upToCount: 1 << 20), !data.isEmpty {
      hasher.update(data: data)
      try writer.write(contentsOf: data)
      total += data.count
    }
    try writer.synchronize()
    return (JobBundle.hex(hasher.finalize()), total)
  }

  /// The status the batch script wrote to `status` on exit (digits only), or
  /// `none` (never through a link, at most 16 bytes read).
  static func scriptStatus(jobFolder: String) -> String {
    let descriptor = open(jobFolder + "/status", O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
    guard descriptor >= 0 else { return "none" }
    defer { close(descriptor) }
    var buffer = [UInt8](repeating: 0, count: 16)
    let count = read(descriptor, &buffer, buffer.count)
    guard count > 0 else { return "none" }
    let text = String(decoding: buffer[0..<count], as: UTF8.self)
      .trimmingCharacters(in: .whitespacesAndNewlines)
    guard !text.isEmpty, text.count <= 3, text.allSatisfy({ $0.isASCII && $0.isNumber }) else {
      return "none"
    }
    return text
  }

  static func publish(
    record: Record, jobFolder: String, nodeKeyPath: String, nodeName: String, exitCode: String,
    softwareVersion: String? = nil, now: Date
  ) throws -> [String] {
    var status = stat()
    guard lstat(jobFolder, &status) == 0, status.st_mode & S_IFMT == S_IFDIR else {
      throw AgeError.io("the job folder \(jobFolder) is missing or not a folder")
    }
    let results = record.bundle + "/" + JobBundle.resultsFolderName
    guard lstat(results, &status) == 0, status.st_mode & S_IFMT == S_IFDIR,
      status.st_uid == record.uid
    else {
      throw AgeError.io("\(results) is not a folder of user \(record.user) (uid \(record.uid))")
    }
    let outFolder = jobFolder + "/out"
    let names =
      ((try? FileManager.default.contentsOfDirectory(atPath: outFolder)) ?? [])
      .filter { $0.hasSuffix(".age") && JobBundle.isPlainRelativePath($0) }.sorted()
    let owner = (uid: record.uid, gid: record.gid)
    let suffix = ".partial-" + JobBundle.hex(Age.randomBytes(6))
    var partials: [(partial: String, final: String)] = []
    do {
      var outputs: [BundleFile] = []
      for name in names {
        let target = results + "/." + name + suffix
        partials.append((target, results + "/" + name))
        let (digest, bytes) = try copyHashing(
          source: outFolder + "/" + name, target: target, owner: owner)
        outputs.append(BundleFile(path: name, sha256: digest, bytes: bytes))
      }
      let manifest = OutputManifest(
        format: OutputManifest.formatName, jobID: record.jobID, jobNonce: record.jobNonce,
        bundleManifestSHA256: record.bundleManifestSHA256, node: nodeName, user: record.user,
        started: record.started,
        finished: JobBundle.timestamp(now), exitCode: exitCode,
        scriptStatus: scriptStatus(jobFolder: jobFolder), softwareVersion: softwareVersion,
        outputs: outputs)
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
      let localManifest = jobFolder + "/" + JobOutputs.manifestName
      try SecureWipe.wipe(path: localManifest)
      try SecureWipe.wipe(path: localManifest + ".sig")
      try writeNewFile(
        try encoder.encode(manifest) + Data("\n".utf8), path: localManifest, owner: nil)
      try JobBundle.signWithSSHKeygen(
        file: URL(fileURLWithPath: localManifest), keyPath: nodeKeyPath,
        namespace: JobOutputs.signatureNamespace)
      for name in [JobOutputs.manifestName, JobOutputs.signatureName] {
        let target = results + "/." + name + suffix
        partials.append((target, results + "/" + name))
        _ = try copyHashing(source: jobFolder + "/" + name, target: target, owner: owner)
      }
      for (partial, final) in partials {
        guard rename(partial, final) == 0 else { throw ioError("cannot rename to \(final)") }
      }
      return partials.map(\.final)
    } catch {
      for (partial, _) in partials { unlink(partial) }
      throw error
    }
  }
}
