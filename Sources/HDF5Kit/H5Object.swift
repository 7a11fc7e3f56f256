import CHDF5

/// An open HDF5 object (file, group or dataset) that closes itself.
///
/// Parallel HDF5 closes a file only when none of its objects is open
/// (`H5F_CLOSE_SEMI`), so a file closes its children before itself; an object
/// closed that way becomes unusable, and later calls on it throw.
public class H5Object {
  /// HDF5 identifier; negative once closed.
  var id: hid_t
  /// Path inside the file (for error messages), e.g. `/arms/baseline`.
  public let path: String

  init(id: hid_t, path: String) {
    self.id = id
    self.path = path
  }

  deinit { closeHandle() }

  /// Closes the HDF5 identifier. Subclasses call the right `H5?close`.
  func closeHandle() {}

  func liveID(_ operation: @autoclosure () -> String) throws(HDF5Error) -> hid_t {
    if id < 0 {
      throw HDF5Error(operation: operation(), stack: ["object '\(path)' is already closed"])
    }
    return id
  }
}

/// Joins a parent path and a child name into an HDF5 path.
func childPath(_ parent: String, _ name: String) -> String {
  parent == "/" ? "/" + name : parent + "/" + name
}

/// Weak references to a file's open children, closed before the file.
final class ChildRegistry {
  private struct Entry { weak var object: H5Object? }
  private var entries: [Entry] = []

  func add(_ object: H5Object) {
    entries.removeAll { $0.object == nil }
    entries.append(Entry(object: object))
  }

  func closeAll() {
    for entry in entries.reversed() { entry.object?.closeHandle() }
    entries.removeAll()
  }
}
