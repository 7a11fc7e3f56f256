import Testing

@testable import MPIKit

/// Single-rank behaviour (the test process is an MPI singleton). Multi-rank
/// behaviour is tested by launching `mpirun` from Tests/python/test_mpi_hdf5.py.
@Suite(.serialized)
struct CommunicatorTests {
  @Test func worldWithoutMpirunIsOneRank() throws {
    let world = try Communicator.world()
    #expect(world.rank == 0)
    #expect(world.size == 1)
    #expect(world.isRoot)
    #expect(MPIEnvironment.isActive)
  }

  @Test func collectivesOnOneRankReturnTheLocalValues() throws {
    let world = try Communicator.world()
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
  }

  @Test func failedCallBecomesErrorWithMPIMessage() throws {
    let world = try Communicator.world()
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
