/// Outcomes of a block of consecutive persons in one arm (realisation 0),
/// from the events table.
struct PersonOutcomeBlock {
  /// Years lived from the start to death or the horizon (restricted lifetime).
  var lifetimeYears: [Double] = []
  /// Cardiovascular events of each person (fatal and non-fatal).
  var cvdEvents: [Double] = []
  /// 1 for a cardiovascular death, else 0.
  var cvdDeath: [Double] = []

  mutating func reset(count: Int, horizonYears: Double) {
    lifetimeYears = [Double](repeating: horizonYears, count: count)
    cvdEvents = [Double](repeating: 0, count: count)
    cvdDeath = [Double](repeating: 0, count: count)
  }
}

/// Walks an arm's events table person block by person block, reading rows in
/// chunks (the table is in person order), and fills each block's outcomes.
struct PersonOutcomeReader {
  private let table: EventTable
  private let path: String
  private let arm: String
  private let horizonYears: Double
  private let deathKinds: Set<UInt8>
  private let cardiovascular: CardiovascularKinds?
  private let rowsPerRead: Int
  private var buffer = EventRows(person: [], timeYears: [], kind: [])
  private var bufferStart = 0
  private var nextRow = 0
  private var lastPerson: Int64 = -1

  init(
    table: EventTable, file: ResultFile, arm: String, cardiovascular: CardiovascularKinds?,
    limits: ChunkLimits
  ) {
    self.table = table
    self.path = file.path
    self.arm = arm
    self.horizonYears = file.horizonYears
    self.deathKinds = table.kinds.deathKinds
    self.cardiovascular = cardiovascular
    self.rowsPerRead = limits.persons
  }

  /// Fills `block` with the outcomes of persons `persons`; blocks must come in
  /// increasing, adjacent order starting at person 0.
  mutating func fill(
    _ block: inout PersonOutcomeBlock, persons: Range<Int>
  ) throws(AnalysisError) {
    block.reset(count: persons.count, horizonYears: horizonYears)
    while nextRow < table.rowCount {
      if nextRow - bufferStart >= buffer.person.count {
        bufferStart = nextRow
        buffer = try table.rows(nextRow..<Swift.min(table.rowCount, nextRow + rowsPerRead))
      }
      let index = nextRow - bufferStart
      let person = buffer.person[index]
      guard person < persons.upperBound else { return }
      guard person >= persons.lowerBound, person >= lastPerson else {
        throw .invalidLayout(
          path: path,
          detail: "/arms/\(arm)/events is not in person order at row \(nextRow) "
            + "(person \(person))")
      }
      lastPerson = person
      let local = Int(person) - persons.lowerBound
      let kind = buffer.kind[index]
      if deathKinds.contains(kind) {
        block.lifetimeYears[local] = Swift.min(buffer.timeYears[index], horizonYears)
      }
      if let cardiovascular {
        if cardiovascular.eventKinds.contains(kind) { block.cvdEvents[local] += 1 }
        if cardiovascular.deathKinds.contains(kind) { block.cvdDeath[local] = 1 }
      }
      nextRow += 1
    }
  }

  /// Whether every row was consumed (rows naming persons beyond the last
  /// block are a layout error).
  var finished: Bool { nextRow == table.rowCount }
}

/// Per-person moments of realisation 0 for every arm and the paired
/// differences of every arm against the baseline: the within-run standard
/// errors of a single realisation. Arrays are indexed like `ResultFile.armNames`.
struct WithinRunMoments {
  var lifetime: [RunningMoments]
  var cvdEvents: [RunningMoments]
  var cvdDeath: [RunningMoments]
  /// Years gained per person: lifetime(arm) - lifetime(baseline).
  var lifetimeGained: [RunningMoments]
  /// Events averted per person: events(baseline) - events(arm).
  var eventsAverted: [RunningMoments]
  /// Whether per-person cardiovascular counts were available (see
  /// `CardiovascularKinds.infer`).
  var cardiovascularPerPerson: Bool

  /// One streaming pass over persons in blocks, all arms side by side;
  /// `tables` in the order of `file.armNames`.
  static func compute(
    file: ResultFile, tables: [EventTable], cardiovascular: CardiovascularKinds?,
    limits: ChunkLimits
  ) throws(AnalysisError) -> WithinRunMoments {
    let armCount = file.armNames.count
    let empty = [RunningMoments](repeating: RunningMoments(), count: armCount)
    var moments = WithinRunMoments(
      lifetime: empty, cvdEvents: empty, cvdDeath: empty, lifetimeGained: empty,
      eventsAverted: empty, cardiovascularPerPerson: cardiovascular != nil)
    guard let baselineIndex = file.armNames.firstIndex(of: file.baselineArm) else {
      return moments
    }
    var readers = zip(file.armNames, tables).map { arm, table in
      PersonOutcomeReader(
        table: table, file: file, arm: arm, cardiovascular: cardiovascular, limits: limits)
    }
    var blocks = [PersonOutcomeBlock](repeating: PersonOutcomeBlock(), count: armCount)
    var start = 0
    while start < file.personCount {
      let persons = start..<Swift.min(file.personCount, start + limits.persons)
      for arm in 0..<armCount {
        try readers[arm].fill(&blocks[arm], persons: persons)
      }
      for arm in 0..<armCount {
        for person in 0..<persons.count {
          let lifetime = blocks[arm].lifetimeYears[person]
          let events = blocks[arm].cvdEvents[person]
          moments.lifetime[arm].add(lifetime)
          moments.cvdEvents[arm].add(events)
          moments.cvdDeath[arm].add(blocks[arm].cvdDeath[person])
          if arm != baselineIndex {
            moments.lifetimeGained[arm].add(
              lifetime - blocks[baselineIndex].lifetimeYears[person])
            moments.eventsAverted[arm].add(blocks[baselineIndex].cvdEvents[person] - events)
          }
        }
      }
      start = persons.upperBound
    }
    for (arm, reader) in zip(file.armNames, readers) where !reader.finished {
      throw .invalidLayout(
        path: file.path,
        detail: "/arms/\(arm)/events names persons beyond n_persons = \(file.personCount)")
    }
    return moments
  }
}
