import CHDF5

/// A group or dataset: something inside a file that carries attributes.
public class H5Location: H5Object {
  /// The file this object belongs to (kept open while the object lives).
  public let file: H5File

  init(id: hid_t, path: String, file: H5File) {
    self.file = file
    super.init(id: id, path: path)
  }

  // MARK: Writing attributes (collective in a parallel file)

  /// Sets a UTF-8 string attribute, replacing an existing one of that name.
  public func setAttribute(_ name: String, _ value: String) throws(HDF5Error) {
    let operation = "write attribute '\(name)' on '\(path)'"
    let type = try checkID(H5Tcopy(twin_h5t_c_s1()), operation)
    defer { H5Tclose(type) }
    try checkStatus(H5Tset_size(type, Int(bitPattern: UInt(bitPattern: -1))), operation)
    try checkStatus(H5Tset_cset(type, H5T_CSET_UTF8), operation)
    let space = try checkID(H5Screate(H5S_SCALAR), operation)
    defer { H5Sclose(space) }
    let attribute = try createAttribute(name, type: type, space: space, operation)
    defer { H5Aclose(attribute) }
    let status = value.withCString { cString -> herr_t in
      var pointer: UnsafePointer<CChar>? = cString
      return H5Awrite(attribute, type, &pointer)
    }
    try checkStatus(status, operation)
  }

  /// Sets a scalar numeric attribute.
  public func setAttribute<T: HDF5Scalar>(_ name: String, _ value: T) throws(HDF5Error) {
    try writeNumericAttribute(name, [value], scalar: true)
  }

  /// Sets a one-dimensional numeric array attribute.
  public func setAttribute<T: HDF5Scalar>(_ name: String, _ values: [T]) throws(HDF5Error) {
    try writeNumericAttribute(name, values, scalar: false)
  }

  private func writeNumericAttribute<T: HDF5Scalar>(
    _ name: String, _ values: [T], scalar: Bool
  ) throws(HDF5Error) {
    let operation = "write attribute '\(name)' on '\(path)'"
    var dims = [hsize_t(values.count)]
    let space = try checkID(
      scalar ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &dims, nil), operation)
    defer { H5Sclose(space) }
    let attribute = try createAttribute(
      name, type: T.hdf5Kind.fileType, space: space, operation)
    defer { H5Aclose(attribute) }
    let status = values.withUnsafeBytes { raw in
      H5Awrite(attribute, T.hdf5Kind.memoryType, raw.baseAddress)
    }
    try checkStatus(status, operation)
  }

  private func createAttribute(
    _ name: String, type: hid_t, space: hid_t, _ operation: String
  ) throws(HDF5Error) -> hid_t {
    let objectID = try liveID(operation)
    let exists = H5Aexists(objectID, name)
    try checkStatus(exists < 0 ? -1 : 0, operation)
    if exists > 0 { try checkStatus(H5Adelete(objectID, name), operation) }
    return try checkID(
      H5Acreate2(objectID, name, type, space, twin_h5p_default(), twin_h5p_default()), operation)
  }

  // MARK: Reading attributes

  /// The largest attribute read (bytes): far beyond any twin-sim attribute (the
  /// scenario text is the longest); a damaged file may claim any size.
  static let largestAttributeBytes = 64 << 20

  /// Whether an attribute of that name exists.
  public func hasAttribute(_ name: String) throws(HDF5Error) -> Bool {
    let operation = "look up attribute '\(name)' on '\(path)'"
    let result = H5Aexists(try liveID(operation), name)
    try checkStatus(result < 0 ? -1 : 0, operation)
    return result > 0
  }

  /// Reads a string attribute (variable- or fixed-length).
  public func stringAttribute(_ name: String) throws(HDF5Error) -> String {
    let operation = "read attribute '\(name)' on '\(path)'"
    let attribute = try checkID(H5Aopen(try liveID(operation), name, twin_h5p_default()), operation)
    defer { H5Aclose(attribute) }
    let fileType = try checkID(H5Aget_type(attribute), operation)
    defer { H5Tclose(fileType) }
    guard H5Tget_class(fileType) == H5T_STRING else {
      throw HDF5Error(operation: operation, stack: ["attribute is not a string"])
    }
    // One string: the read below has room for one (a damaged dataspace may claim
    // billions, which HDF5 would convert into memory it was not given).
    let space = try checkID(H5Aget_space(attribute), operation)
    defer { H5Sclose(space) }
    let elements = H5Sget_simple_extent_npoints(space)
    guard elements == 1, H5Tget_size(fileType) <= Self.largestAttributeBytes else {
      throw HDF5Error(
        operation: operation,
        stack: ["attribute holds \(elements) strings of \(H5Tget_size(fileType)) bytes"])
    }
    if H5Tis_variable_str(fileType) > 0 {
      let memoryType = try checkID(H5Tcopy(twin_h5t_c_s1()), operation)
      defer { H5Tclose(memoryType) }
      try checkStatus(H5Tset_size(memoryType, Int(bitPattern: UInt(bitPattern: -1))), operation)
      try checkStatus(H5Tset_cset(memoryType, H5T_CSET_UTF8), operation)
      var pointer: UnsafeMutablePointer<CChar>? = nil
      try checkStatus(H5Aread(attribute, memoryType, &pointer), operation)
      defer { H5free_memory(pointer) }
      return pointer.map { String(cString: $0) } ?? ""
    }
    let size = H5Tget_size(fileType)
    var buffer = [UInt8](repeating: 0, count: size + 1)
    try checkStatus(H5Aread(attribute, fileType, &buffer), operation)
    let end = buffer.firstIndex(of: 0) ?? size
    return String(decoding: buffer[..<end], as: UTF8.self)
  }

  /// Reads a numeric attribute (scalar or array) converted to `T`.
  public func numericAttribute<T: HDF5Scalar>(
    _ name: String, as type: T.Type = T.self
  ) throws(HDF5Error) -> [T] {
    let operation = "read attribute '\(name)' on '\(path)'"
    let attribute = try checkID(H5Aopen(try liveID(operation), name, twin_h5p_default()), operation)
    defer { H5Aclose(attribute) }
    let space = try checkID(H5Aget_space(attribute), operation)
    defer { H5Sclose(space) }
    let points = H5Sget_simple_extent_npoints(space)
    guard points >= 0, points <= Self.largestAttributeBytes / 8 else {
      throw HDF5Error(operation: operation, stack: ["attribute holds \(points) values"])
    }
    let count = Int(points)
    var values = [T](repeating: T(), count: count)
    let status = values.withUnsafeMutableBytes { raw in
      H5Aread(attribute, T.hdf5Kind.memoryType, raw.baseAddress)
    }
    try checkStatus(status, operation)
    return values
  }

  /// Reads a scalar numeric attribute.
  public func scalarAttribute<T: HDF5Scalar>(
    _ name: String, as type: T.Type = T.self
  ) throws(HDF5Error) -> T {
    let values: [T] = try numericAttribute(name)
    guard values.count == 1 else {
      throw HDF5Error(
        operation: "read attribute '\(name)' on '\(path)'",
        stack: ["expected one value, found \(values.count)"])
    }
    return values[0]
  }
}
