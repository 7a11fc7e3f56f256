import CHDF5

/// A failed HDF5 call, carrying HDF5's own messages from its error stack.
public struct HDF5Error: Error, CustomStringConvertible, Sendable {
  /// What twin-sim was doing, e.g. `create dataset '/arms/baseline/sbp' in results.h5`.
  public let operation: String
  /// HDF5's error stack, innermost message last, e.g. `H5Dcreate2: unable to create dataset`.
  public let stack: [String]

  public var description: String {
    stack.isEmpty
      ? "HDF5: \(operation) failed"
      : "HDF5: \(operation) failed: \(stack.joined(separator: "; "))"
  }

  /// Collects HDF5's current error stack into an error and clears the stack.
  static func fromStack(_ operation: String) -> HDF5Error {
    final class Collector { var lines: [String] = [] }
    let collector = Collector()
    let box = Unmanaged.passRetained(collector)
    defer { box.release() }
    H5Ewalk2(
      twin_h5e_default(), H5E_WALK_DOWNWARD,
      { _, entry, clientData in
        guard let entry, let clientData else { return 0 }
        let collector = Unmanaged<Collector>.fromOpaque(clientData).takeUnretainedValue()
        let function = entry.pointee.func_name.map { String(cString: $0) } ?? "?"
        let detail = entry.pointee.desc.map { String(cString: $0) } ?? ""
        collector.lines.append("\(function): \(detail)")
        return 0
      }, box.toOpaque())
    H5Eclear2(twin_h5e_default())
    return HDF5Error(operation: operation, stack: collector.lines)
  }
}

/// HDF5 set-up that must happen before the first call: open the library and
/// turn off its automatic error printing (errors reach callers as `HDF5Error`).
enum HDF5Library {
  static let ready: Bool = {
    H5open()
    twin_h5_silence_errors()
    return true
  }()

  static func prepare() { _ = ready }
}

/// Throws the HDF5 error stack when an identifier-returning call failed.
@discardableResult
func checkID(_ id: hid_t, _ operation: @autoclosure () -> String) throws(HDF5Error) -> hid_t {
  if id < 0 { throw HDF5Error.fromStack(operation()) }
  return id
}

/// Throws the HDF5 error stack when a status-returning call failed.
func checkStatus(_ status: herr_t, _ operation: @autoclosure () -> String) throws(HDF5Error) {
  if status < 0 { throw HDF5Error.fromStack(operation()) }
}
