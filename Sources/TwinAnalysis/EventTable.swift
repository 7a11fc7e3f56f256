import HDF5Kit

/// How much a per-person pass holds in memory at once. Every pass over persons
/// or events reads blocks of at most `persons` rows and `values` numbers, so
/// memory does not grow with the size of the file.
public struct ChunkLimits: Sendable {
  /// Persons (rows of a [person, time] dataset) or events per block.
  public var persons: Int
  /// Numbers (persons x time points x variables) per block.
  public var values: Int

  public init(persons: Int = 65_536, values: Int = 4_194_304) {
    self.persons = Swift.max(1, persons)
    self.values = Swift.max(1, values)
  }

  /// Persons per block for rows of `timePoints` x `variables` numbers.
  func personsPerBlock(timePoints: Int, variables: Int = 1) -> Int {
    Swift.max(1, Swift.min(persons, values / Swift.max(1, timePoints * variables)))
  }
}

/// Event kinds as docs/hdf5-layout.md defines them: 1 cvd_event, 2 cvd_death,
/// 3 other_death; condition c (scenario order, from 0): 16 + 2c onset,
/// 17 + 2c death.
struct EventKinds: Sendable {
  static let cvdEvent: UInt8 = 1
  static let cvdDeath: UInt8 = 2
  static let otherDeath: UInt8 = 3
  static let firstConditionKind: UInt8 = 16

  /// Name of each kind code (`flag_values`, `flag_meanings` of `events/kind`).
  let names: [UInt8: String]

  /// The (onset, death) kinds of each declared condition, in scenario order.
  var conditionKinds: [(onset: UInt8, death: UInt8)] {
    names.keys.filter { $0 >= Self.firstConditionKind && ($0 - Self.firstConditionKind) % 2 == 0 }
      .sorted().map { ($0, $0 + 1) }
  }

  /// Kinds that end a life: cardiovascular, other and condition deaths.
  var deathKinds: Set<UInt8> {
    Set([Self.cvdDeath, Self.otherDeath] + conditionKinds.map(\.death))
  }

  func name(of kind: UInt8) -> String { names[kind] ?? "kind_\(kind)" }
}

/// An arm's events table `/arms/<arm>/events` (realisation 0), one row per
/// event in person, then time order, read in blocks of rows.
struct EventTable {
  let rowCount: Int
  let kinds: EventKinds
  private let person: H5Dataset<Int64>
  private let time: H5Dataset<Double>
  private let kind: H5Dataset<UInt8>

  init(file: ResultFile, arm: String) throws(AnalysisError) {
    let group = try file.armGroup(arm)
    let location = "/arms/\(arm)/events"
    let present = try readingHDF5 { () throws(HDF5Error) in
      try group.contains("events")
    }
    guard present else {
      throw .invalidLayout(path: file.path, detail: "no events table \(location)")
    }
    (person, time, kind, rowCount, kinds) = try readingHDF5 { () throws(HDF5Error) in
      let events = try group.openGroup("events")
      let person = try events.openDataset("person", of: Int64.self)
      let time = try events.openDataset("time", of: Double.self)
      let kind = try events.openDataset("kind", of: UInt8.self)
      let values: [UInt8] = try kind.numericAttribute("flag_values")
      let meanings = try kind.stringAttribute("flag_meanings").split(separator: " ")
      var names: [UInt8: String] = [:]
      for (code, meaning) in zip(values, meanings) { names[code] = String(meaning) }
      return (person, time, kind, try person.shape().first ?? 0, EventKinds(names: names))
    }
    // The columns are rows of one table: one dimension each, of one length.
    let shapes = try readingHDF5 { () throws(HDF5Error) in
      [try person.shape(), try time.shape(), try kind.shape()]
    }
    guard shapes.allSatisfy({ $0 == [rowCount] }) else {
      throw .invalidLayout(
        path: file.path,
        detail: "the columns person, time and kind of \(location) have the shapes \(shapes)")
    }
    try file.verifyDigest(person, location: "\(location)/person")
    try file.verifyDigest(time, location: "\(location)/time")
    try file.verifyDigest(kind, location: "\(location)/kind")
  }

  /// Rows `range`: global person index, time in years since the start, kind.
  func rows(_ range: Range<Int>) throws(AnalysisError) -> EventRows {
    try readingHDF5 { () throws(HDF5Error) in
      EventRows(
        person: try person.read(offset: [range.lowerBound], count: [range.count]),
        timeYears: try time.read(offset: [range.lowerBound], count: [range.count]),
        kind: try kind.read(offset: [range.lowerBound], count: [range.count]))
    }
  }

  /// Events of each kind over the whole table, read in blocks.
  func countsByKind(limits: ChunkLimits) throws(AnalysisError) -> [UInt8: Int] {
    var counts: [UInt8: Int] = [:]
    var start = 0
    while start < rowCount {
      let end = Swift.min(rowCount, start + limits.persons)
      let block = try readingHDF5 { () throws(HDF5Error) in
        try kind.read(offset: [start], count: [end - start])
      }
      for code in block { counts[code, default: 0] += 1 }
      start = end
    }
    return counts
  }
}

/// A block of event rows.
struct EventRows {
  var person: [Int64]
  var timeYears: [Double]
  var kind: [UInt8]
}

/// Which event kinds are cardiovascular events and cardiovascular deaths.
///
/// Kinds 1 (cvd_event) and 2 (cvd_death) always are. A declared condition's
/// onsets count as cardiovascular events, and its deaths as cardiovascular
/// deaths, when the scenario says `counts_as_cvd: true`; the file does not
/// store that flag, so it is found from the file itself: the conditions whose
/// onset and death counts in the events table make realisation 0's summary
/// totals (`summary/cvd_events`, `summary/cvd_deaths`) add up, in every arm.
struct CardiovascularKinds: Sendable, Equatable {
  var eventKinds: Set<UInt8>
  var deathKinds: Set<UInt8>

  /// Totals of one arm: events per kind in the events table and realisation
  /// 0's summary sums.
  struct ArmTotals {
    var countsByKind: [UInt8: Int]
    var summaryCVDEvents: Int
    var summaryCVDDeaths: Int
  }

  /// The kinds that reproduce every arm's totals, or nil when none or several
  /// different choices do (then per-person cardiovascular counts are unknown).
  /// Conditions with no onset and no death in any arm do not matter and are
  /// left out. Tries every subset of up to 16 conditions.
  static func infer(kinds: EventKinds, arms: [ArmTotals]) -> CardiovascularKinds? {
    let conditions = kinds.conditionKinds.filter { condition in
      arms.contains {
        ($0.countsByKind[condition.onset] ?? 0) + ($0.countsByKind[condition.death] ?? 0) > 0
      }
    }
    guard conditions.count <= 16 else { return nil }
    var found: [CardiovascularKinds] = []
    for subset in 0..<(1 << conditions.count) {
      let chosen = conditions.indices.filter { subset & (1 << $0) != 0 }.map { conditions[$0] }
      let candidate = CardiovascularKinds(
        eventKinds: Set([EventKinds.cvdEvent, EventKinds.cvdDeath] + chosen.map(\.onset)),
        deathKinds: Set([EventKinds.cvdDeath] + chosen.map(\.death)))
      let fits = arms.allSatisfy { arm in
        candidate.eventKinds.reduce(0) { $0 + (arm.countsByKind[$1] ?? 0) } == arm.summaryCVDEvents
          && candidate.deathKinds.reduce(0) { $0 + (arm.countsByKind[$1] ?? 0) }
            == arm.summaryCVDDeaths
      }
      if fits { found.append(candidate) }
    }
    return found.count == 1 ? found[0] : nil
  }
}
