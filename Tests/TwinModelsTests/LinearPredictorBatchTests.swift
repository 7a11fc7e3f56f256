import Testing

@testable import TwinModels

/// SplitMix64 (Steele et al. 2014): a tiny deterministic generator so the test block is the
/// same on every run.
private struct SplitMix64: RandomNumberGenerator {
  var state: UInt64
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

/// Persons spread over (and slightly beyond) the equations' ranges, all flags mixed.
private func randomBlock(count: Int, seed: UInt64) -> RiskFactorBlock {
  var generator = SplitMix64(state: seed)
  var block = RiskFactorBlock()
  for _ in 0..<count {
    block.append(
      RiskFactors(
        sex: Bool.random(using: &generator) ? .female : .male,
        ageYears: Double.random(in: 30...85, using: &generator),
        totalCholesterolMmolL: Double.random(in: 2.5...9.5, using: &generator),
        hdlCholesterolMmolL: Double.random(in: 0.5...3, using: &generator),
        sbpMmHg: Double.random(in: 85...210, using: &generator),
        bpTreated: Bool.random(using: &generator), smoker: Bool.random(using: &generator),
        diabetes: Bool.random(using: &generator)))
  }
  return block
}

private let selections: [RiskEquationSelection] = [
  .pooledCohort(.white), .pooledCohort(.black), .framingham2008, .score2,
]

/// The scalar equation for a selection, through the public `RiskEquation` API.
private func scalarEquation(_ selection: RiskEquationSelection) -> any RiskEquation {
  switch selection {
  case .pooledCohort(let race): return PooledCohortEquations(race: race)
  case .framingham2008: return Framingham2008()
  case .score2: return SCORE2()
  }
}

/// Relative agreement with a floor of 1 on the scale (SCORE2 predictors can be near 0).
private func agrees(_ value: Double, _ reference: Double) -> Bool {
  abs(value - reference) <= 1e-12 * max(1, abs(reference))
}

private func linearPredictors(
  _ block: RiskFactorBlock, _ selection: RiskEquationSelection,
  path: LinearPredictorBatch.Path, batch: LinearPredictorBatch
) -> [Double] {
  var output = [Double](repeating: .nan, count: block.count)
  block.withColumns { columns in
    output.withUnsafeMutableBufferPointer { buffer in
      batch.compute(columns, equation: selection, into: buffer, path: path)
    }
  }
  return output
}

@Test(arguments: LinearPredictorBatch.Path.allCases)
func batchPathAgreesWithScalarEquations(path: LinearPredictorBatch.Path) {
  let block = randomBlock(count: 2_000, seed: 20_131_112)
  let batch = LinearPredictorBatch(capacity: block.count)
  for selection in selections {
    let equation = scalarEquation(selection)
    let batchValues = linearPredictors(block, selection, path: path, batch: batch)
    let mismatches = block.withColumns { columns in
      (0..<columns.count).filter { !agrees(batchValues[$0], equation.linearPredictor(columns[$0])) }
    }
    #expect(mismatches.isEmpty, "\(path) \(selection): persons \(mismatches.prefix(5))")
  }
}

@Test func oneGemmGivesEveryGroupsLinearPredictorForEveryPerson() {
  let block = randomBlock(count: 500, seed: 7)
  let batch = LinearPredictorBatch(capacity: 1_000)
  block.withColumns { columns in
    let all = batch.computeAllGroups(columns)
    #expect(all.count == columns.count * RiskEquationGroup.allCases.count)
    for person in 0..<columns.count {
      var factors = columns[person]
      for group in RiskEquationGroup.allCases {
        // Evaluate each group through its own equation, whatever the person's sex: the
        // matrix column of a group must not depend on the person's sex.
        let reference: Double
        switch group {
        case .pooledCohortWhiteFemale, .pooledCohortBlackFemale, .framinghamFemale,
          .score2Female:
          factors.sex = .female
        default:
          factors.sex = .male
        }
        switch group {
        case .pooledCohortWhiteFemale, .pooledCohortWhiteMale:
          reference = PooledCohortEquations(race: .white).linearPredictor(factors)
        case .pooledCohortBlackFemale, .pooledCohortBlackMale:
          reference = PooledCohortEquations(race: .black).linearPredictor(factors)
        case .framinghamFemale, .framinghamMale:
          reference = Framingham2008().linearPredictor(factors)
        case .score2Female, .score2Male:
          reference = SCORE2().linearPredictor(factors)
        }
        let value = all[person * RiskEquationGroup.allCases.count + group.column]
        #expect(agrees(value, reference), "person \(person) \(group): \(value) vs \(reference)")
      }
    }
  }
}

@Test func defaultPathAgreesWithScalarEquationsOnPublishedExample() throws {
  // Goff 2013 Table A profile for both sexes through the default batch path.
  let persons = [Sex.female, .male].map { sex in
    RiskFactors(
      sex: sex, ageYears: 55, totalCholesterolMmolL: CholesterolUnit.mgPerDL.mmolPerL(213),
      hdlCholesterolMmolL: CholesterolUnit.mgPerDL.mmolPerL(50), sbpMmHg: 120)
  }
  let block = RiskFactorBlock(persons: persons)
  let batch = LinearPredictorBatch(capacity: 2)
  var output = [Double](repeating: .nan, count: 2)
  block.withColumns { columns in
    output.withUnsafeMutableBufferPointer { buffer in
      batch.compute(columns, equation: .pooledCohort(.white), into: buffer)
    }
  }
  #expect(abs(output[0] - -29.67) <= 0.035)
  #expect(abs(output[1] - 60.69) <= 0.035)
}

@Test func coefficientMatrixHoldsEachEquationsTableValues() {
  let groups = RiskEquationGroup.allCases.count
  let matrix = LinearPredictorBatch.coefficientMatrix
  func entry(_ feature: RiskFeature, _ group: RiskEquationGroup) -> Double {
    matrix[feature.rawValue * groups + group.column]
  }
  // Spot checks against docs/science.md tables.
  #expect(entry(.lnUntreatedSBP, .pooledCohortWhiteFemale) == 1.957)
  #expect(entry(.lnAgeTimesLnTreatedSBP, .pooledCohortBlackFemale) == -6.432)
  #expect(entry(.lnHDL, .framinghamMale) == -0.93263)
  #expect(entry(.centredAgeTimesCentredHDL, .score2Female) == 0.0613)
  #expect(entry(.smoker, .score2Male) == 0.6012)
  #expect(entry(.centredAge, .pooledCohortWhiteMale) == 0)
  #expect(entry(.lnAgeSquared, .framinghamFemale) == 0)
}

@Test func emptyBlockComputesNothing() {
  let block = RiskFactorBlock()
  let batch = LinearPredictorBatch(capacity: 0)
  for path in LinearPredictorBatch.Path.allCases {
    block.withColumns { columns in
      var output: [Double] = []
      output.withUnsafeMutableBufferPointer { buffer in
        batch.compute(columns, equation: .score2, into: buffer, path: path)
      }
      #expect(output.isEmpty)
    }
  }
}
