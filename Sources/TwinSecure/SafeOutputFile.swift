import Foundation

/// An output file written under a temporary name in the target's folder and
/// renamed to its final name only by `commit()`, so a failed run never leaves
/// a file that looks complete (DESIGN.md, principle 5). The temporary file has
/// mode 0600; `discard()` removes it (also safe after `commit()`).
public final class SafeOutputFile {
  public let finalURL: URL
  public let temporaryURL: URL
  public let handle: FileHandle
  var committed = false

  /// Creates the temporary file beside `finalURL` with `permissions` (octal mode).
  public init(finalURL: URL, permissions: mode_t = 0o600) throws {
    self.finalURL = finalURL
    let folder = finalURL.deletingLastPathComponent()
    let suffix = Age.randomBytes(6).map { String($0, radix: 16) }.joined()
    temporaryURL = folder.appendingPathComponent(".\(finalURL.lastPathComponent).partial-\(suffix)")
    let descriptor = open(temporaryURL.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, permissions)
    guard descriptor >= 0 else {
      throw AgeError.io(
        "cannot create \(temporaryURL.path): \(String(cString: strerror(errno)))")
    }
    handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
  }

  /// Flushes to disk and renames to the final name.
  public func commit() throws {
    try handle.synchronize()
    try handle.close()
    guard rename(temporaryURL.path, finalURL.path) == 0 else {
      throw AgeError.io(
        "cannot rename \(temporaryURL.path) to \(finalURL.path): \(String(cString: strerror(errno)))"
      )
    }
    committed = true
  }

  /// Removes the temporary file unless it was committed.
  public func discard() {
    guard !committed else { return }
    try? handle.close()
    unlink(temporaryURL.path)
  }
}
