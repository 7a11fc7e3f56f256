import Foundation

/// Removing plaintext and keys from node-local storage: every regular file is
/// overwritten with zeros and flushed before it is unlinked. On journaling or
/// copy-on-write file systems and on SSDs an overwrite may not reach the
/// blocks that held the data; that is why the data lives only on node-local
/// storage of an isolated node (docs/security.md).
public enum SecureWipe {
  static let zeroChunk = [UInt8](repeating: 0, count: 1 << 16)

  /// Wipes `path`: a file is overwritten and unlinked, a folder is wiped
  /// depth-first and removed. Symbolic links are unlinked, never followed (a
  /// job could leave a link to a file it must not touch). A missing path is
  /// not an error. Returns the number of files overwritten.
  @discardableResult
  public static func wipe(path: String) throws -> Int {
    var status = stat()
    if lstat(path, &status) != 0 {
      if errno == ENOENT { return 0 }
      throw AgeError.io("cannot inspect \(path): \(String(cString: strerror(errno)))")
    }
    switch status.st_mode & S_IFMT {
    case S_IFDIR:
      var count = 0
      for name in try FileManager.default.contentsOfDirectory(atPath: path) {
        count += try wipe(path: path + "/" + name)
      }
      guard rmdir(path) == 0 else {
        throw AgeError.io("cannot remove folder \(path): \(String(cString: strerror(errno)))")
      }
      return count
    case S_IFREG:
      try overwrite(path: path, bytes: Int(status.st_size))
      guard unlink(path) == 0 else {
        throw AgeError.io("cannot remove \(path): \(String(cString: strerror(errno)))")
      }
      return 1
    default:
      guard unlink(path) == 0 else {
        throw AgeError.io("cannot remove \(path): \(String(cString: strerror(errno)))")
      }
      return 0
    }
  }

  /// Overwrites the first `bytes` bytes of a regular file with zeros and flushes.
  static func overwrite(path: String, bytes: Int) throws {
    let descriptor = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC)
    guard descriptor >= 0 else {
      throw AgeError.io("cannot open \(path) to wipe: \(String(cString: strerror(errno)))")
    }
    defer { close(descriptor) }
    var remaining = bytes
    while remaining > 0 {
      let count = min(remaining, zeroChunk.count)
      let written = zeroChunk.withUnsafeBytes { write(descriptor, $0.baseAddress, count) }
      guard written > 0 else {
        throw AgeError.io("cannot overwrite \(path): \(String(cString: strerror(errno)))")
      }
      remaining -= written
    }
    guard fsync(descriptor) == 0 else {
      throw AgeError.io("cannot flush \(path): \(String(cString: strerror(errno)))")
    }
  }
}
