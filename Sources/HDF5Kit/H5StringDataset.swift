import CHDF5

/// A dataset of fixed-length UTF-8 strings (HDF5 `H5T_C_S1` of `length`
/// bytes, null-padded), e.g. a dimension scale of names.
///
/// Fixed-length because parallel HDF5 cannot write variable-length data with
/// MPI-IO. Readers see strings: h5py as `bytes` (`.asstr()` decodes),
/// xarray (h5netcdf) as `str` where the dataset carries the netCDF attribute
/// `_Encoding = "utf-8"`, R's hdf5r as character vectors.
public final class H5StringDataset: H5AnyDataset {
  /// Bytes per element: a longer string does not fit; a shorter one is
  /// padded with zero bytes.
  public let length: Int

  init(id: hid_t, path: String, file: H5File, length: Int) {
    self.length = length
    super.init(id: id, path: path, file: file)
  }

  /// The HDF5 type of `length`-byte UTF-8 strings, null-padded (the caller closes it).
  static func stringType(length: Int, _ operation: String) throws(HDF5Error) -> hid_t {
    let type = try checkID(H5Tcopy(twin_h5t_c_s1()), operation)
    var status = H5Tset_size(type, Swift.max(1, length))
    if status >= 0 { status = H5Tset_cset(type, H5T_CSET_UTF8) }
    if status >= 0 { status = H5Tset_strpad(type, H5T_STR_NULLPAD) }
    if status < 0 { H5Tclose(type) }
    try checkStatus(status, operation)
    return type
  }

  /// The number of bytes each string of `values` needs, at least 1: the
  /// `length` that holds them all.
  public static func length(toHold values: [String]) -> Int {
    Swift.max(1, values.map(\.utf8.count).max() ?? 1)
  }

  /// Writes a hyperslab of strings (`count` elements per dimension from
  /// `offset`, row-major), with the collective rules of
  /// `H5Dataset.write(_:offset:count:transfer:)`. Throws for a string longer
  /// than `length` bytes in UTF-8 (nothing is truncated).
  public func write(
    _ values: [String], offset: [Int], count: [Int], transfer: H5Transfer = .collective
  ) throws(HDF5Error) {
    let operation = try writeOperation(values: values.count, offset: offset, count: count)
    if let long = values.first(where: { $0.utf8.count > length }) {
      throw HDF5Error(
        operation: operation,
        stack: ["'\(long)' needs \(long.utf8.count) bytes, the dataset holds \(length)"])
    }
    var bytes = [UInt8](repeating: 0, count: values.count * length)
    for (index, value) in values.enumerated() {
      bytes.replaceSubrange(
        (index * length)..<(index * length + value.utf8.count), with: Array(value.utf8))
    }
    let memoryType = try Self.stringType(length: length, operation)
    defer { H5Tclose(memoryType) }
    try bytes.withUnsafeBufferPointer { buffer throws(HDF5Error) in
      try writeSelection(
        buffer.baseAddress.map { UnsafeRawPointer($0) }, memoryType: memoryType, offset: offset,
        count: count, transfer: transfer, operation)
    }
  }

  /// Reads the whole dataset in row-major order.
  public func read() throws(HDF5Error) -> [String] {
    let shape = try shape()
    return try read(offset: shape.map { _ in 0 }, count: shape)
  }

  /// Reads a hyperslab in row-major order (independent, not collective);
  /// each string ends at its first zero byte.
  public func read(offset: [Int], count: [Int]) throws(HDF5Error) -> [String] {
    let operation = "read \(count) at \(offset) from '\(path)' in '\(file.filePath)'"
    let elements = count.reduce(1, *)
    var bytes = [UInt8](repeating: 0, count: elements * length)
    let memoryType = try Self.stringType(length: length, operation)
    defer { H5Tclose(memoryType) }
    try bytes.withUnsafeMutableBufferPointer { buffer throws(HDF5Error) in
      try readSelection(
        into: UnsafeMutableRawBufferPointer(buffer), memoryType: memoryType, offset: offset,
        count: count, operation)
    }
    return (0..<elements).map { index in
      let element = bytes[(index * length)..<((index + 1) * length)]
      return String(decoding: element.prefix { $0 != 0 }, as: UTF8.self)
    }
  }
}
