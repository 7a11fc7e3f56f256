import BLASKit
import Foundation

/// One race-sex (or sex) group of one risk equation: a column of the batch
/// coefficient matrix.
public enum RiskEquationGroup: Int, Sendable, CaseIterable {
  case pooledCohortWhiteFemale = 0
  case pooledCohortBlackFemale
  case pooledCohortWhiteMale
  case pooledCohortBlackMale
  case framinghamFemale
  case framinghamMale
  case score2Female
  case score2Male

  /// Column of this group in the batch output (`rawValue`).
  @inlinable
  public var column: Int { rawValue }

  /// The group's linear predictor for one person by the scalar equation code
  /// (the reference the batch paths must reproduce).
  @inlinable
  public func linearPredictor(_ factors: RiskFactors) -> Double {
    switch self {
    case .pooledCohortWhiteFemale:
      return PooledCohortEquations.linearPredictor(
        factors, coefficients: PooledCohortEquations.whiteFemale)
    case .pooledCohortBlackFemale:
      return PooledCohortEquations.linearPredictor(
        factors, coefficients: PooledCohortEquations.blackFemale)
    case .pooledCohortWhiteMale:
      return PooledCohortEquations.linearPredictor(
        factors, coefficients: PooledCohortEquations.whiteMale)
    case .pooledCohortBlackMale:
      return PooledCohortEquations.linearPredictor(
        factors, coefficients: PooledCohortEquations.blackMale)
    case .framinghamFemale:
      return Framingham2008.linearPredictor(factors, coefficients: Framingham2008.female)
    case .framinghamMale:
      return Framingham2008.linearPredictor(factors, coefficients: Framingham2008.male)
    case .score2Female:
      return SCORE2.linearPredictor(factors, coefficients: SCORE2.female)
    case .score2Male:
      return SCORE2.linearPredictor(factors, coefficients: SCORE2.male)
    }
  }
}

/// Which equation a block of persons is evaluated with; each person's group then
/// follows from their sex (and, for the Pooled Cohort Equations, the race chosen here
/// for the whole block).
public enum RiskEquationSelection: Sendable, Hashable {
  case pooledCohort(PooledCohortEquations.Race)
  case framingham2008
  /// SCORE2's linear predictor does not depend on the region (only the risk does).
  case score2

  /// The group a person of `sex` belongs to under this selection.
  @inlinable
  public func group(for sex: Sex) -> RiskEquationGroup {
    switch (self, sex) {
    case (.pooledCohort(.white), .female): return .pooledCohortWhiteFemale
    case (.pooledCohort(.black), .female): return .pooledCohortBlackFemale
    case (.pooledCohort(.white), .male): return .pooledCohortWhiteMale
    case (.pooledCohort(.black), .male): return .pooledCohortBlackMale
    case (.framingham2008, .female): return .framinghamFemale
    case (.framingham2008, .male): return .framinghamMale
    case (.score2, .female): return .score2Female
    case (.score2, .male): return .score2Male
    }
  }
}

/// The shared feature vector of all eight groups: every term any equation uses.
/// A person's linear predictor in group g is sum over features f of x_f * B[f][g].
public enum RiskFeature: Int, Sendable, CaseIterable {
  // Pooled Cohort Equations and Framingham 2008 (natural logs; lipids in mg/dL).
  case lnAge = 0
  case lnAgeSquared
  case lnTotalCholesterol
  case lnAgeTimesLnTotalCholesterol
  case lnHDL
  case lnAgeTimesLnHDL
  /// ln SBP if treated, else 0.
  case lnTreatedSBP
  case lnAgeTimesLnTreatedSBP
  /// ln SBP if untreated, else 0.
  case lnUntreatedSBP
  case lnAgeTimesLnUntreatedSBP
  /// 1 for current smokers, else 0 (shared with SCORE2).
  case smoker
  case lnAgeTimesSmoker
  /// 1 with diabetes, else 0 (shared with SCORE2).
  case diabetes
  // SCORE2 (centred inputs; lipids in mmol/L).
  case centredAge
  case centredSBP
  case centredTotalCholesterol
  case centredHDL
  case centredAgeTimesSmoker
  case centredAgeTimesCentredSBP
  case centredAgeTimesCentredTotalCholesterol
  case centredAgeTimesCentredHDL
  case centredAgeTimesDiabetes

  /// The coefficient of this feature in `group`'s equation (0 where the group's
  /// equation has no such term), taken from the equations' own coefficient tables.
  public func weight(in group: RiskEquationGroup) -> Double {
    switch group {
    case .pooledCohortWhiteFemale: return pooledCohortWeight(PooledCohortEquations.whiteFemale)
    case .pooledCohortBlackFemale: return pooledCohortWeight(PooledCohortEquations.blackFemale)
    case .pooledCohortWhiteMale: return pooledCohortWeight(PooledCohortEquations.whiteMale)
    case .pooledCohortBlackMale: return pooledCohortWeight(PooledCohortEquations.blackMale)
    case .framinghamFemale: return framinghamWeight(Framingham2008.female)
    case .framinghamMale: return framinghamWeight(Framingham2008.male)
    case .score2Female: return score2Weight(SCORE2.female)
    case .score2Male: return score2Weight(SCORE2.male)
    }
  }

  private func pooledCohortWeight(_ c: PooledCohortEquations.Coefficients) -> Double {
    switch self {
    case .lnAge: return c.lnAge
    case .lnAgeSquared: return c.lnAgeSquared
    case .lnTotalCholesterol: return c.lnTotalCholesterol
    case .lnAgeTimesLnTotalCholesterol: return c.lnAgeTimesLnTotalCholesterol
    case .lnHDL: return c.lnHDL
    case .lnAgeTimesLnHDL: return c.lnAgeTimesLnHDL
    case .lnTreatedSBP: return c.lnTreatedSBP
    case .lnAgeTimesLnTreatedSBP: return c.lnAgeTimesLnTreatedSBP
    case .lnUntreatedSBP: return c.lnUntreatedSBP
    case .lnAgeTimesLnUntreatedSBP: return c.lnAgeTimesLnUntreatedSBP
    case .smoker: return c.smoker
    case .lnAgeTimesSmoker: return c.lnAgeTimesSmoker
    case .diabetes: return c.diabetes
    case .centredAge, .centredSBP, .centredTotalCholesterol, .centredHDL,
      .centredAgeTimesSmoker, .centredAgeTimesCentredSBP,
      .centredAgeTimesCentredTotalCholesterol, .centredAgeTimesCentredHDL,
      .centredAgeTimesDiabetes:
      return 0
    }
  }

  private func framinghamWeight(_ c: Framingham2008.Coefficients) -> Double {
    switch self {
    case .lnAge: return c.lnAge
    case .lnTotalCholesterol: return c.lnTotalCholesterol
    case .lnHDL: return c.lnHDL
    case .lnTreatedSBP: return c.lnTreatedSBP
    case .lnUntreatedSBP: return c.lnUntreatedSBP
    case .smoker: return c.smoker
    case .diabetes: return c.diabetes
    default: return 0
    }
  }

  private func score2Weight(_ c: SCORE2.Coefficients) -> Double {
    switch self {
    case .centredAge: return c.age
    case .centredSBP: return c.sbp
    case .centredTotalCholesterol: return c.totalCholesterol
    case .centredHDL: return c.hdl
    case .smoker: return c.smoking
    case .diabetes: return c.diabetes
    case .centredAgeTimesSmoker: return c.ageTimesSmoking
    case .centredAgeTimesCentredSBP: return c.ageTimesSBP
    case .centredAgeTimesCentredTotalCholesterol: return c.ageTimesTotalCholesterol
    case .centredAgeTimesCentredHDL: return c.ageTimesHDL
    case .centredAgeTimesDiabetes: return c.ageTimesDiabetes
    default: return 0
    }
  }
}

/// Linear predictors for a block of persons stored as columns, by one of two paths:
///
/// - `.plainLoop`: one pass over the persons, each evaluated by the scalar equation
///   code of its own group (`RiskEquationGroup.linearPredictor(_:)`); no scratch memory.
/// - `.blas`: fills a feature matrix X [persons x 22 features], multiplies it with the
///   coefficient matrix B [22 features x 8 groups] in ONE `cblas_dgemm`, which yields
///   every group's linear predictor for every person, then picks each person's column.
///
/// Both agree with the scalar equations to ~1e-13 relative (they differ only in
/// summation order); `compute` dispatches to the faster path measured by
/// `scripts/bench/blas-linear-predictor` (docs/benchmarks.md).
///
/// One instance owns the BLAS path's scratch matrices (allocated once for `capacity`
/// persons, so computing allocates nothing). Not thread-safe: one instance per rank or
/// thread.
public final class LinearPredictorBatch {
  /// How linear predictors are computed.
  public enum Path: String, Sendable, CaseIterable {
    case plainLoop = "plain-loop"
    case blas
  }

  /// The path `compute` takes unless told otherwise: the plain loop.
  ///
  /// Measured with `scripts/bench/blas-linear-predictor` on the 2-core build machine
  /// (docs/benchmarks.md, "BLAS vs plain Swift linear predictors", 2026-11-26): the plain
  /// loop computes 28-43 M persons/s for PCE and Framingham and 69-252 M persons/s for
  /// SCORE2, the BLAS path 11-18 M persons/s: 1.8-2.4x slower for PCE and Framingham and
  /// 4.8-14x slower for SCORE2, at 1k, 10k and 100k persons, with OPENBLAS_NUM_THREADS=1
  /// and 2.
  /// Why: building the feature matrix costs as much as the whole plain loop (both take
  /// the same four logarithms per person), and the dgemm on top (22 features x 8 groups,
  /// 8 times the arithmetic one person's group needs, a shape too thin for BLAS to reach
  /// its peak) costs about as much again.
  public static let defaultPath: Path = .plainLoop

  /// Number of features (rows of the coefficient matrix).
  public static let featureCount = RiskFeature.allCases.count
  /// Number of equation groups (columns of the coefficient matrix).
  public static let groupCount = RiskEquationGroup.allCases.count

  /// B [featureCount x groupCount], row-major: B[f * groupCount + g] is feature f's
  /// coefficient in group g, built from the equations' coefficient tables.
  public static let coefficientMatrix: [Double] = {
    var matrix = [Double](repeating: 0, count: featureCount * groupCount)
    for feature in RiskFeature.allCases {
      for group in RiskEquationGroup.allCases {
        matrix[feature.rawValue * groupCount + group.column] = feature.weight(in: group)
      }
    }
    return matrix
  }()

  /// Largest block the BLAS path accepts.
  public let capacity: Int
  private let featureMatrix: UnsafeMutableBufferPointer<Double>
  private let allGroupPredictors: UnsafeMutableBufferPointer<Double>

  /// Allocates the BLAS path's scratch for blocks of up to `capacity` persons
  /// (capacity x 30 doubles).
  public init(capacity: Int) {
    precondition(capacity >= 0, "LinearPredictorBatch: negative capacity")
    self.capacity = capacity
    featureMatrix = .allocate(capacity: capacity * Self.featureCount)
    featureMatrix.initialize(repeating: 0)
    allGroupPredictors = .allocate(capacity: capacity * Self.groupCount)
    allGroupPredictors.initialize(repeating: 0)
  }

  deinit {
    featureMatrix.deallocate()
    allGroupPredictors.deallocate()
  }

  /// Writes each person's linear predictor under `equation` into `linearPredictors`,
  /// by `path` (default: the measured faster one). Unchecked: persons outside an
  /// equation's valid ranges get extrapolated values (see `RiskEquation`).
  ///
  /// - Precondition: `linearPredictors.count == persons.count`; for `.blas`,
  ///   `persons.count <= capacity`.
  public func compute(
    _ persons: RiskFactorColumns, equation: RiskEquationSelection,
    into linearPredictors: UnsafeMutableBufferPointer<Double>,
    path: Path = LinearPredictorBatch.defaultPath
  ) {
    switch path {
    case .plainLoop:
      Self.computeWithPlainLoop(persons, equation: equation, into: linearPredictors)
    case .blas:
      computeWithBLAS(persons, equation: equation, into: linearPredictors)
    }
  }

  /// The plain-loop path: each person's own group, scalar code, no scratch.
  public static func computeWithPlainLoop(
    _ persons: RiskFactorColumns, equation: RiskEquationSelection,
    into linearPredictors: UnsafeMutableBufferPointer<Double>
  ) {
    precondition(
      linearPredictors.count == persons.count,
      "LinearPredictorBatch: output has \(linearPredictors.count) slots for \(persons.count) persons"
    )
    for person in 0..<persons.count {
      let factors = persons[person]
      linearPredictors[person] = equation.group(for: factors.sex).linearPredictor(factors)
    }
  }

  /// The BLAS path: features, one `dgemm` for all eight groups, then each person's column.
  public func computeWithBLAS(
    _ persons: RiskFactorColumns, equation: RiskEquationSelection,
    into linearPredictors: UnsafeMutableBufferPointer<Double>
  ) {
    precondition(
      linearPredictors.count == persons.count,
      "LinearPredictorBatch: output has \(linearPredictors.count) slots for \(persons.count) persons"
    )
    let all = computeAllGroups(persons)
    let groupCount = Self.groupCount
    for person in 0..<persons.count {
      let column = equation.group(for: persons.sex[person]).column
      linearPredictors[person] = all[person * groupCount + column]
    }
  }

  /// Every group's linear predictor for every person by one `dgemm`, as a row-major
  /// [persons x 8] matrix (column = `RiskEquationGroup.column`). The returned buffer is
  /// this instance's scratch: valid until the next call on this instance.
  ///
  /// - Precondition: `persons.count <= capacity`.
  public func computeAllGroups(_ persons: RiskFactorColumns) -> UnsafeBufferPointer<Double> {
    prepareFeatures(persons)
    return multiplyPreparedFeatures(count: persons.count)
  }

  /// First stage of the BLAS path (public so benchmarks can time the stages): writes
  /// the feature matrix X [persons x 22] into this instance's scratch.
  ///
  /// - Precondition: `persons.count <= capacity`.
  public func prepareFeatures(_ persons: RiskFactorColumns) {
    let count = persons.count
    precondition(
      count <= capacity, "LinearPredictorBatch: \(count) persons exceed capacity \(capacity)")
    let featureCount = Self.featureCount
    for person in 0..<count {
      Self.writeFeatures(
        of: persons[person],
        into: UnsafeMutableBufferPointer(
          rebasing: featureMatrix[(person * featureCount)..<((person + 1) * featureCount)]))
    }
  }

  /// Second stage of the BLAS path: the single `dgemm` X [count x 22] * B [22 x 8] on the
  /// features written by the last `prepareFeatures(_:)` of `count` persons.
  ///
  /// - Precondition: `count <= capacity`.
  public func multiplyPreparedFeatures(count: Int) -> UnsafeBufferPointer<Double> {
    precondition(
      count >= 0 && count <= capacity,
      "LinearPredictorBatch: \(count) persons exceed capacity \(capacity)")
    let features = UnsafeBufferPointer(
      rebasing: featureMatrix[0..<(count * Self.featureCount)])
    let output = UnsafeMutableBufferPointer(
      rebasing: allGroupPredictors[0..<(count * Self.groupCount)])
    Self.coefficientMatrix.withUnsafeBufferPointer { coefficients in
      BLAS.gemm(
        a: features, b: coefficients, c: output,
        rows: count, columns: Self.groupCount, inner: Self.featureCount)
    }
    return UnsafeBufferPointer(output)
  }

  /// One person's feature row (see `RiskFeature`), `RiskFeature.allCases.count` values.
  static func writeFeatures(of factors: RiskFactors, into row: UnsafeMutableBufferPointer<Double>) {
    let lnAge = log(factors.ageYears)
    let lnTotalCholesterol = log(factors.totalCholesterolMgDL)
    let lnHDL = log(factors.hdlCholesterolMgDL)
    let lnSBP = log(factors.sbpMmHg)
    let treated: Double = factors.bpTreated ? 1 : 0
    let smoker: Double = factors.smoker ? 1 : 0
    let diabetes: Double = factors.diabetes ? 1 : 0
    let centredAge = (factors.ageYears - 60) / 5
    let centredSBP = (factors.sbpMmHg - 120) / 20
    let centredTotalCholesterol = factors.totalCholesterolMmolL - 6
    let centredHDL = (factors.hdlCholesterolMmolL - 1.3) / 0.5
    row[RiskFeature.lnAge.rawValue] = lnAge
    row[RiskFeature.lnAgeSquared.rawValue] = lnAge * lnAge
    row[RiskFeature.lnTotalCholesterol.rawValue] = lnTotalCholesterol
    row[RiskFeature.lnAgeTimesLnTotalCholesterol.rawValue] = lnAge * lnTotalCholesterol
    row[RiskFeature.lnHDL.rawValue] = lnHDL
    row[RiskFeature.lnAgeTimesLnHDL.rawValue] = lnAge * lnHDL
    row[RiskFeature.lnTreatedSBP.rawValue] = treated * lnSBP
    row[RiskFeature.lnAgeTimesLnTreatedSBP.rawValue] = treated * lnAge * lnSBP
    row[RiskFeature.lnUntreatedSBP.rawValue] = (1 - treated) * lnSBP
    row[RiskFeature.lnAgeTimesLnUntreatedSBP.rawValue] = (1 - treated) * lnAge * lnSBP
    row[RiskFeature.smoker.rawValue] = smoker
    row[RiskFeature.lnAgeTimesSmoker.rawValue] = smoker * lnAge
    row[RiskFeature.diabetes.rawValue] = diabetes
    row[RiskFeature.centredAge.rawValue] = centredAge
    row[RiskFeature.centredSBP.rawValue] = centredSBP
    row[RiskFeature.centredTotalCholesterol.rawValue] = centredTotalCholesterol
    row[RiskFeature.centredHDL.rawValue] = centredHDL
    row[RiskFeature.centredAgeTimesSmoker.rawValue] = centredAge * smoker
    row[RiskFeature.centredAgeTimesCentredSBP.rawValue] = centredAge * centredSBP
    row[RiskFeature.centredAgeTimesCentredTotalCholesterol.rawValue] =
      centredAge * centredTotalCholesterol
    row[RiskFeature.centredAgeTimesCentredHDL.rawValue] = centredAge * centredHDL
    row[RiskFeature.centredAgeTimesDiabetes.rawValue] = centredAge * diabetes
  }
}
