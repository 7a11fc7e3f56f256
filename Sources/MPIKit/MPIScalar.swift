import CMPI

/// Element types MPIKit can send, reduce and gather.
public protocol MPIScalar: Sendable {
  /// The zero value, used to size receive buffers.
  init()
  /// Which MPI datatype carries this Swift type.
  static var mpiScalarKind: MPIScalarKind { get }
}

/// The MPI datatypes behind `MPIScalar`.
public enum MPIScalarKind: Sendable {
  case double, int64, int32, uint8

  var datatype: MPI_Datatype {
    switch self {
    case .double: twin_mpi_double()
    case .int64: twin_mpi_int64()
    case .int32: twin_mpi_int32()
    case .uint8: twin_mpi_uint8()
    }
  }
}

extension Double: MPIScalar { public static var mpiScalarKind: MPIScalarKind { .double } }
extension Int64: MPIScalar { public static var mpiScalarKind: MPIScalarKind { .int64 } }
extension Int32: MPIScalar { public static var mpiScalarKind: MPIScalarKind { .int32 } }
extension UInt8: MPIScalar { public static var mpiScalarKind: MPIScalarKind { .uint8 } }

/// Reduction operations. Sums of `Double` depend on the order MPI chooses;
/// where a result must not depend on the rank count, reduce integers or gather
/// and sum in a fixed order (see `Communicator.gatherv`).
public enum ReductionOperation: Sendable {
  case sum, max, min

  var op: MPI_Op {
    switch self {
    case .sum: twin_mpi_sum()
    case .max: twin_mpi_max()
    case .min: twin_mpi_min()
    }
  }
}
