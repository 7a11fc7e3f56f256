import CHDF5
import MPIKit

/// An HDF5 file, opened serially or, when the communicator has more than one
/// rank, with the MPI-IO driver and collective transfers.
///
/// In a parallel file every rank must make every call that changes the file's
/// structure (create groups, datasets, attributes) and every dataset write, in
/// the same order with the same arguments; a rank with no rows still calls
/// `write` with an empty selection.
public final class H5File: H5Object {
  /// Whether the file uses MPI-IO (more than one rank).
  public let isParallel: Bool
  /// Path of the file on disk.
  public let filePath: String
  /// Transfer property list for dataset writes: collective when parallel.
  let transferList: hid_t
  /// Transfer property list for independent writes (HDF5's default transfer).
  let independentTransferList = twin_h5p_default()
  let children = ChildRegistry()

  /// How `create` treats an existing file.
  public enum CreateMode: Sendable {
    /// Replace an existing file.
    case truncate
    /// Fail when the file exists.
    case exclusive
  }

  private init(id: hid_t, filePath: String, isParallel: Bool, transferList: hid_t) {
    self.isParallel = isParallel
    self.filePath = filePath
    self.transferList = transferList
    super.init(id: id, path: "/")
  }

  /// Creates a file. With a communicator of more than one rank this is a
  /// collective call and the file is opened with MPI-IO.
  public static func create(
    path: String, communicator: Communicator? = nil, mode: CreateMode = .truncate
  ) throws(HDF5Error) -> H5File {
    HDF5Library.prepare()
    let parallel = (communicator?.size ?? 1) > 1
    let accessList = try accessPropertyList(communicator: parallel ? communicator : nil, path)
    defer { H5Pclose(accessList) }
    let flags = mode == .truncate ? twin_h5f_acc_trunc() : twin_h5f_acc_excl()
    let id = try checkID(
      H5Fcreate(path, flags, twin_h5p_default(), accessList), "create file '\(path)'")
    return try H5File(
      id: id, filePath: path, isParallel: parallel, transferList: transferList(parallel, path))
  }

  /// Opens an existing file, read-only or for writing. With a communicator of
  /// more than one rank this is a collective call.
  public static func open(
    path: String, writable: Bool = false, communicator: Communicator? = nil
  ) throws(HDF5Error) -> H5File {
    HDF5Library.prepare()
    let parallel = (communicator?.size ?? 1) > 1
    let accessList = try accessPropertyList(communicator: parallel ? communicator : nil, path)
    defer { H5Pclose(accessList) }
    let flags = writable ? twin_h5f_acc_rdwr() : twin_h5f_acc_rdonly()
    let id = try checkID(H5Fopen(path, flags, accessList), "open file '\(path)'")
    return try H5File(
      id: id, filePath: path, isParallel: parallel, transferList: transferList(parallel, path))
  }

  private static func accessPropertyList(
    communicator: Communicator?, _ path: String
  ) throws(HDF5Error) -> hid_t {
    if let communicator {
      return try checkID(
        twin_h5_fapl_mpio(communicator.unsafeHandle), "set up MPI-IO access for '\(path)'")
    }
    return try checkID(H5Pcreate(twin_h5p_file_access()), "set up access for '\(path)'")
  }

  private static func transferList(_ parallel: Bool, _ path: String) throws(HDF5Error) -> hid_t {
    if parallel {
      return try checkID(twin_h5_dxpl_collective(), "set up collective transfers for '\(path)'")
    }
    return try checkID(H5Pcreate(twin_h5p_dataset_xfer()), "set up transfers for '\(path)'")
  }

  /// The root group `/`.
  public func root() throws(HDF5Error) -> H5Group {
    try openGroup("/")
  }

  /// Opens a group by absolute path.
  public func openGroup(_ path: String) throws(HDF5Error) -> H5Group {
    let fileID = try liveID("open group '\(path)'")
    let id = try checkID(
      H5Gopen2(fileID, path, twin_h5p_default()), "open group '\(path)' in '\(filePath)'")
    let group = H5Group(id: id, path: path, file: self)
    children.add(group)
    return group
  }

  /// Writes buffered data to disk (collective when parallel).
  public func flush() throws(HDF5Error) {
    let fileID = try liveID("flush '\(filePath)'")
    try checkStatus(H5Fflush(fileID, H5F_SCOPE_GLOBAL), "flush '\(filePath)'")
  }

  /// Closes every open object of the file, then the file (collective when
  /// parallel). Errors while closing (for example a full disk) are thrown.
  public func close() throws(HDF5Error) {
    guard id >= 0 else { return }
    children.closeAll()
    let fileID = id
    id = -1
    H5Pclose(transferList)
    try checkStatus(H5Fclose(fileID), "close '\(filePath)'")
  }

  /// Closing without `close()` (the object is released). A parallel file is
  /// not closed here: closing is collective, and a file released while
  /// unwinding an error on one rank would wait for ranks that never come. The
  /// job is aborted in that case; the file stays incomplete.
  override func closeHandle() {
    guard id >= 0 else { return }
    if isParallel {
      id = -1
      return
    }
    children.closeAll()
    H5Pclose(transferList)
    H5Fclose(id)
    id = -1
  }
}
