/// The state of every person of a block in one arm at one time point, as
/// columns. The engine updates it step by step; recorders read it.
///
/// After a person's death, `alive` is 0, the continuous quantities hold NaN and
/// the flags keep their value at death.
public struct ArmState: Sendable {
  /// Time point index, 0 ... steps.
  public internal(set) var timeIndex: Int = 0
  public internal(set) var alive: [UInt8]
  public internal(set) var ageYears: [Double]
  public internal(set) var sbp: [Double]
  public internal(set) var totalCholesterol: [Double]
  public internal(set) var hdl: [Double]
  public internal(set) var bmi: [Double]
  public internal(set) var smoking: [UInt8]
  public internal(set) var diabetes: [UInt8]
  public internal(set) var bpTreated: [UInt8]
  /// Ten-year cardiovascular risk (fraction); NaN without a risk equation.
  public internal(set) var risk10: [Double]
  /// Had a non-fatal cardiovascular event (1) or not (0).
  public internal(set) var cvdHistory: [UInt8]
  /// Per condition, whether the person has it.
  public internal(set) var conditions: [[UInt8]]
  /// Per intervention, whether a treatment has been started (persistence).
  var started: [[UInt8]]
  /// Per intervention, whether the person is reached by it (propensity draw).
  var reached: [[UInt8]]
  /// Whether any of the arm's interventions has acted on the person at a time point so
  /// far (empty for an arm without interventions): the persons treated, for the number
  /// needed to treat per person treated.
  var everTreated: [UInt8]
  /// Per intervention type (`InterventionType` order), whether one of the arm's
  /// interventions of that type acts on the person at this time point (`on_<type>` in
  /// `output.record`); empty columns unless recorded. After death: the value at death.
  public internal(set) var onIntervention: [[UInt8]]
  /// The cardiovascular physiology (empty when the scenario has none).
  public internal(set) var physiology: PhysiologyArmState
  /// Whether `sbp`, `totalCholesterol`, `hdl`, `bmi` and `risk10` hold a value per person.
  /// A model that reads none of them (no risk equation, no physiology) and records none of
  /// them leaves the five columns empty: 40 bytes per person less (4 MB at 100,000 persons).
  public let keepsRiskFactors: Bool

  init(
    block: PersonBlock, interventionCount: Int, physiology: Bool = false,
    keepsRiskFactors: Bool = true, recordsInterventions: Bool = false
  ) {
    let count = block.count
    alive = [UInt8](repeating: 1, count: count)
    ageYears = block.ageYears
    self.keepsRiskFactors = keepsRiskFactors
    sbp = keepsRiskFactors ? block.sbp : []
    totalCholesterol = keepsRiskFactors ? block.totalCholesterol : []
    hdl = keepsRiskFactors ? block.hdl : []
    bmi = keepsRiskFactors ? block.bmi : []
    smoking = block.smoking
    diabetes = block.diabetes
    bpTreated = block.bpTreated
    risk10 = keepsRiskFactors ? [Double](repeating: .nan, count: count) : []
    cvdHistory = [UInt8](repeating: 0, count: count)
    conditions = block.conditions
    started = Array(repeating: [UInt8](repeating: 0, count: count), count: interventionCount)
    reached = Array(repeating: [UInt8](repeating: 0, count: count), count: interventionCount)
    everTreated = [UInt8](repeating: 0, count: interventionCount > 0 ? count : 0)
    onIntervention = Array(
      repeating: [UInt8](repeating: 0, count: recordsInterventions ? count : 0),
      count: InterventionType.allCases.count)
    self.physiology = PhysiologyArmState(count: count, isOn: physiology)
  }

  public var count: Int { alive.count }

  /// Marks a person dead: alive 0, continuous quantities NaN, flags kept.
  mutating func markDead(_ person: Int) {
    alive[person] = 0
    ageYears[person] = .nan
    if keepsRiskFactors {
      sbp[person] = .nan
      totalCholesterol[person] = .nan
      hdl[person] = .nan
      bmi[person] = .nan
      risk10[person] = .nan
    }
    physiology.markDead(person)
  }
}

/// An arm in progress: the state before time point `nextTimeIndex`, the counts
/// and events of the steps done.
public struct ArmProgress: Sendable {
  public internal(set) var state: ArmState
  public internal(set) var counts: StepCounts
  /// The events so far, in a buffer allocated when the arm starts.
  var eventBuffer: EventBuffer
  /// The events so far (a copy).
  public var events: EventLog { eventBuffer.log }
  /// The time point the next `advance` computes.
  public internal(set) var nextTimeIndex: Int

  /// What a checkpoint keeps of this arm (everything else is recomputed).
  public var saved: SavedArmState {
    SavedArmState(
      alive: state.alive, cvdHistory: state.cvdHistory, smoking: state.smoking,
      bpTreated: state.bpTreated, conditions: state.conditions, started: state.started,
      everTreated: state.everTreated, counts: counts, events: events,
      nextTimeIndex: nextTimeIndex,
      physiology: state.physiology.isOn ? state.physiology.saved : nil)
  }
}

/// The part of an arm's progress a checkpoint stores, for the persons of one
/// block: per-person flags (the rest of the state is recomputed each step),
/// counts and events so far, and the physiology's per-person state (warm
/// starts, last metrics, baselines) when the scenario couples it in.
public struct SavedArmState: Sendable, Equatable {
  public var alive: [UInt8]
  public var cvdHistory: [UInt8]
  public var smoking: [UInt8]
  public var bpTreated: [UInt8]
  public var conditions: [[UInt8]]
  /// Per intervention, whether a treatment was started.
  public var started: [[UInt8]]
  /// Whether an intervention of the arm has acted on the person (empty without any).
  public var everTreated: [UInt8]
  public var counts: StepCounts
  public var events: EventLog
  public var nextTimeIndex: Int
  /// The physiology's per-person columns; nil without physiology.
  public var physiology: SavedPhysiologyState?

  public init(
    alive: [UInt8], cvdHistory: [UInt8], smoking: [UInt8], bpTreated: [UInt8],
    conditions: [[UInt8]], started: [[UInt8]], everTreated: [UInt8], counts: StepCounts,
    events: EventLog, nextTimeIndex: Int, physiology: SavedPhysiologyState? = nil
  ) {
    self.alive = alive
    self.cvdHistory = cvdHistory
    self.smoking = smoking
    self.bpTreated = bpTreated
    self.conditions = conditions
    self.started = started
    self.everTreated = everTreated
    self.counts = counts
    self.events = events
    self.nextTimeIndex = nextTimeIndex
    self.physiology = physiology
  }
}

/// Per-step counts of one arm and block. Index `k` of each array is the time
/// point k; `alive` counts persons alive at time point k, the other arrays
/// count what happened in the step that ends at time point k (0 at k = 0).
/// All are integers, so sums over ranks are exact and do not depend on the
/// decomposition; person-time is counted in units of 1e-9 years.
public struct StepCounts: Sendable, Equatable {
  public var alive: [Int64]
  public var deaths: [Int64]
  public var cvdEvents: [Int64]
  public var cvdDeaths: [Int64]
  public var otherDeaths: [Int64]
  /// Person-time lived in the step, 1e-9 years.
  public var personNanoyears: [Int64]
  /// Persons on whom one of the arm's interventions acts for the first time at the time
  /// point (their sum over time points: the persons treated).
  public var treatmentStarts: [Int64]
  /// The part of `personNanoyears` whose cardiovascular risk was evaluated at an age held
  /// inside the risk equation's valid range (`outside_validity: hold`), 1e-9 years.
  public var riskHeldNanoyears: [Int64]
  /// Per condition: onsets in the step.
  public var conditionOnsets: [[Int64]]
  /// Per condition: deaths from it in the step.
  public var conditionDeaths: [[Int64]]

  /// Units of `personNanoyears` per year.
  public static let nanoyearsPerYear = 1e9

  public init(timePoints: Int, conditionCount: Int) {
    let zeros = [Int64](repeating: 0, count: timePoints)
    alive = zeros
    deaths = zeros
    cvdEvents = zeros
    cvdDeaths = zeros
    otherDeaths = zeros
    personNanoyears = zeros
    treatmentStarts = zeros
    riskHeldNanoyears = zeros
    conditionOnsets = Array(repeating: zeros, count: conditionCount)
    conditionDeaths = Array(repeating: zeros, count: conditionCount)
  }

  /// All counts in one flat array (for one reduction over ranks), in a fixed order.
  public var flattened: [Int64] {
    [
      alive, deaths, cvdEvents, cvdDeaths, otherDeaths, personNanoyears, treatmentStarts,
      riskHeldNanoyears,
    ].flatMap { $0 } + conditionOnsets.flatMap { $0 } + conditionDeaths.flatMap { $0 }
  }

  /// Rebuilds counts from `flattened` output (after a reduction over ranks).
  public init(flattened values: [Int64], timePoints: Int, conditionCount: Int) {
    var slices = stride(from: 0, to: values.count, by: timePoints).map {
      Array(values[$0..<min($0 + timePoints, values.count)])
    }
    precondition(slices.count == 8 + 2 * conditionCount, "count layout mismatch")
    alive = slices.removeFirst()
    deaths = slices.removeFirst()
    cvdEvents = slices.removeFirst()
    cvdDeaths = slices.removeFirst()
    otherDeaths = slices.removeFirst()
    personNanoyears = slices.removeFirst()
    treatmentStarts = slices.removeFirst()
    riskHeldNanoyears = slices.removeFirst()
    conditionOnsets = Array(slices.prefix(conditionCount))
    conditionDeaths = Array(slices.suffix(conditionCount))
  }
}

/// Events of one arm and block, ordered by person, then time.
public struct EventLog: Sendable, Equatable {
  /// Global person index.
  public var person: [Int64] = []
  /// Years since the simulation start.
  public var time: [Double] = []
  /// `EventKind` code.
  public var kind: [UInt8] = []

  public var count: Int { kind.count }

  public init() {}

  public init(person: [Int64], time: [Double], kind: [UInt8]) {
    self.person = person
    self.time = time
    self.kind = kind
  }

  /// Sorts by person, then time, then the order of appending (an onset before
  /// the death it causes): the order is then the same whatever the
  /// decomposition over ranks.
  mutating func sortByPerson() {
    let order = person.indices.sorted { lhs, rhs in
      if person[lhs] != person[rhs] { return person[lhs] < person[rhs] }
      if time[lhs] != time[rhs] { return time[lhs] < time[rhs] }
      return lhs < rhs
    }
    person = order.map { person[$0] }
    time = order.map { time[$0] }
    kind = order.map { kind[$0] }
  }
}

/// Events of an arm in progress. Room for 1.5 events per person (a death and a
/// non-fatal event for half of them) is reserved when the arm starts, so that an arm
/// seldom reallocates and copies its events; the reserved memory becomes resident only
/// as events are stored (a large reservation is address space until it is written).
/// An arm with more events than that grows it (doubling).
struct EventBuffer: Sendable {
  private var person: [Int64] = []
  private var time: [Double] = []
  private var kind: [UInt8] = []

  var count: Int { kind.count }

  init(persons: Int) {
    let capacity = persons + persons / 2 + 64
    person.reserveCapacity(capacity)
    time.reserveCapacity(capacity)
    kind.reserveCapacity(capacity)
  }

  init(persons: Int, events: EventLog) {
    self.init(persons: max(persons, events.count))
    person.append(contentsOf: events.person)
    time.append(contentsOf: events.time)
    kind.append(contentsOf: events.kind)
  }

  mutating func append(person id: Int64, time at: Double, kind code: UInt8) {
    person.append(id)
    time.append(at)
    kind.append(code)
  }

  /// The events so far, as a log (sharing the buffer's storage until either changes).
  var log: EventLog {
    EventLog(person: person, time: time, kind: kind)
  }
}

/// Receives the state of a block at every time point of an arm (the run driver
/// writes it to the result file). Recorders read; they never change state.
public protocol SimulationRecorder {
  mutating func record(_ state: ArmState) throws
}
