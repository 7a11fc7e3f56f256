import CHDF5

/// Element types of twin-sim datasets and attributes.
public protocol HDF5Scalar: Sendable {
  /// The zero value, used to size read buffers.
  init()
  /// Which HDF5 type stores this Swift type.
  static var hdf5Kind: HDF5ScalarKind { get }
}

/// Numeric element kinds, stored little-endian with IEEE floats.
public enum HDF5ScalarKind: String, Sendable {
  case float32, float64, int32, int64, uint8

  /// The in-memory (native) type.
  var memoryType: hid_t {
    switch self {
    case .float32: twin_h5t_native_float()
    case .float64: twin_h5t_native_double()
    case .int32: twin_h5t_native_int32()
    case .int64: twin_h5t_native_int64()
    case .uint8: twin_h5t_native_uint8()
    }
  }

  /// The type in the file: fixed little-endian so files are the same on every
  /// machine.
  var fileType: hid_t {
    switch self {
    case .float32: twin_h5t_ieee_f32le()
    case .float64: twin_h5t_ieee_f64le()
    case .int32: twin_h5t_std_i32le()
    case .int64: twin_h5t_std_i64le()
    case .uint8: twin_h5t_std_u8le()
    }
  }
}

extension Float: HDF5Scalar { public static var hdf5Kind: HDF5ScalarKind { .float32 } }
extension Double: HDF5Scalar { public static var hdf5Kind: HDF5ScalarKind { .float64 } }
extension Int32: HDF5Scalar { public static var hdf5Kind: HDF5ScalarKind { .int32 } }
extension Int64: HDF5Scalar { public static var hdf5Kind: HDF5ScalarKind { .int64 } }
extension UInt8: HDF5Scalar { public static var hdf5Kind: HDF5ScalarKind { .uint8 } }
