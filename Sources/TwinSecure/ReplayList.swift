import Foundation
import GRDB

/// The prolog's replay list: every bundle it accepted, so that none runs twice
/// (docs/security.md, "Job nonce, replay list, expiry"). An SQLite database
/// (through GRDB) on the node's local storage, mode 0600, owned by root:
///
///     accepted_job(signer, job_nonce, user, job_id, accepted, expires)
///       primary key (signer, job_nonce)
///     legacy_job_nonce(job_nonce primary key, job_id)
///
/// A record is one row whose fields are bound values, never text spliced into
/// a line or a statement, and each field is checked twice: here before the
/// insert and by the table's CHECK constraints (the nonce is `JobNonce`'s
/// form, the job id digits, the signer an OpenSSH SHA-256 fingerprint). So no
/// value in a signed manifest can write a second record. The key is the
/// signing key together with the nonce: only the holder of a key can make a
/// record that refuses a bundle signed by that key, so a signer who copies
/// another user's nonce blocks nothing but their own bundles.
///
/// Checking and recording happen in one exclusive transaction: prologs that
/// run at once (two jobs starting on the node) wait for each other (busy
/// timeout 60 s), and of two jobs with the same bundle exactly one is
/// accepted. A list in the line format of earlier versions (`NONCE JOBID`
/// lines, written under `flock`) is imported at its first use: its
/// well-formed nonces go into `legacy_job_nonce` and stay refused for every
/// signer, and the old file is kept beside it as `FILE.legacy-XXXXXXXXXXXX`.
public struct ReplayList: Sendable {
  public static let schemaVersion = 1
  /// Seconds a prolog waits for another one to finish with the list.
  public static let busyTimeout: TimeInterval = 60

  public let path: String

  public init(path: String) { self.path = path }

  /// One accepted bundle.
  public struct Entry: Sendable, Equatable {
    /// The signing key's fingerprint (`SHA256:...`, as `ssh-keygen -l`).
    public var signer: String
    public var jobNonce: String
    /// The Slurm user the job ran as (the signer's principal).
    public var user: String
    public var jobID: String
    /// ISO 8601 UTC: when the prolog accepted it, when the bundle expires.
    public var accepted: String
    public var expires: String

    public init(
      signer: String, jobNonce: String, user: String, jobID: String, accepted: String,
      expires: String
    ) {
      self.signer = signer
      self.jobNonce = jobNonce
      self.user = user
      self.jobID = jobID
      self.accepted = accepted
      self.expires = expires
    }
  }

  static let schema = """
    CREATE TABLE IF NOT EXISTS accepted_job (
      signer TEXT NOT NULL CHECK (length(signer) = 50 AND substr(signer, 1, 7) = 'SHA256:'
        AND substr(signer, 8) NOT GLOB '*[^A-Za-z0-9+/]*'),
      job_nonce TEXT NOT NULL CHECK (length(job_nonce) = 64 AND job_nonce NOT GLOB '*[^0-9a-f]*'),
      user TEXT NOT NULL CHECK (length(user) BETWEEN 1 AND 256),
      job_id TEXT NOT NULL CHECK (length(job_id) BETWEEN 1 AND 20 AND job_id NOT GLOB '*[^0-9]*'),
      accepted TEXT NOT NULL,
      expires TEXT NOT NULL,
      PRIMARY KEY (signer, job_nonce)
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS legacy_job_nonce (
      job_nonce TEXT PRIMARY KEY CHECK (length(job_nonce) = 64
        AND job_nonce NOT GLOB '*[^0-9a-f]*'),
      job_id TEXT NOT NULL CHECK (job_id NOT GLOB '*[^0-9]*')
    ) WITHOUT ROWID;
    """

  func failure(_ reason: String) -> SecureProlog.Refusal {
    .replayList("\(path): \(reason)")
  }

  func systemFailure(_ what: String) -> SecureProlog.Refusal {
    failure("\(what): \(String(cString: strerror(errno)))")
  }

  /// Records `entry` unless its signer and nonce, or its nonce in the imported
  /// legacy list, are there already (`SecureProlog.Refusal.replayed`). Creates
  /// the database (mode 0600) when the file is missing.
  public func record(_ entry: Entry) throws {
    try validate(entry)
    let database = try openDatabase()
    defer { try? database.close() }
    do {
      try database.writeWithoutTransaction { db in
        try db.inTransaction(.exclusive) {
          try prepareSchema(db)
          let seen = try String.fetchOne(
            db,
            sql: """
              SELECT job_id FROM accepted_job WHERE signer = ? AND job_nonce = ?
              UNION ALL SELECT job_id FROM legacy_job_nonce WHERE job_nonce = ? LIMIT 1
              """, arguments: [entry.signer, entry.jobNonce, entry.jobNonce])
          if seen != nil { throw SecureProlog.Refusal.replayed(jobNonce: entry.jobNonce) }
          try db.execute(
            sql: """
              INSERT INTO accepted_job (signer, job_nonce, user, job_id, accepted, expires)
              VALUES (?, ?, ?, ?, ?, ?)
              """,
            arguments: [
              entry.signer, entry.jobNonce, entry.user, entry.jobID, entry.accepted,
              entry.expires,
            ])
          return .commit
        }
      }
    } catch let refusal as SecureProlog.Refusal {
      throw refusal
    } catch {
      throw failure("\(error)")
    }
  }

  /// Every accepted bundle, oldest first, and the imported legacy nonces.
  public func entries() throws -> (accepted: [Entry], legacyNonces: [String]) {
    let database = try openDatabase()
    defer { try? database.close() }
    do {
      return try database.writeWithoutTransaction { db in
        try db.inTransaction(.exclusive) {
          try prepareSchema(db)
          return .commit
        }
        let rows = try Row.fetchAll(
          db,
          sql: """
            SELECT signer, job_nonce, user, job_id, accepted, expires FROM accepted_job
            ORDER BY accepted, job_id
            """)
        let accepted = rows.map { row in
          Entry(
            signer: row[0], jobNonce: row[1], user: row[2], jobID: row[3], accepted: row[4],
            expires: row[5])
        }
        let legacy = try String.fetchAll(
          db, sql: "SELECT job_nonce FROM legacy_job_nonce ORDER BY job_nonce")
        return (accepted, legacy)
      }
    } catch let refusal as SecureProlog.Refusal {
      throw refusal
    } catch {
      throw failure("\(error)")
    }
  }

  /// The checks the table's constraints repeat.
  func validate(_ entry: Entry) throws {
    try JobNonce.check(entry.jobNonce)
    guard SecureNodeJob.isJobID(entry.jobID) else {
      throw failure("job id \(JobBundle.quoted(entry.jobID)) is not a Slurm job id")
    }
    let fingerprint = Array(entry.signer.utf8)
    guard fingerprint.count == 50, entry.signer.hasPrefix("SHA256:"),
      fingerprint[7...].allSatisfy({ Base64Strict.decodeTable[Int($0)] >= 0 })
    else { throw failure("signer \(JobBundle.quoted(entry.signer)) is not a key fingerprint") }
    guard !entry.user.isEmpty, entry.user.utf8.count <= 256 else {
      throw failure("user \(JobBundle.quoted(entry.user)) is not a user name")
    }
  }

  func prepareSchema(_ db: Database) throws {
    let version = try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0
    guard version <= Self.schemaVersion else {
      throw failure(
        "written by a newer twin-sim (schema \(version); this one knows \(Self.schemaVersion))")
    }
    guard version < Self.schemaVersion else { return }
    try db.execute(sql: Self.schema + "PRAGMA user_version = \(Self.schemaVersion);")
  }

  enum FileKind { case missing, database, lineFormat }

  static let sqliteHeader = Array("SQLite format 3\0".utf8)

  /// What the file at `path` holds: nothing yet, an SQLite database (or an
  /// empty file, which SQLite takes as an empty database), or text lines of
  /// an earlier version. Anything else (a link, a folder, binary data) is refused.
  func kind() throws -> FileKind {
    let descriptor = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
    if descriptor < 0 {
      if errno == ENOENT { return .missing }
      throw systemFailure("cannot open")
    }
    defer { close(descriptor) }
    var status = stat()
    guard fstat(descriptor, &status) == 0, status.st_mode & S_IFMT == S_IFREG else {
      throw failure("not a regular file")
    }
    var head = [UInt8](repeating: 0, count: 4096)
    let count = read(descriptor, &head, head.count)
    guard count >= 0 else { throw systemFailure("cannot read") }
    head = Array(head[0..<count])
    if head.isEmpty || head.starts(with: Self.sqliteHeader) { return .database }
    guard !head.contains(0) else { throw failure("neither an SQLite database nor text lines") }
    return .lineFormat
  }

  /// Opens the database, creating the file (mode 0600) or importing a list
  /// of the line format first.
  func openDatabase() throws -> DatabaseQueue {
    for _ in 0..<8 {
      switch try kind() {
      case .missing:
        let descriptor = open(
          path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        if descriptor < 0 && errno != EEXIST { throw systemFailure("cannot create") }
        if descriptor >= 0 { close(descriptor) }
      case .lineFormat:
        try importLineFormat()
      case .database:
        var configuration = Configuration()
        configuration.busyMode = .timeout(Self.busyTimeout)
        configuration.label = "twin-sim replay list"
        configuration.prepareDatabase { db in
          try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        do { return try DatabaseQueue(path: path, configuration: configuration) } catch {
          throw failure("\(error)")
        }
      }
    }
    throw failure("the file keeps changing while it is opened")
  }

  /// Replaces a list of the line format by a database holding its nonces,
  /// under the `flock` its writers took; keeps the old file as
  /// `FILE.legacy-XXXXXXXXXXXX`. Returns without change when another prolog
  /// replaced the file first (the caller looks again).
  func importLineFormat() throws {
    let descriptor = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
    guard descriptor >= 0 else {
      if errno == ENOENT { return }
      throw systemFailure("cannot open")
    }
    defer { close(descriptor) }
    guard flock(descriptor, LOCK_EX) == 0 else { throw systemFailure("cannot lock") }
    var locked = stat()
    var current = stat()
    guard fstat(descriptor, &locked) == 0, lstat(path, &current) == 0,
      locked.st_dev == current.st_dev, locked.st_ino == current.st_ino
    else { return }
    let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: false)
    let bytes = [UInt8](try handle.readToEnd() ?? Data())
    if bytes.isEmpty || bytes.starts(with: Self.sqliteHeader) { return }
    var nonces: [(nonce: String, jobID: String)] = []
    for line in bytes.split(separator: UInt8(ascii: "\n")) {
      let fields = line.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
      let nonce = String(decoding: fields[0], as: UTF8.self)
      guard JobNonce.isValid(nonce) else { continue }
      let jobID = fields.count > 1 ? String(decoding: fields[1], as: UTF8.self) : ""
      nonces.append((nonce, SecureNodeJob.isJobID(jobID) ? jobID : ""))
    }
    let suffix = JobBundle.hex(Age.randomBytes(6))
    let staging = path + ".import-" + suffix
    let created = open(staging, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
    guard created >= 0 else { throw systemFailure("cannot create \(staging)") }
    close(created)
    do {
      let database = try DatabaseQueue(path: staging)
      try database.write { db in
        try prepareSchema(db)
        for (nonce, jobID) in nonces {
          try db.execute(
            sql: "INSERT OR IGNORE INTO legacy_job_nonce (job_nonce, job_id) VALUES (?, ?)",
            arguments: [nonce, jobID])
        }
      }
      try database.close()
      guard link(path, path + ".legacy-" + suffix) == 0 else {
        throw systemFailure("cannot keep the old list as \(path).legacy-\(suffix)")
      }
      guard rename(staging, path) == 0 else { throw systemFailure("cannot replace") }
    } catch {
      unlink(staging)
      throw error
    }
  }
}
