import HDF5Kit
import TwinCore

/// Writes the per-person time series of one arm: at every time point, each
/// recorded variable's column of the block as one hyperslab [block persons, 1].
///
/// The series are chunked by time point (`ResultLayout.seriesChunk`), so such
/// a column is one contiguous run of the file per chunk, written straight from
/// the engine's state: nothing is buffered across steps, and nothing is
/// transposed. Without a filter each rank writes independently (no
/// synchronisation of the ranks per write); deflate needs collective writes.
/// Memory: one float32 column of the block when float32 series are recorded
/// (the conversion from the state's float64), else none.
struct SeriesRecorder: SimulationRecorder {
  let arm: ArmDatasets
  let firstPerson: Int
  let personCount: Int
  /// Independent writes without a filter, else collective.
  let transfer: H5Transfer
  /// The float32 values of one column, converted from the state.
  private var floatColumn: [Float]

  init(arm: ArmDatasets, firstPerson: Int, personCount: Int, compression: OutputCompression) {
    self.arm = arm
    transfer = compression == .none ? .independent : .collective
    self.firstPerson = firstPerson
    self.personCount = personCount
    floatColumn = [Float](repeating: 0, count: arm.floatSeries.isEmpty ? 0 : personCount)
  }

  mutating func record(_ state: ArmState) throws {
    let offset = [firstPerson, state.timeIndex]
    let count = [personCount, 1]
    for (variable, dataset) in arm.floatSeries {
      variable.doubleColumn(state)!.withUnsafeBufferPointer { source in
        floatColumn.withUnsafeMutableBufferPointer { target in
          for person in source.indices { target[person] = Float(source[person]) }
        }
      }
      try dataset.write(floatColumn, offset: offset, count: count, transfer: transfer)
    }
    for (variable, dataset) in arm.doubleSeries {
      try dataset.write(
        variable.doubleColumn(state)!, offset: offset, count: count, transfer: transfer)
    }
    for (variable, dataset) in arm.flagSeries {
      try dataset.write(
        variable.flagColumn(state)!, offset: offset, count: count, transfer: transfer)
    }
  }
}

/// A recorder that keeps nothing (realisations after the first record only
/// their summaries).
struct DiscardingRecorder: SimulationRecorder {
  mutating func record(_ state: ArmState) throws {}
}
