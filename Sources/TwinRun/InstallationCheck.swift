import Foundation
import HDF5Kit
import MPIKit

/// A check that MPI and parallel HDF5 work on this machine the way twin-sim
/// uses them: collectives, and a collective, chunked, deflate-compressed write
/// of one file by all ranks, in which one rank holds no rows.
///
/// The file's contents follow fixed formulas so that an independent reader
/// (h5py in the test suite) can check every value:
/// - `/check/float64` and `/check/float32`, shape [rows, 4]: `row + column / 8`
/// - `/check/int64`, shape [rows]: `row * row - 7`
/// - `/check/int32`, shape [rows]: `-row`
/// - `/check/uint8`, shape [rows]: `row % 251`
/// - `/row`, shape [rows]: `row`, a dimension scale attached to dimension 0 of each.
/// Root attributes: `mpi_ranks`, `rows_per_rank`, `mpi_library`, `status`.
public struct InstallationCheck {
  /// Rows each rank writes, in rank order.
  public let rowsPerRank: [Int]
  /// The file written.
  public let path: String

  /// Columns of the two-dimensional check datasets.
  public static let columns = 4

  /// Default split of `rows` over `ranks`: blocks over all ranks but the last,
  /// which holds none (so the empty-selection path is always exercised when
  /// more than one rank runs).
  public static func defaultRowsPerRank(rows: Int, ranks: Int) -> [Int] {
    guard ranks > 1 else { return [rows] }
    let writers = ranks - 1
    return (0..<ranks).map { rank in
      rank == writers ? 0 : rows / writers + (rank < rows % writers ? 1 : 0)
    }
  }

  public init(path: String, rowsPerRank: [Int]) {
    self.path = path
    self.rowsPerRank = rowsPerRank
  }

  /// What the check found, for printing by rank 0.
  public struct Report: Sendable {
    public var lines: [String]
  }

  /// Runs the check on every rank (a collective call) and returns the report.
  /// Throws on the first failure, with what failed.
  public func run(communicator: Communicator) throws -> Report {
    guard rowsPerRank.count == communicator.size else {
      throw InstallationCheckError(
        "rows-per-rank lists \(rowsPerRank.count) ranks but the job has \(communicator.size)")
    }
    var lines: [String] = []
    lines.append("MPI: \(MPIEnvironment.libraryVersion.split(separator: "\n").first ?? "")")
    lines.append("ranks: \(communicator.size)")
    try checkCollectives(communicator)
    lines.append("collectives (barrier, broadcast, allreduce, reduce, allgather, gatherv): ok")
    try write(communicator: communicator)
    try readBack(communicator: communicator)
    lines.append(
      "parallel HDF5: collective deflate write of \(rowsPerRank.reduce(0, +)) rows "
        + "(rows per rank \(rowsPerRank.map(String.init).joined(separator: ","))), "
        + "read back exactly: ok")
    lines.append("file: \(path)")
    return Report(lines: lines)
  }

  private func checkCollectives(_ communicator: Communicator) throws {
    let size = Int64(communicator.size)
    let rank = Int64(communicator.rank)
    try communicator.barrier()
    let rankSum = try communicator.allreduce(rank, .sum)
    try expect(rankSum == size * (size - 1) / 2, "allreduce(Int64, sum) gave \(rankSum)")
    let maximum = try communicator.allreduce(Double(rank) + 0.5, .max)
    try expect(maximum == Double(size) - 0.5, "allreduce(Double, max) gave \(maximum)")
    let reduced = try communicator.reduce([rank, 1], .sum)
    if communicator.isRoot {
      try expect(reduced == [size * (size - 1) / 2, size], "reduce gave \(reduced ?? [])")
    }
    let text = try communicator.broadcast(communicator.isRoot ? "twin-sim \u{2713}" : "")
    try expect(text == "twin-sim \u{2713}", "broadcast(String) gave '\(text)'")
    let gathered = try communicator.allgather(rank * 10)
    try expect(gathered == (0..<size).map { $0 * 10 }, "allgather gave \(gathered)")
    // Rank r contributes r values (rank 0 none): exercises empty contributions.
    let pieces = try communicator.gatherv([Double](repeating: Double(rank), count: Int(rank)))
    if communicator.isRoot {
      let expected = (0..<size).flatMap { [Double](repeating: Double($0), count: Int($0)) }
      try expect(pieces == expected, "gatherv gave \(pieces ?? [])")
    }
  }

  private var rowOffsets: [Int] {
    var offsets: [Int] = []
    var total = 0
    for rows in rowsPerRank {
      offsets.append(total)
      total += rows
    }
    return offsets
  }

  private func write(communicator: Communicator) throws {
    let totalRows = rowsPerRank.reduce(0, +)
    let first = rowOffsets[communicator.rank]
    let count = rowsPerRank[communicator.rank]
    let rows = first..<(first + count)
    let columns = Self.columns
    let chunkRows = max(1, min(64, totalRows))

    let file = try H5File.create(path: path, communicator: communicator)
    let root = try file.root()
    try root.setAttribute("status", "writing")
    try root.setAttribute("mpi_ranks", Int64(communicator.size))
    try root.setAttribute("rows_per_rank", rowsPerRank.map { Int64($0) })
    try root.setAttribute("mpi_library", MPIEnvironment.libraryVersion)

    let rowScale = try root.createDataset(
      "row", of: Int64.self, shape: [totalRows], chunk: [chunkRows], deflateLevel: 4)
    try rowScale.write(rows.map { Int64($0) }, offset: [first], count: [count])
    try rowScale.makeDimensionScale(name: "row")

    let group = try root.createGroup("check")
    let float64 = try group.createDataset(
      "float64", of: Double.self, shape: [totalRows, columns], chunk: [chunkRows, columns],
      deflateLevel: 4)
    let matrix = rows.flatMap { row in (0..<columns).map { Double(row) + Double($0) / 8 } }
    try float64.write(matrix, offset: [first, 0], count: [count, columns])
    let float32 = try group.createDataset(
      "float32", of: Float.self, shape: [totalRows, columns], chunk: [chunkRows, columns],
      deflateLevel: 4)
    try float32.write(matrix.map { Float($0) }, offset: [first, 0], count: [count, columns])
    let int64 = try group.createDataset(
      "int64", of: Int64.self, shape: [totalRows], chunk: [chunkRows], deflateLevel: 4)
    try int64.write(rows.map { Int64($0 * $0 - 7) }, offset: [first], count: [count])
    let int32 = try group.createDataset(
      "int32", of: Int32.self, shape: [totalRows], chunk: [chunkRows], deflateLevel: 4)
    try int32.write(rows.map { Int32(-$0) }, offset: [first], count: [count])
    let uint8 = try group.createDataset(
      "uint8", of: UInt8.self, shape: [totalRows], chunk: [chunkRows], deflateLevel: 4)
    try uint8.write(rows.map { UInt8($0 % 251) }, offset: [first], count: [count])

    try float64.attachScale(rowScale, dimension: 0)
    try float32.attachScale(rowScale, dimension: 0)
    try int64.attachScale(rowScale, dimension: 0)
    try int32.attachScale(rowScale, dimension: 0)
    try uint8.attachScale(rowScale, dimension: 0)
    try root.setAttribute("status", "complete")
    try file.close()
  }

  private func readBack(communicator: Communicator) throws {
    try communicator.barrier()
    // Every rank reads the whole file independently and checks every value.
    let totalRows = rowsPerRank.reduce(0, +)
    let file = try H5File.open(path: path)
    let root = try file.root()
    try expect(try root.stringAttribute("status") == "complete", "status attribute")
    try expect(
      try root.numericAttribute("rows_per_rank", as: Int64.self) == rowsPerRank.map { Int64($0) },
      "rows_per_rank attribute")
    let group = try root.openGroup("check")
    let expectedMatrix = (0..<totalRows).flatMap { row in
      (0..<Self.columns).map { Double(row) + Double($0) / 8 }
    }
    try expect(
      try group.openDataset("float64", of: Double.self).read() == expectedMatrix, "float64 data")
    try expect(
      try group.openDataset("float32", of: Float.self).read() == expectedMatrix.map { Float($0) },
      "float32 data")
    try expect(
      try group.openDataset("int64", of: Int64.self).read()
        == (0..<totalRows).map { Int64($0 * $0 - 7) }, "int64 data")
    try expect(
      try group.openDataset("int32", of: Int32.self).read() == (0..<totalRows).map { Int32(-$0) },
      "int32 data")
    try expect(
      try group.openDataset("uint8", of: UInt8.self).read()
        == (0..<totalRows).map { UInt8($0 % 251) }, "uint8 data")
    try file.close()
    try communicator.barrier()
  }

  private func expect(_ condition: Bool, _ what: @autoclosure () -> String) throws {
    if !condition { throw InstallationCheckError("check failed: \(what())") }
  }
}

/// A failed installation check, with what failed.
public struct InstallationCheckError: Error, CustomStringConvertible {
  public let description: String
  init(_ description: String) { self.description = description }
}
