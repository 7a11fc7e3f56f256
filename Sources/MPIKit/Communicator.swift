import CMPI
import Foundation

/// An MPI communicator: the group of ranks of one job.
///
/// `Communicator.world()` is the job's communicator. A process that an MPI
/// launcher started (mpirun, srun with PMI/PMIx) initialises MPI on first use;
/// a process started alone runs as a job of one rank *without* initialising MPI
/// (`MPIEnvironment.launch`), which saves OpenMPI's singleton start-up (about
/// 0.8 s and 9 MB per run here, measured with /usr/bin/time). Every collective works the same
/// either way. All collectives must be called by every rank in the same order.
/// Calls are made from one thread at a time (MPI_THREAD_SERIALIZED); the type is
/// `Sendable` because its handle never changes after creation.
public final class Communicator: @unchecked Sendable {
  /// Nil for the one-rank job without MPI.
  let handle: MPI_Comm?
  /// This process's rank, 0 ..< size.
  public let rank: Int
  /// Number of ranks.
  public let size: Int

  /// The one-rank job of a process that did not initialise MPI.
  private init() {
    handle = nil
    rank = 0
    size = 1
  }

  private init(handle: MPI_Comm) throws(MPIError) {
    self.handle = handle
    var rank: Int32 = 0
    var size: Int32 = 0
    try MPIError.check(MPI_Comm_rank(handle, &rank), "MPI_Comm_rank")
    try MPIError.check(MPI_Comm_size(handle, &size), "MPI_Comm_size")
    self.rank = Int(rank)
    self.size = Int(size)
  }

  private static let mpiWorldResult: Result<Communicator, MPIError> = {
    Result { () throws(MPIError) -> Communicator in
      try MPIEnvironment.initialize()
      return try Communicator(handle: twin_mpi_comm_world())
    }
  }()

  private static let serialWorld = Communicator()

  /// The communicator of all ranks of the job: `MPI_COMM_WORLD` when an MPI
  /// launcher started this process (or TWIN_SIM_MPI=init), else the one-rank
  /// job without MPI (see `MPIEnvironment.launch`).
  public static func world() throws(MPIError) -> Communicator {
    switch MPIEnvironment.launch {
    case .mpi: return try mpiWorldResult.get()
    case .serial: return serialWorld
    }
  }

  /// `MPI_COMM_WORLD`, initialising MPI even in a process started alone (an
  /// MPI singleton): for the installation check, which must exercise MPI.
  public static func mpiWorld() throws(MPIError) -> Communicator {
    try mpiWorldResult.get()
  }

  /// Whether this communicator runs on MPI (false: a one-rank job without MPI).
  public var usesMPI: Bool { handle != nil }

  /// Whether this is rank 0, the rank that prints and writes side files.
  public var isRoot: Bool { rank == 0 }

  /// The C handle, for the Swift faces of other MPI-aware C libraries
  /// (HDF5Kit). Code above the Swift faces never uses it. Only for a
  /// communicator on MPI (`usesMPI`); a one-rank job has no handle.
  public var unsafeHandle: MPI_Comm {
    guard let handle else {
      preconditionFailure("unsafeHandle of a one-rank job without MPI")
    }
    return handle
  }

  // MARK: Synchronisation

  /// Blocks until every rank has reached the barrier.
  public func barrier() throws(MPIError) {
    guard let handle else { return }
    try MPIError.check(MPI_Barrier(handle), "MPI_Barrier")
  }

  // MARK: Broadcast

  /// Broadcasts `values` from `root`; on other ranks `values` is replaced.
  /// Every rank must pass an array of the same count.
  public func broadcast<T: MPIScalar>(_ values: inout [T], root: Int = 0) throws(MPIError) {
    guard let handle else { return try Self.checkSerialRoot(root, "MPI_Bcast") }
    let count = Int32(values.count)
    let code = values.withUnsafeMutableBytes { raw in
      MPI_Bcast(raw.baseAddress, count, T.mpiScalarKind.datatype, Int32(root), handle)
    }
    try MPIError.check(code, "MPI_Bcast")
  }

  /// Broadcasts one value from `root` and returns it on every rank.
  public func broadcast<T: MPIScalar>(_ value: T, root: Int = 0) throws(MPIError) -> T {
    var values = [value]
    try broadcast(&values, root: root)
    return values[0]
  }

  /// Broadcasts a string from `root` (any length) and returns it on every rank.
  public func broadcast(_ text: String, root: Int = 0) throws(MPIError) -> String {
    var bytes = Array(text.utf8)
    let count = try broadcast(Int64(bytes.count), root: root)
    if rank != root { bytes = [UInt8](repeating: 0, count: Int(count)) }
    try broadcast(&bytes, root: root)
    return String(decoding: bytes, as: UTF8.self)
  }

  // MARK: Reductions

  /// Element-wise reduction over all ranks; every rank receives the result.
  public func allreduce<T: MPIScalar>(
    _ values: [T], _ operation: ReductionOperation
  ) throws(MPIError) -> [T] {
    guard let handle else { return values }
    var result = values
    let code = values.withUnsafeBytes { input in
      result.withUnsafeMutableBytes { output in
        MPI_Allreduce(
          input.baseAddress, output.baseAddress, Int32(values.count),
          T.mpiScalarKind.datatype, operation.op, handle)
      }
    }
    try MPIError.check(code, "MPI_Allreduce")
    return result
  }

  /// Reduction of one value over all ranks; every rank receives the result.
  public func allreduce<T: MPIScalar>(
    _ value: T, _ operation: ReductionOperation
  ) throws(MPIError) -> T {
    try allreduce([value], operation)[0]
  }

  /// Starts an element-wise reduction over all ranks without waiting for it
  /// (`MPI_Iallreduce`): the ranks meet only when each calls `wait()` on the
  /// result, so a rank that is ahead does not stand still until then. Like every
  /// collective, all ranks start it in the same order relative to the others.
  public func startAllreduce(
    _ values: [Int64], _ operation: ReductionOperation
  ) throws(MPIError) -> PendingAllreduce {
    let pending = PendingAllreduce(values)
    guard let handle else { return pending }
    let code = MPI_Iallreduce(
      pending.input.baseAddress, pending.output.baseAddress, Int32(values.count),
      Int64.mpiScalarKind.datatype, operation.op, handle, &pending.request)
    try MPIError.check(code, "MPI_Iallreduce")
    pending.isActive = true
    return pending
  }

  /// Element-wise reduction to `root`; returns the result on `root` and nil
  /// elsewhere.
  public func reduce<T: MPIScalar>(
    _ values: [T], _ operation: ReductionOperation, root: Int = 0
  ) throws(MPIError) -> [T]? {
    guard let handle else {
      try Self.checkSerialRoot(root, "MPI_Reduce")
      return values
    }
    var result = values
    let code = values.withUnsafeBytes { input in
      result.withUnsafeMutableBytes { output in
        MPI_Reduce(
          input.baseAddress, output.baseAddress, Int32(values.count),
          T.mpiScalarKind.datatype, operation.op, Int32(root), handle)
      }
    }
    try MPIError.check(code, "MPI_Reduce")
    return rank == root ? result : nil
  }

  /// Reduction of one value to `root`; nil on other ranks.
  public func reduce<T: MPIScalar>(
    _ value: T, _ operation: ReductionOperation, root: Int = 0
  ) throws(MPIError) -> T? {
    try reduce([value], operation, root: root)?[0]
  }

  // MARK: Gathers

  /// Gathers one value from every rank, in rank order, on every rank.
  public func allgather<T: MPIScalar>(_ value: T) throws(MPIError) -> [T] {
    guard let handle else { return [value] }
    var input = value
    var result = [T](repeating: value, count: size)
    let datatype = T.mpiScalarKind.datatype
    let code = withUnsafeBytes(of: &input) { inputBytes in
      result.withUnsafeMutableBytes { output in
        MPI_Allgather(
          inputBytes.baseAddress, 1, datatype, output.baseAddress, 1, datatype, handle)
      }
    }
    try MPIError.check(code, "MPI_Allgather")
    return result
  }

  /// Gathers arrays of varying length from every rank to `root`, concatenated
  /// in rank order; nil on other ranks. Ranks may contribute zero elements.
  /// Summing the result on `root` in order gives a total that does not depend
  /// on how the data were split over ranks.
  public func gatherv<T: MPIScalar>(_ values: [T], root: Int = 0) throws(MPIError) -> [T]? {
    guard let handle else {
      try Self.checkSerialRoot(root, "MPI_Gatherv")
      return values
    }
    let counts = try allgather(Int32(values.count))
    var displacements = [Int32](repeating: 0, count: size)
    var total = 0
    for index in 0..<size {
      displacements[index] = Int32(total)
      total += Int(counts[index])
    }
    guard total <= Int(Int32.max) else {
      throw MPIError(
        operation: "MPI_Gatherv", code: -1,
        message: "\(total) elements exceed MPI's 32-bit count limit")
    }
    let datatype = T.mpiScalarKind.datatype
    var result = [T]()
    let code: Int32
    if rank == root {
      result = [T](repeating: T(), count: total)
      code = values.withUnsafeBytes { input in
        result.withUnsafeMutableBytes { output in
          MPI_Gatherv(
            input.baseAddress, Int32(values.count), datatype, output.baseAddress, counts,
            displacements, datatype, Int32(root), handle)
        }
      }
    } else {
      code = values.withUnsafeBytes { input in
        MPI_Gatherv(
          input.baseAddress, Int32(values.count), datatype, nil, nil, nil, datatype, Int32(root),
          handle)
      }
    }
    try MPIError.check(code, "MPI_Gatherv")
    return rank == root ? result : nil
  }

  // MARK: Failure

  /// Ends the whole job: prints `message` on standard error with this rank's
  /// number and calls `MPI_Abort`, which stops every rank (no hang).
  public func abort(message: String, exitCode: Int32 = 1) -> Never {
    let line = "twin-sim: rank \(rank) of \(size): \(message)\n"
    FileHandle.standardError.write(Data(line.utf8))
    if let handle { MPI_Abort(handle, exitCode) }
    exit(exitCode)
  }

  /// The check MPI makes of a root rank, for the one-rank job without MPI:
  /// the same operation, code and message as Open MPI's (MPI_ERR_ROOT; MPI's
  /// own error string is not available before MPI_Init).
  private static func checkSerialRoot(_ root: Int, _ operation: String) throws(MPIError) {
    guard root != 0 else { return }
    throw MPIError(
      operation: operation, code: Int32(MPI_ERR_ROOT), message: "MPI_ERR_ROOT: invalid root")
  }
}

/// A reduction started by `Communicator.startAllreduce`. Its buffers live here
/// until MPI is done with them; `wait()` must be called on every rank (an
/// unfinished reduction is waited for when the value is released).
public final class PendingAllreduce {
  fileprivate let input: UnsafeMutableBufferPointer<Int64>
  fileprivate let output: UnsafeMutableBufferPointer<Int64>
  fileprivate var request: MPI_Request? = twin_mpi_request_null()
  fileprivate var isActive = false

  fileprivate init(_ values: [Int64]) {
    input = .allocate(capacity: values.count)
    _ = input.initialize(from: values)
    output = .allocate(capacity: values.count)
    _ = output.initialize(from: values)
  }

  /// Waits for the reduction (`MPI_Wait`) and returns its result.
  public func wait() throws(MPIError) -> [Int64] {
    if isActive {
      isActive = false
      try MPIError.check(MPI_Wait(&request, twin_mpi_status_ignore()), "MPI_Wait")
    }
    return Array(output)
  }

  deinit {
    if isActive { MPI_Wait(&request, twin_mpi_status_ignore()) }
    input.deallocate()
    output.deallocate()
  }
}
