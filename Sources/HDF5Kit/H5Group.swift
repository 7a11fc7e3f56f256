import CHDF5

/// A group: a folder of groups and datasets.
public final class H5Group: H5Location {
  override func closeHandle() {
    guard id >= 0 else { return }
    H5Gclose(id)
    id = -1
  }

  /// Creates a child group (collective in a parallel file).
  public func createGroup(_ name: String) throws(HDF5Error) -> H5Group {
    let target = childPath(path, name)
    let operation = "create group '\(target)' in '\(file.filePath)'"
    let id = try checkID(
      H5Gcreate2(
        try liveID(operation), name, twin_h5p_default(), twin_h5p_default(), twin_h5p_default()),
      operation)
    let group = H5Group(id: id, path: target, file: file)
    file.children.add(group)
    return group
  }

  /// Opens a child group.
  public func openGroup(_ name: String) throws(HDF5Error) -> H5Group {
    let target = childPath(path, name)
    let operation = "open group '\(target)' in '\(file.filePath)'"
    let id = try checkID(H5Gopen2(try liveID(operation), name, twin_h5p_default()), operation)
    let group = H5Group(id: id, path: target, file: file)
    file.children.add(group)
    return group
  }

  /// Whether a direct child (group or dataset) of that name exists.
  public func contains(_ name: String) throws(HDF5Error) -> Bool {
    let operation = "look up '\(childPath(path, name))' in '\(file.filePath)'"
    let result = H5Lexists(try liveID(operation), name, twin_h5p_default())
    try checkStatus(result < 0 ? -1 : 0, operation)
    return result > 0
  }

  /// Removes the link to a direct child (collective in a parallel file). The
  /// space it used is not reclaimed in the file.
  public func removeMember(_ name: String) throws(HDF5Error) {
    let operation = "remove '\(childPath(path, name))' from '\(file.filePath)'"
    try checkStatus(H5Ldelete(try liveID(operation), name, twin_h5p_default()), operation)
  }

  /// Whether the direct child `name` is a group (false for a dataset).
  public func isGroup(_ name: String) throws(HDF5Error) -> Bool {
    let operation = "open '\(childPath(path, name))' in '\(file.filePath)'"
    let object = try checkID(H5Oopen(try liveID(operation), name, twin_h5p_default()), operation)
    defer { H5Oclose(object) }
    return H5Iget_type(object) == H5I_GROUP
  }

  /// Names of the direct children, in HDF5's name order.
  public func memberNames() throws(HDF5Error) -> [String] {
    let operation = "list '\(path)' in '\(file.filePath)'"
    let groupID = try liveID(operation)
    var info = H5G_info_t()
    try checkStatus(H5Gget_info(groupID, &info), operation)
    var names: [String] = []
    for index in 0..<info.nlinks {
      let length = H5Lget_name_by_idx(
        groupID, ".", H5_INDEX_NAME, H5_ITER_INC, index, nil, 0, twin_h5p_default())
      try checkStatus(length < 0 ? -1 : 0, operation)
      var buffer = [CChar](repeating: 0, count: Int(length) + 1)
      H5Lget_name_by_idx(
        groupID, ".", H5_INDEX_NAME, H5_ITER_INC, index, &buffer, buffer.count,
        twin_h5p_default())
      names.append(
        String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }
    return names
  }

  /// Creates a dataset of `T` (collective in a parallel file).
  ///
  /// - Parameters:
  ///   - shape: current extent of each dimension.
  ///   - maxShape: maximum extents, `nil` entries unlimited (requires chunking);
  ///     defaults to `shape`.
  ///   - chunk: chunk extents; required for deflate and unlimited dimensions.
  ///   - deflateLevel: gzip level 1...9, or nil for no compression.
  ///   - chunkCache: whether chunks pass through HDF5's chunk cache (up to
  ///     1 MiB per open dataset). Without a filter, writes that cover whole
  ///     chunks need no cache: `false` writes them straight from the caller's
  ///     buffer (no copy, no memory held per dataset).
  public func createDataset<T: HDF5Scalar>(
    _ name: String, of type: T.Type = T.self, shape: [Int], maxShape: [Int?]? = nil,
    chunk: [Int]? = nil, deflateLevel: Int? = nil, chunkCache: Bool = true
  ) throws(HDF5Error) -> H5Dataset<T> {
    let target = childPath(path, name)
    let id = try createDatasetID(
      name, fileType: T.hdf5Kind.fileType, shape: shape, maxShape: maxShape, chunk: chunk,
      deflateLevel: deflateLevel, chunkCache: chunkCache,
      "create dataset '\(target)' in '\(file.filePath)'")
    let dataset = H5Dataset<T>(id: id, path: target, file: file)
    file.children.add(dataset)
    return dataset
  }

  /// Creates a dataset of fixed-length UTF-8 strings of `length` bytes
  /// (collective in a parallel file; contiguous, no filter).
  /// `H5StringDataset.length(toHold:)` gives the length that holds a list.
  public func createStringDataset(
    _ name: String, length: Int, shape: [Int]
  ) throws(HDF5Error) -> H5StringDataset {
    let target = childPath(path, name)
    let operation = "create dataset '\(target)' in '\(file.filePath)'"
    let type = try H5StringDataset.stringType(length: length, operation)
    defer { H5Tclose(type) }
    let id = try createDatasetID(
      name, fileType: type, shape: shape, maxShape: nil, chunk: nil, deflateLevel: nil,
      chunkCache: true, operation)
    let dataset = H5StringDataset(id: id, path: target, file: file, length: Swift.max(1, length))
    file.children.add(dataset)
    return dataset
  }

  /// Opens a dataset of fixed-length strings (see `createStringDataset`);
  /// throws for any other element type.
  public func openStringDataset(_ name: String) throws(HDF5Error) -> H5StringDataset {
    let target = childPath(path, name)
    let operation = "open dataset '\(target)' in '\(file.filePath)'"
    let id = try checkID(H5Dopen2(try liveID(operation), name, twin_h5p_default()), operation)
    let type = H5Dget_type(id)
    defer { if type >= 0 { H5Tclose(type) } }
    let isFixedString =
      type >= 0 && H5Tget_class(type) == H5T_STRING && H5Tis_variable_str(type) == 0
    guard isFixedString else {
      H5Dclose(id)
      throw HDF5Error(operation: operation, stack: ["not a dataset of fixed-length strings"])
    }
    let dataset = H5StringDataset(id: id, path: target, file: file, length: H5Tget_size(type))
    file.children.add(dataset)
    return dataset
  }

  /// Creates a dataset of the given file type; see `createDataset`.
  private func createDatasetID(
    _ name: String, fileType: hid_t, shape: [Int], maxShape: [Int?]?, chunk: [Int]?,
    deflateLevel: Int?, chunkCache: Bool, _ operation: String
  ) throws(HDF5Error) -> hid_t {
    guard deflateLevel == nil || chunk != nil, maxShape == nil || chunk != nil else {
      throw HDF5Error(operation: operation, stack: ["compression and unlimited need chunking"])
    }
    var dims = shape.map { hsize_t($0) }
    var maxDims = (maxShape ?? shape.map { $0 }).map {
      $0.map { hsize_t($0) } ?? twin_h5s_unlimited()
    }
    let space = try checkID(H5Screate_simple(Int32(dims.count), &dims, &maxDims), operation)
    defer { H5Sclose(space) }
    let creation = try checkID(H5Pcreate(twin_h5p_dataset_create()), operation)
    defer { H5Pclose(creation) }
    if var chunkDims = chunk.map({ $0.map { hsize_t(Swift.max($0, 1)) } }) {
      try checkStatus(H5Pset_chunk(creation, Int32(chunkDims.count), &chunkDims), operation)
    }
    if let deflateLevel {
      try checkStatus(H5Pset_deflate(creation, UInt32(deflateLevel)), operation)
    }
    // Filling chunks with zeros before they are written costs a write of the
    // whole dataset; every element is written by the caller.
    try checkStatus(H5Pset_fill_time(creation, H5D_FILL_TIME_NEVER), operation)
    // In a parallel file, storage is allocated when the dataset is created (a
    // collective call), so that later writes without filters may be
    // independent: HDF5 cannot allocate chunks in an independent write.
    if file.isParallel {
      try checkStatus(H5Pset_alloc_time(creation, H5D_ALLOC_TIME_EARLY), operation)
    }
    let access = try Self.accessList(chunkCache: chunkCache, operation)
    defer { if access != twin_h5p_default() { H5Pclose(access) } }
    return try checkID(
      H5Dcreate2(
        try liveID(operation), name, fileType, space, twin_h5p_default(), creation, access),
      operation)
  }

  /// Opens a dataset; values are converted to `T` on reading. `chunkCache`
  /// as in `createDataset`.
  public func openDataset<T: HDF5Scalar>(
    _ name: String, of type: T.Type = T.self, chunkCache: Bool = true
  ) throws(HDF5Error) -> H5Dataset<T> {
    let target = childPath(path, name)
    let operation = "open dataset '\(target)' in '\(file.filePath)'"
    let access = try Self.accessList(chunkCache: chunkCache, operation)
    defer { if access != twin_h5p_default() { H5Pclose(access) } }
    let id = try checkID(H5Dopen2(try liveID(operation), name, access), operation)
    let dataset = H5Dataset<T>(id: id, path: target, file: file)
    file.children.add(dataset)
    return dataset
  }

  /// A dataset access list: HDF5's default, or one with a chunk cache of no
  /// bytes (every chunk goes straight to the file).
  private static func accessList(chunkCache: Bool, _ operation: String) throws(HDF5Error) -> hid_t {
    if chunkCache { return twin_h5p_default() }
    let access = try checkID(H5Pcreate(twin_h5p_dataset_access()), operation)
    // 521 slots is HDF5's default; with 0 bytes no chunk is ever cached.
    let status = H5Pset_chunk_cache(access, 521, 0, 1.0)
    if status < 0 { H5Pclose(access) }
    try checkStatus(status, operation)
    return access
  }
}
