import CMPI

/// An MPI call that did not return `MPI_SUCCESS`, with MPI's own error string.
public struct MPIError: Error, CustomStringConvertible, Sendable {
  /// The MPI function that failed, e.g. `MPI_Allreduce`.
  public let operation: String
  /// MPI's error code.
  public let code: Int32
  /// MPI's error string for `code` (from `MPI_Error_string`).
  public let message: String

  public var description: String { "\(operation) failed: \(message) (MPI error \(code))" }

  /// Throws an `MPIError` unless `code` is `MPI_SUCCESS`.
  static func check(_ code: Int32, _ operation: String) throws(MPIError) {
    guard code != MPI_SUCCESS else { return }
    throw MPIError(operation: operation, code: code, message: errorString(code))
  }

  static func errorString(_ code: Int32) -> String {
    var buffer = [CChar](repeating: 0, count: Int(twin_mpi_max_error_string()) + 1)
    var length: Int32 = 0
    guard MPI_Error_string(code, &buffer, &length) == MPI_SUCCESS else {
      return "unknown MPI error"
    }
    let bytes = buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }
    return String(decoding: bytes, as: UTF8.self)
  }
}
