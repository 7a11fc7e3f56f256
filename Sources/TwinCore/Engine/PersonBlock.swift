/// The persons of one rank at the simulation start, as columns (structure of
/// arrays): one contiguous array per attribute, indexed by the person's
/// position in the block. Person `i` of the block has the global index
/// `firstPerson + i`, which keys all of its random draws.
public struct PersonBlock: Sendable, Equatable {
  /// Global index of the block's first person.
  public var firstPerson: Int
  /// Person identifiers written to the result (`/person`): the global index
  /// for synthetic persons, the table's `id` column for twinned cohorts.
  public var personID: [Int64]
  /// `Sex.rawValue`: 0 female, 1 male.
  public var sex: [UInt8]
  /// Age at the simulation start, years.
  public var ageYears: [Double]
  /// Systolic blood pressure, mmHg.
  public var sbp: [Double]
  /// Total cholesterol, mmol/L.
  public var totalCholesterol: [Double]
  /// HDL cholesterol, mmol/L.
  public var hdl: [Double]
  /// Body-mass index, kg/m^2.
  public var bmi: [Double]
  /// Current smoker (1) or not (0).
  public var smoking: [UInt8]
  /// Diabetes (1) or not (0).
  public var diabetes: [UInt8]
  /// On antihypertensive treatment (1) or not (0).
  public var bpTreated: [UInt8]
  /// Per condition (scenario order), whether the person has it at the start.
  public var conditions: [[UInt8]]

  /// Number of persons in the block.
  public var count: Int { sex.count }

  /// Releases the columns that only the result file reads, once it has them (`/person`,
  /// `/persons`): `personID` always; sbp, total cholesterol, HDL and BMI unless
  /// `keepingRiskFactors` (`ArmSimulator.readsBlockRiskFactors`). Those columns are empty
  /// afterwards; `count` and every other column stay.
  public mutating func releaseWrittenColumns(keepingRiskFactors: Bool) {
    personID = []
    guard !keepingRiskFactors else { return }
    sbp = []
    totalCholesterol = []
    hdl = []
    bmi = []
  }

  /// An empty block starting at `firstPerson`, with room for `capacity` persons.
  public init(firstPerson: Int, capacity: Int, conditionCount: Int) {
    self.firstPerson = firstPerson
    personID = []
    sex = []
    ageYears = []
    sbp = []
    totalCholesterol = []
    hdl = []
    bmi = []
    smoking = []
    diabetes = []
    bpTreated = []
    conditions = Array(repeating: [], count: conditionCount)
    for index in 0..<conditionCount { conditions[index].reserveCapacity(capacity) }
    personID.reserveCapacity(capacity)
    sex.reserveCapacity(capacity)
    ageYears.reserveCapacity(capacity)
    sbp.reserveCapacity(capacity)
    totalCholesterol.reserveCapacity(capacity)
    hdl.reserveCapacity(capacity)
    bmi.reserveCapacity(capacity)
    smoking.reserveCapacity(capacity)
    diabetes.reserveCapacity(capacity)
    bpTreated.reserveCapacity(capacity)
  }
}

/// Kinds of events in the events table (`/arms/<arm>/events/kind`), with
/// codes stored in the file. Condition events use `conditionOnsetBase + 2c`
/// (onset of condition c, scenario order) and `+ 1` (death from it).
public enum EventKind {
  /// Non-fatal cardiovascular event from the risk equation.
  public static let cvdEvent: UInt8 = 1
  /// Fatal cardiovascular event from the risk equation.
  public static let cvdDeath: UInt8 = 2
  /// Death from background (other) causes.
  public static let otherDeath: UInt8 = 3
  /// First code of condition events.
  public static let conditionOnsetBase: UInt8 = 16

  /// Code of the onset of condition `index`.
  public static func conditionOnset(_ index: Int) -> UInt8 { conditionOnsetBase + UInt8(2 * index) }
  /// Code of death from condition `index` (at onset or from excess mortality).
  public static func conditionDeath(_ index: Int) -> UInt8 {
    conditionOnsetBase + UInt8(2 * index + 1)
  }

  /// Codes and names for the file's `flag_values` and `flag_meanings`.
  public static func meanings(conditionNames: [String]) -> [(code: UInt8, name: String)] {
    var list: [(UInt8, String)] = [
      (cvdEvent, "cvd_event"), (cvdDeath, "cvd_death"), (otherDeath, "other_death"),
    ]
    for (index, name) in conditionNames.enumerated() {
      list.append((conditionOnset(index), "\(name)_onset"))
      list.append((conditionDeath(index), "\(name)_death"))
    }
    return list
  }
}
