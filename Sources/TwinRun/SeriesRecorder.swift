import HDF5Kit
import TwinCore

/// Writes the per-person time series of one arm: buffers `timeChunk` time
/// points of the block, then writes them as one collective hyperslab
/// [block persons, buffered time points] per variable. Memory: persons x
/// timeChunk x (bytes per value) per recorded variable.
struct SeriesRecorder: SimulationRecorder {
  let arm: ArmDatasets
  let firstPerson: Int
  let personCount: Int
  let timePoints: Int
  let timeChunk: Int
  private var floatBuffers: [[Float]]
  private var doubleBuffers: [[Double]]
  private var flagBuffers: [[UInt8]]
  /// Time index of the first buffered column.
  private var bufferStart = 0

  init(
    arm: ArmDatasets, firstPerson: Int, personCount: Int, layout: ResultLayout,
    startingAt firstTimeIndex: Int = 0
  ) {
    bufferStart = firstTimeIndex
    self.arm = arm
    self.firstPerson = firstPerson
    self.personCount = personCount
    self.timePoints = layout.times.count
    self.timeChunk = layout.timeChunk
    let size = personCount * layout.timeChunk
    floatBuffers = arm.floatSeries.map { _ in [Float](repeating: 0, count: size) }
    doubleBuffers = arm.doubleSeries.map { _ in [Double](repeating: 0, count: size) }
    flagBuffers = arm.flagSeries.map { _ in [UInt8](repeating: 0, count: size) }
  }

  mutating func record(_ state: ArmState) throws {
    let column = state.timeIndex - bufferStart
    let width = timeChunk
    for (index, (variable, _)) in arm.floatSeries.enumerated() {
      floatBuffers[index].withUnsafeMutableBufferPointer { buffer in
        for person in 0..<personCount {
          buffer[person * width + column] = Float(variable.doubleValue(state, person: person))
        }
      }
    }
    for (index, (variable, _)) in arm.doubleSeries.enumerated() {
      doubleBuffers[index].withUnsafeMutableBufferPointer { buffer in
        for person in 0..<personCount {
          buffer[person * width + column] = variable.doubleValue(state, person: person)
        }
      }
    }
    for (index, (variable, _)) in arm.flagSeries.enumerated() {
      flagBuffers[index].withUnsafeMutableBufferPointer { buffer in
        for person in 0..<personCount {
          buffer[person * width + column] = variable.flagValue(state, person: person)
        }
      }
    }
    if column == width - 1 || state.timeIndex == timePoints - 1 {
      try flush(columns: column + 1)
      bufferStart = state.timeIndex + 1
    }
  }

  /// Writes the time points buffered so far (collective), before a checkpoint.
  mutating func flushPending(nextTimeIndex: Int) throws {
    let columns = nextTimeIndex - bufferStart
    if columns > 0 { try flush(columns: columns) }
    bufferStart = nextTimeIndex
  }

  /// Writes the first `columns` buffered time points of every variable.
  private func flush(columns: Int) throws {
    let offset = [firstPerson, bufferStart]
    let count = [personCount, columns]
    for (index, (_, dataset)) in arm.floatSeries.enumerated() {
      try dataset.write(packed(floatBuffers[index], columns), offset: offset, count: count)
    }
    for (index, (_, dataset)) in arm.doubleSeries.enumerated() {
      try dataset.write(packed(doubleBuffers[index], columns), offset: offset, count: count)
    }
    for (index, (_, dataset)) in arm.flagSeries.enumerated() {
      try dataset.write(packed(flagBuffers[index], columns), offset: offset, count: count)
    }
  }

  /// The buffer with rows cut to `columns` values (the last, partial chunk).
  private func packed<T>(_ buffer: [T], _ columns: Int) -> [T] {
    if columns == timeChunk { return buffer }
    var result: [T] = []
    result.reserveCapacity(personCount * columns)
    for person in 0..<personCount {
      result.append(contentsOf: buffer[(person * timeChunk)..<(person * timeChunk + columns)])
    }
    return result
  }
}

/// A recorder that keeps nothing (realisations after the first record only
/// their summaries).
struct DiscardingRecorder: SimulationRecorder {
  mutating func record(_ state: ArmState) throws {}
}
