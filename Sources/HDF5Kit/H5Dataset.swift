import CHDF5

/// How a write in a parallel file moves its data.
public enum H5Transfer: Sendable {
  /// Every rank calls the write, together (MPI-IO collective I/O). Required
  /// for datasets with filters and for the first write of a chunk not yet
  /// allocated.
  case collective
  /// Each rank writes its own selection when it likes, without waiting for
  /// the others: no synchronisation per call. Only for datasets without
  /// filters whose storage is allocated (every dataset of a parallel file is
  /// allocated when created, see `H5Group.createDataset`). A rank without
  /// elements need not call it.
  case independent
}

/// Any dataset, whatever its element type: what `H5Dataset<T>` and
/// `H5StringDataset` share (shape, hyperslab selections, dimension scales).
public class H5AnyDataset: H5Location {
  override func closeHandle() {
    guard id >= 0 else { return }
    H5Dclose(id)
    id = -1
  }

  /// Current extent of each dimension.
  public func shape() throws(HDF5Error) -> [Int] {
    let operation = "query the shape of '\(path)'"
    let space = try checkID(H5Dget_space(try liveID(operation)), operation)
    defer { H5Sclose(space) }
    let rank = H5Sget_simple_extent_ndims(space)
    try checkStatus(rank < 0 ? -1 : 0, operation)
    var dims = [hsize_t](repeating: 0, count: Int(rank))
    H5Sget_simple_extent_dims(space, &dims, nil)
    return dims.map { Int($0) }
  }

  /// What a write of `valueCount` values to the selection (`count` elements
  /// per dimension from `offset`) does, for error messages; throws unless the
  /// values fill the selection exactly.
  func writeOperation(
    values valueCount: Int, offset: [Int], count: [Int]
  ) throws(HDF5Error) -> String {
    let operation = "write \(count) at \(offset) to '\(path)' in '\(file.filePath)'"
    let elements = count.reduce(1, *)
    guard valueCount == elements, offset.count == count.count else {
      throw HDF5Error(
        operation: operation,
        stack: ["\(valueCount) values given for a selection of \(elements)"])
    }
    return operation
  }

  /// Writes `count` elements per dimension starting at `offset` from `base`
  /// (elements of `memoryType`, row-major; nil only for an empty selection).
  /// The collective rules are those of `H5Dataset.write(_:offset:count:transfer:)`.
  func writeSelection(
    _ base: UnsafeRawPointer?, memoryType: hid_t, offset: [Int], count: [Int],
    transfer: H5Transfer, _ operation: String
  ) throws(HDF5Error) {
    let elements = count.reduce(1, *)
    let datasetID = try liveID(operation)
    if transfer == .independent && elements == 0 { return }
    let transferList =
      transfer == .independent ? file.independentTransferList : file.transferList
    let fileSpace = try checkID(H5Dget_space(datasetID), operation)
    defer { H5Sclose(fileSpace) }
    // A dataset without elements has no storage to write to (every rank sees
    // the same extent, so every rank returns here alike).
    if H5Sget_simple_extent_npoints(fileSpace) == 0 { return }
    var memoryDims = count.map { hsize_t($0) }
    let memorySpace = try checkID(
      H5Screate_simple(Int32(memoryDims.count), &memoryDims, nil), operation)
    defer { H5Sclose(memorySpace) }
    if elements == 0 {
      try checkStatus(H5Sselect_none(fileSpace), operation)
      try checkStatus(H5Sselect_none(memorySpace), operation)
    } else {
      var start = offset.map { hsize_t($0) }
      try checkStatus(
        H5Sselect_hyperslab(fileSpace, H5S_SELECT_SET, &start, nil, &memoryDims, nil), operation)
    }
    // HDF5 wants a non-null buffer even for an empty selection; nothing is read from it.
    var emptySelectionBuffer: UInt64 = 0
    let status: herr_t =
      if let base, elements > 0 {
        H5Dwrite(datasetID, memoryType, memorySpace, fileSpace, transferList, base)
      } else {
        withUnsafeMutableBytes(of: &emptySelectionBuffer) { raw in
          H5Dwrite(datasetID, memoryType, memorySpace, fileSpace, transferList, raw.baseAddress)
        }
      }
    try checkStatus(status, operation)
  }

  /// Reads `count` elements per dimension starting at `offset` into `buffer`
  /// (elements of `memoryType`, row-major; independent, not collective).
  func readSelection(
    into buffer: UnsafeMutableRawBufferPointer, memoryType: hid_t, offset: [Int], count: [Int],
    _ operation: String
  ) throws(HDF5Error) {
    if count.reduce(1, *) == 0 { return }
    let datasetID = try liveID(operation)
    let fileSpace = try checkID(H5Dget_space(datasetID), operation)
    defer { H5Sclose(fileSpace) }
    var start = offset.map { hsize_t($0) }
    var memoryDims = count.map { hsize_t($0) }
    try checkStatus(
      H5Sselect_hyperslab(fileSpace, H5S_SELECT_SET, &start, nil, &memoryDims, nil), operation)
    let memorySpace = try checkID(
      H5Screate_simple(Int32(memoryDims.count), &memoryDims, nil), operation)
    defer { H5Sclose(memorySpace) }
    try checkStatus(
      H5Dread(
        datasetID, memoryType, memorySpace, fileSpace, twin_h5p_default(), buffer.baseAddress),
      operation)
  }

  // MARK: Dimension scales (netCDF-4 / xarray dimensions)

  /// Makes this one-dimensional dataset a dimension scale named `name`
  /// (collective in a parallel file).
  public func makeDimensionScale(name: String) throws(HDF5Error) {
    let operation = "make '\(path)' a dimension scale"
    try checkStatus(H5DSset_scale(try liveID(operation), name), operation)
  }

  /// Attaches `scale` (a numeric or string dataset made a dimension scale) to
  /// dimension `dimension` of this dataset (collective in a parallel file).
  public func attachScale(_ scale: H5AnyDataset, dimension: Int) throws(HDF5Error) {
    let operation = "attach scale '\(scale.path)' to dimension \(dimension) of '\(path)'"
    try checkStatus(
      H5DSattach_scale(try liveID(operation), try scale.liveID(operation), UInt32(dimension)),
      operation)
  }
}

/// A typed, n-dimensional dataset.
public final class H5Dataset<T: HDF5Scalar>: H5AnyDataset {
  /// Grows (or shrinks) an extendible dataset (collective in a parallel file).
  public func setExtent(_ shape: [Int]) throws(HDF5Error) {
    let operation = "resize '\(path)' to \(shape)"
    var dims = shape.map { hsize_t($0) }
    try checkStatus(H5Dset_extent(try liveID(operation), &dims), operation)
  }

  /// Writes a hyperslab: `count` elements per dimension starting at `offset`,
  /// from `values` in row-major order.
  ///
  /// In a parallel file a `.collective` write (the default) is a collective
  /// call: every rank calls it, a rank without rows passes a `count` with a
  /// zero (its selection is empty). In a serial file `transfer` changes
  /// nothing.
  public func write(
    _ values: UnsafeBufferPointer<T>, offset: [Int], count: [Int],
    transfer: H5Transfer = .collective
  ) throws(HDF5Error) {
    let operation = try writeOperation(values: values.count, offset: offset, count: count)
    try writeSelection(
      values.baseAddress.map { UnsafeRawPointer($0) }, memoryType: T.hdf5Kind.memoryType,
      offset: offset, count: count, transfer: transfer, operation)
  }

  /// Writes a hyperslab from an array (see `write(_:offset:count:transfer:)`).
  public func write(
    _ values: [T], offset: [Int], count: [Int], transfer: H5Transfer = .collective
  ) throws(HDF5Error) {
    try values.withUnsafeBufferPointer { buffer throws(HDF5Error) in
      try write(buffer, offset: offset, count: count, transfer: transfer)
    }
  }

  /// Reads the whole dataset in row-major order.
  public func read() throws(HDF5Error) -> [T] {
    let shape = try shape()
    return try read(offset: shape.map { _ in 0 }, count: shape)
  }

  /// Reads a hyperslab in row-major order (independent, not collective).
  public func read(offset: [Int], count: [Int]) throws(HDF5Error) -> [T] {
    let operation = "read \(count) at \(offset) from '\(path)' in '\(file.filePath)'"
    var values = [T](repeating: T(), count: count.reduce(1, *))
    try values.withUnsafeMutableBufferPointer { buffer throws(HDF5Error) in
      try readSelection(
        into: UnsafeMutableRawBufferPointer(buffer), memoryType: T.hdf5Kind.memoryType,
        offset: offset, count: count, operation)
    }
    return values
  }
}

// MARK: Stored bytes (checksums)

extension H5AnyDataset {
  /// What the file stores per element: its size in bytes and its class.
  public struct StoredType: Sendable, Equatable {
    public var size: Int
    public var isInteger: Bool
    public var isFloat: Bool
  }

  /// The element type as stored in the file.
  public func storedType() throws(HDF5Error) -> StoredType {
    let operation = "query the type of '\(path)' in '\(file.filePath)'"
    let type = try checkID(H5Dget_type(try liveID(operation)), operation)
    defer { H5Tclose(type) }
    let typeClass = H5Tget_class(type)
    return StoredType(
      size: H5Tget_size(type), isInteger: typeClass == H5T_INTEGER,
      isFloat: typeClass == H5T_FLOAT)
  }

  /// Passes the dataset's values to `body` exactly as the file stores them
  /// (no type conversion: the stored byte order and width), in row-major
  /// order, in blocks of whole rows of dimension 0 of at most about
  /// `blockBytes` bytes. The bytes of all blocks, joined, are the same
  /// whatever the block size and whatever the number of ranks that wrote the
  /// file: what a checksum of the dataset is taken over.
  public func forEachStoredBlock(
    blockBytes: Int = 4 << 20, _ body: (UnsafeRawBufferPointer) -> Void
  ) throws(HDF5Error) {
    let shape = try shape()
    let operation = "read the stored bytes of '\(path)' in '\(file.filePath)'"
    let type = try checkID(H5Dget_type(try liveID(operation)), operation)
    defer { H5Tclose(type) }
    let elementSize = H5Tget_size(type)
    guard let rows = shape.first, elementSize > 0 else { return }
    let rowElements = shape.dropFirst().reduce(1) { $0.multipliedReportingOverflow(by: $1).0 }
    let (rowBytes, overflow) = rowElements.multipliedReportingOverflow(by: elementSize)
    guard !overflow, rowBytes >= 0, rowBytes <= Int32.max else {
      throw HDF5Error(operation: operation, stack: ["rows of \(shape) are too large"])
    }
    if rowBytes == 0 { return }
    let rowsPerBlock = Swift.max(1, blockBytes / rowBytes)
    var buffer = [UInt8](repeating: 0, count: Swift.min(rows, rowsPerBlock) * rowBytes)
    var start = 0
    while start < rows {
      let count = Swift.min(rowsPerBlock, rows - start)
      var offset = shape.map { _ in 0 }
      offset[0] = start
      var extent = shape
      extent[0] = count
      let status: HDF5Error? = buffer.withUnsafeMutableBytes { raw in
        do throws(HDF5Error) {
          try readSelection(
            into: raw, memoryType: type, offset: offset, count: extent, operation)
        } catch {
          return error
        }
        body(UnsafeRawBufferPointer(rebasing: raw[0..<(count * rowBytes)]))
        return nil
      }
      if let status { throw status }
      start += count
    }
  }
}
