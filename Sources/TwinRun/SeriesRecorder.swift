import HDF5Kit
import TwinCore

/// Writes the per-person time series of one arm without a filter: at every
/// time point, each
/// recorded variable's column of the block as one hyperslab [block persons, 1].
///
/// The series are chunked by time point (`ResultLayout.seriesChunk`), so such
/// a column is one contiguous run of the file per chunk, written straight from
/// the engine's state: nothing is buffered across steps, and nothing is
/// transposed. Each rank writes independently (no synchronisation of the ranks
/// per write). Deflate-compressed series use `BufferedSeriesRecorder`.
/// Memory: one float32 column of the block when float32 series are recorded
/// (the conversion from the state's float64), else none.
struct SeriesRecorder: SimulationRecorder {
  let arm: ArmDatasets
  let firstPerson: Int
  let personCount: Int
  /// The float32 values of one column, converted from the state.
  private var floatColumn: [Float]

  init(arm: ArmDatasets, firstPerson: Int, personCount: Int) {
    self.arm = arm
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
      try dataset.write(floatColumn, offset: offset, count: count, transfer: .independent)
    }
    for (variable, dataset) in arm.doubleSeries {
      try dataset.write(
        variable.doubleColumn(state)!, offset: offset, count: count, transfer: .independent)
    }
    for (variable, dataset) in arm.flagSeries {
      try dataset.write(
        variable.flagColumn(state)!, offset: offset, count: count, transfer: .independent)
    }
  }
}

/// A recorder that keeps nothing (realisations after the first record only
/// their summaries).
struct DiscardingRecorder: SimulationRecorder {
  mutating func record(_ state: ArmState) throws {}
}

/// Writes the deflate-compressed per-person series of one arm: buffers
/// `timeChunk` time points of the block, then writes them as one collective
/// hyperslab [block persons, buffered time points] per variable, matching the
/// chunks [persons, timeChunk] that compress well along time
/// (`ResultLayout.seriesChunk`).
///
/// Each time point is appended as one contiguous column (time-major buffer: a
/// sequential copy per step); at a flush the columns are transposed, in
/// cache-sized blocks of persons, into the person-major order of the file.
/// Storing every step straight into person-major rows instead writes one value
/// per cache line and took a quarter of an output-heavy run (perf,
/// scripts/bench/io). Memory: persons x timeChunk x (bytes per value) per
/// recorded variable, plus one such staging buffer per value type.
struct BufferedSeriesRecorder: SimulationRecorder {
  let arm: ArmDatasets
  let firstPerson: Int
  let personCount: Int
  let timePoints: Int
  let timeChunk: Int
  /// Time-major buffers [timeChunk, persons], one per recorded variable.
  private var floatBuffers: [[Float]]
  private var doubleBuffers: [[Double]]
  private var flagBuffers: [[UInt8]]
  /// Person-major [persons, columns] staging of one variable for its write.
  private var floatStaging: [Float]
  private var doubleStaging: [Double]
  private var flagStaging: [UInt8]
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
    floatStaging = [Float](repeating: 0, count: arm.floatSeries.isEmpty ? 0 : size)
    doubleStaging = [Double](repeating: 0, count: arm.doubleSeries.isEmpty ? 0 : size)
    flagStaging = [UInt8](repeating: 0, count: arm.flagSeries.isEmpty ? 0 : size)
  }

  mutating func record(_ state: ArmState) throws {
    let column = state.timeIndex - bufferStart
    let start = column * personCount
    for (index, (variable, _)) in arm.floatSeries.enumerated() {
      Self.copy(variable.doubleColumn(state)!, into: &floatBuffers[index], at: start) {
        Float($0)
      }
    }
    for (index, (variable, _)) in arm.doubleSeries.enumerated() {
      Self.copy(variable.doubleColumn(state)!, into: &doubleBuffers[index], at: start) { $0 }
    }
    for (index, (variable, _)) in arm.flagSeries.enumerated() {
      Self.copy(variable.flagColumn(state)!, into: &flagBuffers[index], at: start) { $0 }
    }
    if column == timeChunk - 1 || state.timeIndex == timePoints - 1 {
      try flush(columns: column + 1)
      bufferStart = state.timeIndex + 1
    }
  }

  /// Copies one time point of every person of the block to `buffer[start...]`.
  @inline(__always)
  private static func copy<Source, Stored>(
    _ values: [Source], into buffer: inout [Stored], at start: Int,
    _ convert: (Source) -> Stored
  ) {
    values.withUnsafeBufferPointer { source in
      buffer.withUnsafeMutableBufferPointer { target in
        for person in source.indices {
          target[start + person] = convert(source[person])
        }
      }
    }
  }

  /// Writes the time points buffered so far (collective), before a checkpoint.
  mutating func flushPending(nextTimeIndex: Int) throws {
    let columns = nextTimeIndex - bufferStart
    if columns > 0 { try flush(columns: columns) }
    bufferStart = nextTimeIndex
  }

  /// Writes the first `columns` buffered time points of every variable.
  private mutating func flush(columns: Int) throws {
    let offset = [firstPerson, bufferStart]
    let count = [personCount, columns]
    let elements = personCount * columns
    for (index, (_, dataset)) in arm.floatSeries.enumerated() {
      Self.transpose(floatBuffers[index], into: &floatStaging, persons: personCount, columns)
      try floatStaging.withUnsafeBufferPointer { staged in
        try dataset.write(
          UnsafeBufferPointer(rebasing: staged[..<elements]), offset: offset, count: count)
      }
    }
    for (index, (_, dataset)) in arm.doubleSeries.enumerated() {
      Self.transpose(doubleBuffers[index], into: &doubleStaging, persons: personCount, columns)
      try doubleStaging.withUnsafeBufferPointer { staged in
        try dataset.write(
          UnsafeBufferPointer(rebasing: staged[..<elements]), offset: offset, count: count)
      }
    }
    for (index, (_, dataset)) in arm.flagSeries.enumerated() {
      Self.transpose(flagBuffers[index], into: &flagStaging, persons: personCount, columns)
      try flagStaging.withUnsafeBufferPointer { staged in
        try dataset.write(
          UnsafeBufferPointer(rebasing: staged[..<elements]), offset: offset, count: count)
      }
    }
  }

  /// Persons per block of the transposition: a block's `columns` source runs
  /// and its destination rows (at most 16 x 256 values, 32 kB of float64) stay
  /// in the L1/L2 cache.
  private static let transposeBlock = 256

  /// `target[person * columns + column] = source[column * persons + person]`
  /// for the first `columns` time-major columns of `source`.
  private static func transpose<T>(
    _ source: [T], into target: inout [T], persons: Int, _ columns: Int
  ) {
    source.withUnsafeBufferPointer { source in
      target.withUnsafeMutableBufferPointer { target in
        var blockStart = 0
        while blockStart < persons {
          let blockEnd = Swift.min(blockStart + transposeBlock, persons)
          for column in 0..<columns {
            let sourceBase = column * persons
            for person in blockStart..<blockEnd {
              target[person * columns + column] = source[sourceBase + person]
            }
          }
          blockStart = blockEnd
        }
      }
    }
  }
}

/// A recorder that can write what it buffered before a checkpoint.
protocol PendingFlushRecorder: SimulationRecorder {
  mutating func flushPending(nextTimeIndex: Int) throws
}

extension BufferedSeriesRecorder: PendingFlushRecorder {}

extension SeriesRecorder: PendingFlushRecorder {
  /// Nothing is pending: every time point is written when recorded.
  mutating func flushPending(nextTimeIndex: Int) throws {}
}

extension DiscardingRecorder: PendingFlushRecorder {
  mutating func flushPending(nextTimeIndex: Int) throws {}
}
