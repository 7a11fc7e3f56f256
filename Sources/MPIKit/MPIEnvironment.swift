import CMPI
import Foundation

/// MPI's process-wide life cycle: `MPI_Init` once, `MPI_Finalize` once at exit.
///
/// `MPI_Init` may run only once per process, so initialisation is a lazily
/// evaluated static, safe to reach from any thread. A process started without
/// `mpirun` becomes a singleton MPI job of one rank. Errors on the world
/// communicator are returned, not fatal, so every failed call becomes an
/// `MPIError` carrying MPI's message.
public enum MPIEnvironment {
  /// The seconds `MPI_Init_thread` took in this process (0 when MPI was already
  /// initialised by someone else).
  private static let initialisation: Result<Double, MPIError> = {
    var alreadyInitialised: Int32 = 0
    var seconds = 0.0
    MPI_Initialized(&alreadyInitialised)
    if alreadyInitialised == 0 {
      if case .exclude(let value, _) = fabricProbe { setenv("OMPI_MCA_mtl", value, 1) }
      let started = ContinuousClock.now
      var provided: Int32 = 0
      // SERIALIZED: MPI calls may come from any thread, never two at once
      // (the run driver makes them from one thread; tests from several, in turn).
      let code = MPI_Init_thread(nil, nil, Int32(MPI_THREAD_SERIALIZED), &provided)
      if code != MPI_SUCCESS {
        return .failure(
          MPIError(
            operation: "MPI_Init_thread", code: code, message: MPIError.errorString(code)))
      }
      atexit { MPIEnvironment.finalizeIfNeeded() }
      seconds = (ContinuousClock.now - started) / .seconds(1)
    }
    let code = MPI_Comm_set_errhandler(twin_mpi_comm_world(), twin_mpi_errors_return())
    if code != MPI_SUCCESS {
      return .failure(
        MPIError(
          operation: "MPI_Comm_set_errhandler", code: code, message: MPIError.errorString(code)))
    }
    return .success(seconds)
  }()

  /// Whether this process skips Open MPI's search for absent Omni-Path and
  /// InfiniPath hardware (`OpenMPIFabricProbe`), decided once before `MPI_Init`;
  /// nil with another MPI library.
  public static let fabricProbe: OpenMPIFabricProbe.Decision? =
    libraryVersion.hasPrefix("Open MPI") ? OpenMPIFabricProbe.decideForThisProcess() : nil

  /// Initialises MPI if this process has not done so yet. Idempotent.
  public static func initialize() throws(MPIError) {
    _ = try initialisation.get()
  }

  /// How long this process's `MPI_Init_thread` took, in seconds: the MPI library's
  /// start-up (with Open MPI, mostly choosing and opening its transports); nil when
  /// MPI is not active. Never initialises MPI itself.
  public static var initializationSeconds: Double? {
    guard isActive, case .success(let seconds) = initialisation else { return nil }
    return seconds
  }

  /// Whether `MPI_Init` has run and `MPI_Finalize` has not.
  public static var isActive: Bool {
    var initialised: Int32 = 0
    var finalised: Int32 = 0
    MPI_Initialized(&initialised)
    MPI_Finalized(&finalised)
    return initialised != 0 && finalised == 0
  }

  /// Calls `MPI_Finalize` if MPI is active. Registered with `atexit` on
  /// initialisation, so callers need not remember it; calling it earlier is
  /// allowed (for example before a clean `exit`).
  public static func finalizeIfNeeded() {
    if isActive { MPI_Finalize() }
  }

  /// How this process runs: on MPI, or as a one-rank job without MPI.
  public enum Launch: Sendable, Equatable {
    /// An MPI launcher started the process (or TWIN_SIM_MPI=init): MPI_Init.
    case mpi
    /// Started alone: one rank, MPI never initialised.
    case serial
  }

  /// The environment variables by which launchers tell a process that it is
  /// one rank of an MPI job: Open MPI's mpirun (OMPI_COMM_WORLD_SIZE), PMIx
  /// (PMIX_RANK: Open MPI 4/5, srun --mpi=pmix), PMI-1/2 (PMI_RANK, PMI_SIZE,
  /// PMI_FD: MPICH's Hydra, srun --mpi=pmi2).
  public static let launcherVariables = [
    "OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE", "PMI_FD",
  ]

  /// `.mpi` when a launcher variable is set, or when Slurm started several
  /// tasks (SLURM_STEP_NUM_TASKS > 1: without MPI they would all be rank 0 and
  /// write the same file), or TWIN_SIM_MPI=init; `.serial` otherwise or with
  /// TWIN_SIM_MPI=skip. Any other TWIN_SIM_MPI value (`auto`) is treated
  /// as unset; `twin-sim run` refuses values other than init, skip and auto.
  public static func launch(environment: [String: String]) -> Launch {
    switch environment["TWIN_SIM_MPI"] {
    case "init": return .mpi
    case "skip": return .serial
    default: break
    }
    if launcherVariables.contains(where: { environment[$0] != nil }) { return .mpi }
    if let tasks = environment["SLURM_STEP_NUM_TASKS"].flatMap({ Int($0) }), tasks > 1 {
      return .mpi
    }
    return .serial
  }

  /// This process's launch, decided once from its environment.
  public static let launch = launch(environment: ProcessInfo.processInfo.environment)

  /// The MPI library's version string (for example `Open MPI v4.1.4, ...`); may be
  /// asked before `MPI_Init`.
  public static var libraryVersion: String {
    var buffer = [CChar](repeating: 0, count: Int(MPI_MAX_LIBRARY_VERSION_STRING) + 1)
    var length: Int32 = 0
    MPI_Get_library_version(&buffer, &length)
    let bytes = buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }
    return String(decoding: bytes, as: UTF8.self)
      .trimmingCharacters(in: .whitespacesAndNewlines)
  }
}
