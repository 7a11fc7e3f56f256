/// A block of persons' risk factors stored as columns (structure of arrays), viewed
/// without copying: one contiguous buffer per attribute, person `i` at index `i` of
/// every column.
///
/// A view, not an owner: the buffers must stay valid while the view is used (build it
/// inside the `withUnsafeBufferPointer` scopes of the engine's columns, or use
/// `RiskFactorBlock.withColumns(_:)`). Units as in `RiskFactors`.
public struct RiskFactorColumns {
  /// Number of persons in the block.
  public let count: Int
  public let sex: UnsafeBufferPointer<Sex>
  /// Years.
  public let ageYears: UnsafeBufferPointer<Double>
  /// mmol/L.
  public let totalCholesterolMmolL: UnsafeBufferPointer<Double>
  /// mmol/L.
  public let hdlCholesterolMmolL: UnsafeBufferPointer<Double>
  /// mmHg.
  public let sbpMmHg: UnsafeBufferPointer<Double>
  public let bpTreated: UnsafeBufferPointer<Bool>
  public let smoker: UnsafeBufferPointer<Bool>
  public let diabetes: UnsafeBufferPointer<Bool>

  /// - Precondition: all columns have the same length.
  public init(
    sex: UnsafeBufferPointer<Sex>, ageYears: UnsafeBufferPointer<Double>,
    totalCholesterolMmolL: UnsafeBufferPointer<Double>,
    hdlCholesterolMmolL: UnsafeBufferPointer<Double>, sbpMmHg: UnsafeBufferPointer<Double>,
    bpTreated: UnsafeBufferPointer<Bool>, smoker: UnsafeBufferPointer<Bool>,
    diabetes: UnsafeBufferPointer<Bool>
  ) {
    let count = sex.count
    precondition(
      ageYears.count == count && totalCholesterolMmolL.count == count
        && hdlCholesterolMmolL.count == count && sbpMmHg.count == count
        && bpTreated.count == count && smoker.count == count && diabetes.count == count,
      "RiskFactorColumns: columns differ in length")
    self.count = count
    self.sex = sex
    self.ageYears = ageYears
    self.totalCholesterolMmolL = totalCholesterolMmolL
    self.hdlCholesterolMmolL = hdlCholesterolMmolL
    self.sbpMmHg = sbpMmHg
    self.bpTreated = bpTreated
    self.smoker = smoker
    self.diabetes = diabetes
  }

  /// The risk factors of one person (bounds-checked).
  @inlinable
  public subscript(person: Int) -> RiskFactors {
    RiskFactors(
      sex: sex[person], ageYears: ageYears[person],
      totalCholesterolMmolL: totalCholesterolMmolL[person],
      hdlCholesterolMmolL: hdlCholesterolMmolL[person], sbpMmHg: sbpMmHg[person],
      bpTreated: bpTreated[person], smoker: smoker[person], diabetes: diabetes[person])
  }
}

/// An owning block of persons' risk factors as columns, for tests, benchmarks and
/// callers without their own column storage.
public struct RiskFactorBlock: Sendable, Equatable {
  public var sex: [Sex] = []
  public var ageYears: [Double] = []
  public var totalCholesterolMmolL: [Double] = []
  public var hdlCholesterolMmolL: [Double] = []
  public var sbpMmHg: [Double] = []
  public var bpTreated: [Bool] = []
  public var smoker: [Bool] = []
  public var diabetes: [Bool] = []

  public init() {}

  /// Columns holding `persons` in order.
  public init(persons: [RiskFactors]) {
    reserveCapacity(persons.count)
    for person in persons { append(person) }
  }

  public var count: Int { sex.count }

  public mutating func reserveCapacity(_ capacity: Int) {
    sex.reserveCapacity(capacity)
    ageYears.reserveCapacity(capacity)
    totalCholesterolMmolL.reserveCapacity(capacity)
    hdlCholesterolMmolL.reserveCapacity(capacity)
    sbpMmHg.reserveCapacity(capacity)
    bpTreated.reserveCapacity(capacity)
    smoker.reserveCapacity(capacity)
    diabetes.reserveCapacity(capacity)
  }

  public mutating func append(_ person: RiskFactors) {
    sex.append(person.sex)
    ageYears.append(person.ageYears)
    totalCholesterolMmolL.append(person.totalCholesterolMmolL)
    hdlCholesterolMmolL.append(person.hdlCholesterolMmolL)
    sbpMmHg.append(person.sbpMmHg)
    bpTreated.append(person.bpTreated)
    smoker.append(person.smoker)
    diabetes.append(person.diabetes)
  }

  /// Calls `body` with a view of the columns, valid only inside `body`.
  public func withColumns<Result>(
    _ body: (RiskFactorColumns) throws -> Result
  ) rethrows -> Result {
    try sex.withUnsafeBufferPointer { sex in
      try ageYears.withUnsafeBufferPointer { age in
        try totalCholesterolMmolL.withUnsafeBufferPointer { totalCholesterol in
          try hdlCholesterolMmolL.withUnsafeBufferPointer { hdl in
            try sbpMmHg.withUnsafeBufferPointer { sbp in
              try bpTreated.withUnsafeBufferPointer { treated in
                try smoker.withUnsafeBufferPointer { smoker in
                  try diabetes.withUnsafeBufferPointer { diabetes in
                    try body(
                      RiskFactorColumns(
                        sex: sex, ageYears: age, totalCholesterolMmolL: totalCholesterol,
                        hdlCholesterolMmolL: hdl, sbpMmHg: sbp, bpTreated: treated,
                        smoker: smoker, diabetes: diabetes))
                  }
                }
              }
            }
          }
        }
      }
    }
  }
}
