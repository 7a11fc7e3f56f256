import Foundation
import Testing

@testable import HDF5Kit

/// Serial behaviour of the HDF5 face. Parallel (MPI-IO, collective) writes are
/// tested by launching `mpirun` from Tests/python/test_mpi_hdf5.py. HDF5 is
/// not thread-safe, so these tests run one at a time.
@Suite(.serialized)
struct HDF5KitTests {
  func temporaryPath(_ name: String) -> String {
    let folder = FileManager.default.temporaryDirectory
      .appendingPathComponent("twin-sim-hdf5kit-\(getpid())")
    try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    return folder.appendingPathComponent(name).path
  }

  @Test func datasetsOfEveryTypeRoundTrip() throws {
    let path = temporaryPath("types.h5")
    let file = try H5File.create(path: path)
    let root = try file.root()
    let doubles = try root.createDataset("d", of: Double.self, shape: [3, 2])
    try doubles.write([1, 2, 3, 4, 5, 6.5], offset: [0, 0], count: [3, 2])
    let floats = try root.createDataset("f", of: Float.self, shape: [2])
    try floats.write([0.25, -1], offset: [0], count: [2])
    let int32s = try root.createDataset("i32", of: Int32.self, shape: [2])
    try int32s.write([Int32.min, Int32.max], offset: [0], count: [2])
    let int64s = try root.createDataset("i64", of: Int64.self, shape: [2])
    try int64s.write([Int64.min, Int64.max], offset: [0], count: [2])
    let bytes = try root.createDataset("u8", of: UInt8.self, shape: [3])
    try bytes.write([0, 128, 255], offset: [0], count: [3])
    try file.close()

    let reopened = try H5File.open(path: path)
    let group = try reopened.root()
    #expect(try group.openDataset("d", of: Double.self).read() == [1, 2, 3, 4, 5, 6.5])
    #expect(try group.openDataset("d", of: Double.self).shape() == [3, 2])
    #expect(try group.openDataset("f", of: Float.self).read() == [0.25, -1])
    #expect(try group.openDataset("i32", of: Int32.self).read() == [Int32.min, Int32.max])
    #expect(try group.openDataset("i64", of: Int64.self).read() == [Int64.min, Int64.max])
    #expect(try group.openDataset("u8", of: UInt8.self).read() == [0, 128, 255])
    // Reading converts: integers stored as Int32 read as Double.
    #expect(
      try group.openDataset("i32", of: Double.self).read() == [-2_147_483_648, 2_147_483_647])
    try reopened.close()
  }

  @Test func chunkedCompressedHyperslabsWriteAndReadBack() throws {
    let path = temporaryPath("chunks.h5")
    let file = try H5File.create(path: path)
    let root = try file.root()
    let data = try root.createDataset(
      "x", of: Double.self, shape: [100, 3], chunk: [16, 3], deflateLevel: 6)
    // Two hyperslabs and one empty selection, as ranks would write them.
    let first = (0..<60).flatMap { row in (0..<3).map { Double(row * 3 + $0) } }
    let second = (60..<100).flatMap { row in (0..<3).map { Double(row * 3 + $0) } }
    try data.write(first, offset: [0, 0], count: [60, 3])
    try data.write([], offset: [100, 0], count: [0, 3])
    try data.write(second, offset: [60, 0], count: [40, 3])
    try file.close()

    let reopened = try H5File.open(path: path)
    let x = try reopened.root().openDataset("x", of: Double.self)
    #expect(try x.read() == (0..<300).map(Double.init))
    #expect(try x.read(offset: [10, 1], count: [2, 2]) == [31, 32, 34, 35])
    try reopened.close()
  }

  @Test func attributesOfEveryKindRoundTripAndReplace() throws {
    let path = temporaryPath("attributes.h5")
    let file = try H5File.create(path: path)
    let root = try file.root()
    try root.setAttribute("status", "writing")
    try root.setAttribute("status", "complete")
    try root.setAttribute("scenario_yaml", "name: ü\nseed: 1\n")
    try root.setAttribute("seed", Int64(42))
    try root.setAttribute("rate", 0.125)
    try root.setAttribute("ranks", [Int64(3), 0, 5])
    let group = try root.createGroup("arms")
    let values = try group.createDataset("sbp", of: Float.self, shape: [1])
    try values.write([120], offset: [0], count: [1])
    try values.setAttribute("units", "mmHg")
    try file.close()

    let reopened = try H5File.open(path: path)
    let top = try reopened.root()
    #expect(try top.stringAttribute("status") == "complete")
    #expect(try top.stringAttribute("scenario_yaml") == "name: ü\nseed: 1\n")
    #expect(try top.scalarAttribute("seed", as: Int64.self) == 42)
    #expect(try top.scalarAttribute("rate", as: Double.self) == 0.125)
    #expect(try top.numericAttribute("ranks", as: Int64.self) == [3, 0, 5])
    #expect(try top.hasAttribute("missing") == false)
    #expect(try top.memberNames() == ["arms"])
    #expect(try top.contains("arms"))
    let sbp = try top.openGroup("arms").openDataset("sbp", of: Float.self)
    #expect(try sbp.stringAttribute("units") == "mmHg")
    try reopened.close()
  }

  @Test func extendibleDatasetGrows() throws {
    let path = temporaryPath("extend.h5")
    let file = try H5File.create(path: path)
    let events = try file.root().createDataset(
      "events", of: Int64.self, shape: [0], maxShape: [nil], chunk: [8])
    try events.setExtent([3])
    try events.write([7, 8, 9], offset: [0], count: [3])
    try events.setExtent([5])
    try events.write([10, 11], offset: [3], count: [2])
    #expect(try events.read() == [7, 8, 9, 10, 11])
    try file.close()
  }

  @Test func dimensionScalesAreAttached() throws {
    let path = temporaryPath("scales.h5")
    let file = try H5File.create(path: path)
    let root = try file.root()
    let time = try root.createDataset("time", of: Double.self, shape: [4])
    try time.write([0, 1, 2, 3], offset: [0], count: [4])
    try time.makeDimensionScale(name: "time")
    let series = try root.createDataset("alive", of: UInt8.self, shape: [2, 4])
    try series.write([1, 1, 1, 0, 1, 1, 1, 1], offset: [0, 0], count: [2, 4])
    try series.attachScale(time, dimension: 1)
    try file.close()

    let reopened = try H5File.open(path: path)
    let scale = try reopened.root().openDataset("time", of: Double.self)
    #expect(try scale.stringAttribute("CLASS") == "DIMENSION_SCALE")
    #expect(try scale.stringAttribute("NAME") == "time")
    #expect(try reopened.root().openDataset("alive", of: UInt8.self).hasAttribute("DIMENSION_LIST"))
    try reopened.close()
  }

  @Test func fixedLengthStringDatasetsRoundTripAndServeAsDimensionScales() throws {
    let path = temporaryPath("strings.h5")
    let names = ["models.cvd_case_fatality", "statin#0.uptake", "größe", ""]
    #expect(H5StringDataset.length(toHold: names) == 24)
    #expect(H5StringDataset.length(toHold: []) == 1)
    let file = try H5File.create(path: path)
    let root = try file.root()
    let parameter = try root.createStringDataset(
      "parameter", length: H5StringDataset.length(toHold: names), shape: [4])
    // Two hyperslabs and an empty selection, as ranks would write them.
    try parameter.write(Array(names[2...]), offset: [2], count: [2])
    try parameter.write([], offset: [0], count: [0])
    try parameter.write(Array(names[..<2]), offset: [0], count: [2])
    try parameter.makeDimensionScale(name: "parameter")
    let values = try root.createDataset("values", of: Double.self, shape: [1, 4])
    try values.write([1, 2, 3, 4], offset: [0, 0], count: [1, 4])
    try values.attachScale(parameter, dimension: 1)
    // Too long for the dataset: refused, not truncated.
    #expect(throws: HDF5Error.self) {
      try parameter.write(
        ["x", "y", "z", String(repeating: "w", count: 25)], offset: [0], count: [4])
    }
    let empty = try root.createStringDataset("none", length: 0, shape: [0])
    try empty.write([], offset: [0], count: [0])
    try file.close()

    let reopened = try H5File.open(path: path)
    let top = try reopened.root()
    let stored = try top.openStringDataset("parameter")
    #expect(stored.length == 24)
    #expect(try stored.shape() == [4])
    #expect(try stored.read() == names)
    #expect(try stored.read(offset: [1], count: [2]) == ["statin#0.uptake", "größe"])
    #expect(try stored.stringAttribute("CLASS") == "DIMENSION_SCALE")
    #expect(try stored.stringAttribute("NAME") == "parameter")
    #expect(try top.openDataset("values", of: Double.self).hasAttribute("DIMENSION_LIST"))
    #expect(try top.openStringDataset("none").read() == [])
    // A numeric dataset is not a string dataset.
    #expect(throws: HDF5Error.self) { _ = try top.openStringDataset("values") }
    try reopened.close()
  }

  @Test func errorsCarryHDF5sOwnMessage() throws {
    let missing = temporaryPath("does-not-exist.h5")
    #expect {
      _ = try H5File.open(path: missing)
    } throws: { error in
      guard let error = error as? HDF5Error else { return false }
      let text = error.description
      return text.contains(missing) && text.contains("unable to open file")
    }
    let file = try H5File.create(path: temporaryPath("errors.h5"))
    let root = try file.root()
    #expect(throws: HDF5Error.self) { _ = try root.openDataset("nothing", of: Double.self) }
    let data = try root.createDataset("d", of: Double.self, shape: [2])
    // Wrong number of values for the selection.
    #expect(throws: HDF5Error.self) { try data.write([1, 2, 3], offset: [0], count: [2]) }
    try file.close()
    // Objects of a closed file refuse further use instead of crashing.
    #expect(throws: HDF5Error.self) { try root.setAttribute("x", 1.0) }
  }

  @Test func exclusiveCreateRefusesExistingFile() throws {
    let path = temporaryPath("exclusive.h5")
    try H5File.create(path: path).close()
    #expect(throws: HDF5Error.self) { _ = try H5File.create(path: path, mode: .exclusive) }
  }
}
