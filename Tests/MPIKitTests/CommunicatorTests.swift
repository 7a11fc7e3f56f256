import Testing

@testable import MPIKit

/// Single-rank behaviour: the test process, started without a launcher, is a
/// one-rank job without MPI (`world()`) and can also be an MPI singleton
/// (`mpiWorld()`). Multi-rank behaviour is tested by launching `mpirun` from
/// Tests/python/test_mpi_hdf5.py and test_engine_run.py.
@Suite(.serialized)
struct CommunicatorTests {
  @Test func launchersAreRecognisedByTheirEnvironment() {
    #expect(MPIEnvironment.launch(environment: [:]) == .serial)
    #expect(MPIEnvironment.launch(environment: ["PATH": "/usr/bin"]) == .serial)
    for variable in ["OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE", "PMI_FD"] {
      #expect(MPIEnvironment.launch(environment: [variable: "1"]) == .mpi)
    }
    // A Slurm step of several tasks must not become several independent rank 0s.
    #expect(MPIEnvironment.launch(environment: ["SLURM_STEP_NUM_TASKS": "4"]) == .mpi)
    #expect(MPIEnvironment.launch(environment: ["SLURM_STEP_NUM_TASKS": "1"]) == .serial)
    #expect(MPIEnvironment.launch(environment: ["TWIN_SIM_MPI": "init"]) == .mpi)
    #expect(
      MPIEnvironment.launch(environment: ["TWIN_SIM_MPI": "skip", "PMIX_RANK": "0"]) == .serial)
  }

  @Test func worldWithoutLauncherIsOneRankWithoutMPI() throws {
    #expect(MPIEnvironment.launch == .serial)  // swift test runs without mpirun
    let world = try Communicator.world()
    #expect(world.rank == 0)
    #expect(world.size == 1)
    #expect(world.isRoot)
    #expect(!world.usesMPI)
  }

  @Test func mpiWorldStartedAloneIsAnMPISingleton() throws {
    let world = try Communicator.mpiWorld()
    #expect(world.rank == 0)
    #expect(world.size == 1)
    #expect(world.usesMPI)
    #expect(MPIEnvironment.isActive)
  }

  @Test(arguments: [false, true])
  func collectivesOnOneRankReturnTheLocalValues(onMPI: Bool) throws {
    let world = try onMPI ? Communicator.mpiWorld() : Communicator.world()
    try world.barrier()
    #expect(try world.allreduce(Int64(41), .sum) == 41)
    #expect(try world.allreduce([1.5, -2.0], .max) == [1.5, -2.0])
    #expect(try world.reduce(Int64(7), .min) == 7)
    #expect(try world.allgather(Int64(3)) == [3])
    #expect(try world.gatherv([1.0, 2.0, 3.0]) == [1.0, 2.0, 3.0])
    #expect(try world.gatherv([Int64]()) == [])
    #expect(try world.broadcast("héllo") == "héllo")
    var values: [Int64] = [4, 5]
    try world.broadcast(&values)
    #expect(values == [4, 5])
    // Reductions that are waited for later, two under way at once.
    let first = try world.startAllreduce([1, 2, 3], .sum)
    let second = try world.startAllreduce([-4], .max)
    #expect(try first.wait() == [1, 2, 3])
    #expect(try second.wait() == [-4])
    #expect(try second.wait() == [-4])  // a finished reduction keeps its result
  }

  @Test(arguments: [false, true])
  func failedCallBecomesErrorWithMPIMessage(onMPI: Bool) throws {
    let world = try onMPI ? Communicator.mpiWorld() : Communicator.world()
    // Root 5 does not exist in a one-rank job: MPI returns MPI_ERR_ROOT.
    #expect {
      _ = try world.broadcast(Int64(1), root: 5)
    } throws: { error in
      guard let error = error as? MPIError else { return false }
      return error.operation == "MPI_Bcast" && error.message.lowercased().contains("root")
    }
  }

  @Test func libraryVersionNamesOpenMPI() {
    #expect(MPIEnvironment.libraryVersion.contains("Open MPI"))
  }
}
