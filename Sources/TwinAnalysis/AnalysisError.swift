import HDF5Kit

/// Why a result file could not be analysed. Each case's description is one
/// sentence for the user: it names the file and says what to do.
public enum AnalysisError: Error, CustomStringConvertible, Sendable {
  /// No file at the path.
  case fileNotFound(path: String)
  /// The file is not HDF5, or HDF5 without twin-sim's root attributes.
  case notAResultFile(path: String, reason: String)
  /// The run did not finish (`status` is not `complete`).
  case incomplete(path: String, status: String)
  /// `--arm` names no arm of the file.
  case unknownArm(path: String, arm: String, available: [String])
  /// The file claims to be a twin-sim result but a dataset is missing or inconsistent.
  case invalidLayout(path: String, detail: String)
  /// An output file or folder could not be written.
  case cannotWrite(path: String, reason: String)
  /// HDF5 failed while reading (for example a damaged file).
  case hdf5(HDF5Error)
  /// A dataset's checksum does not match, or reading the file crashed HDF5.
  case damaged(path: String, detail: String)

  public var description: String {
    switch self {
    case .fileNotFound(let path):
      return "\(path): no such file"
    case .notAResultFile(let path, let reason):
      return "\(path): not a twin-sim result file (\(reason)); see docs/hdf5-layout.md"
    case .incomplete(let path, let status):
      return "\(path): the run did not finish (status '\(status)', not 'complete'), so its "
        + "numbers are partial or unwritten; pass --allow-incomplete to read it anyway"
    case .unknownArm(let path, let arm, let available):
      return "\(path): no arm named '\(arm)'; the arms are "
        + available.map { "'\($0)'" }.joined(separator: ", ")
    case .invalidLayout(let path, let detail):
      return "\(path): unexpected layout: \(detail)"
    case .cannotWrite(let path, let reason):
      return "cannot write \(path): \(reason)"
    case .hdf5(let error):
      return error.description
    case .damaged(let path, let detail):
      return "\(path): \(detail)"
    }
  }

  /// Whether the user gave something unusable (exit status 2) rather than the
  /// analysis failing on the way (exit status 1). A file that is inconsistent,
  /// damaged or that HDF5 cannot read is unusable input; only writing the
  /// outputs fails on the way.
  public var isInvalidInput: Bool {
    switch self {
    case .fileNotFound, .notAResultFile, .incomplete, .unknownArm, .invalidLayout, .hdf5,
      .damaged:
      return true
    case .cannotWrite: return false
    }
  }
}

/// Runs HDF5 reads, turning their errors into `AnalysisError.hdf5`.
func readingHDF5<T>(_ body: () throws(HDF5Error) -> T) throws(AnalysisError) -> T {
  do {
    return try body()
  } catch {
    throw .hdf5(error)
  }
}
