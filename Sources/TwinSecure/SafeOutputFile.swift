import CTwinSecure
import Foundation

/// An output file that appears under its name only when complete, so a failed
/// or killed run never leaves a file that looks complete, nor plaintext under
/// any name (docs/security.md, "age encryption").
///
/// Where the file system supports it (Linux's `O_TMPFILE`: ext4, XFS, Btrfs,
/// tmpfs, ...), the bytes go into a file without a name in the target's
/// folder, and `commit()` links it into place after the last byte was written
/// and flushed. A process that dies before, even by SIGKILL or a power cut,
/// leaves nothing: the kernel frees a file no name leads to.
///
/// Elsewhere (NFS, Lustre, kernels before 3.11, macOS) the fallback is a named
/// temporary file `.NAME.partial-XXXXXXXXXXXX` (mode 0600) beside the target,
/// renamed by `commit()` and removed by `discard()`. Its risk: a process
/// killed by SIGKILL (no handler runs) leaves that file behind with
/// everything written until then; for a decryption, verified plaintext. A
/// secure job's node-local folder is wiped by the job and again by the epilog,
/// which covers such leftovers there; on a workstation, remove them by hand.
public final class SafeOutputFile {
  /// Where the bytes are until `commit()`.
  public enum Storage: Sendable, Equatable {
    /// A file without a name (`O_TMPFILE`).
    case unnamed
    /// The fallback: a named temporary file beside the target.
    case named(URL)
  }

  public let finalURL: URL
  public let storage: Storage
  public let handle: FileHandle
  var committed = false

  /// Opens the file for the target `finalURL` with `permissions` (octal mode):
  /// unnamed where the file system can, otherwise the named fallback.
  public convenience init(finalURL: URL, permissions: mode_t = 0o600) throws {
    try self.init(finalURL: finalURL, permissions: permissions, allowUnnamed: true)
  }

  /// `allowUnnamed: false` forces the named fallback (for its tests).
  init(finalURL: URL, permissions: mode_t, allowUnnamed: Bool) throws {
    self.finalURL = finalURL
    let folder = finalURL.deletingLastPathComponent()
    if allowUnnamed,
      let descriptor = try Self.openUnnamed(in: folder.path, permissions: permissions)
    {
      storage = .unnamed
      handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
      return
    }
    let temporary = Self.stagingURL(for: finalURL)
    let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, permissions)
    guard descriptor >= 0 else {
      throw AgeError.io("cannot create \(temporary.path): \(String(cString: strerror(errno)))")
    }
    storage = .named(temporary)
    handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
  }

  static func stagingURL(for finalURL: URL) -> URL {
    let suffix = JobBundle.hex(Age.randomBytes(6))
    return finalURL.deletingLastPathComponent()
      .appendingPathComponent(".\(finalURL.lastPathComponent).partial-\(suffix)")
  }

  /// A file without a name in `folder`, or nil when the platform or the file
  /// system has no `O_TMPFILE` (open(2): EOPNOTSUPP from the file system,
  /// EISDIR from a kernel that does not know the flag; EINVAL from file
  /// systems that refuse the combination).
  static func openUnnamed(in folder: String, permissions: mode_t) throws -> Int32? {
    let unnamed = twin_secure_o_tmpfile()
    guard unnamed != 0 else { return nil }
    let descriptor = open(folder, unnamed | O_WRONLY | O_CLOEXEC, permissions)
    if descriptor >= 0 { return descriptor }
    let error = errno
    if error == EOPNOTSUPP || error == EISDIR || error == EINVAL { return nil }
    throw AgeError.io("cannot create a file in \(folder): \(String(cString: strerror(error)))")
  }

  /// Flushes to disk and gives the file its final name (replacing a file of
  /// that name, as rename does).
  public func commit() throws {
    try handle.synchronize()
    switch storage {
    case .unnamed:
      try linkIntoPlace()
      try handle.close()
    case .named(let temporary):
      try handle.close()
      guard rename(temporary.path, finalURL.path) == 0 else {
        throw AgeError.io(
          "cannot rename \(temporary.path) to \(finalURL.path): \(String(cString: strerror(errno)))"
        )
      }
    }
    committed = true
  }

  /// Links the unnamed file to `finalURL`. When a file of that name exists,
  /// links it under a fresh temporary name and renames that over the old
  /// file: the complete bytes then carry that name for an instant.
  func linkIntoPlace() throws {
    let descriptor = handle.fileDescriptor
    if Self.link(descriptor, to: finalURL.path) { return }
    guard errno == EEXIST else {
      throw AgeError.io("cannot create \(finalURL.path): \(String(cString: strerror(errno)))")
    }
    let staging = Self.stagingURL(for: finalURL)
    guard Self.link(descriptor, to: staging.path) else {
      throw AgeError.io("cannot create \(staging.path): \(String(cString: strerror(errno)))")
    }
    guard rename(staging.path, finalURL.path) == 0 else {
      let error = errno
      unlink(staging.path)
      throw AgeError.io(
        "cannot rename \(staging.path) to \(finalURL.path): \(String(cString: strerror(error)))")
    }
  }

  /// Gives the unnamed file `descriptor` the name `path`: unprivileged through
  /// `/proc/self/fd/N` with `AT_SYMLINK_FOLLOW` (linkat(2), open(2) on
  /// O_TMPFILE); without /proc, with `AT_EMPTY_PATH`, which needs
  /// CAP_DAC_READ_SEARCH. False with errno set when neither worked.
  static func link(_ descriptor: Int32, to path: String) -> Bool {
    if linkat(AT_FDCWD, "/proc/self/fd/\(descriptor)", AT_FDCWD, path, AT_SYMLINK_FOLLOW) == 0 {
      return true
    }
    let error = errno
    var procStatus = stat()
    let emptyPath = twin_secure_at_empty_path()
    guard error == ENOENT, stat("/proc/self/fd", &procStatus) != 0, emptyPath != 0 else {
      errno = error
      return false
    }
    return linkat(descriptor, "", AT_FDCWD, path, emptyPath) == 0
  }

  /// Closes and forgets the bytes unless committed: an unnamed file vanishes
  /// with its descriptor, the named fallback is removed.
  public func discard() {
    guard !committed else { return }
    try? handle.close()
    if case .named(let temporary) = storage { unlink(temporary.path) }
  }
}
