import Foundation
import TwinRandom

/// Draws synthetic persons from the scenario's distributions.
///
/// Person `p` is a pure function of (replicate seed, p): sex and age first,
/// then the risk factors from the distributions of the groups that contain
/// that sex and age (later groups override earlier ones). Continuous
/// attributes are normal, truncated to their physiological range by redrawing
/// (attempt `j` uses step `j` of the stream); after 64 rejected attempts, which
/// needs a distribution mostly outside the range, the value is the nearest
/// limit. Stream `population`: draw 0 (sex, age), 1 (smoking, diabetes),
/// 2 (bp_treated), 10 + a (normal of attribute a). Condition prevalences use
/// the stream `prevalence:<condition>`.
public struct PopulationSynthesizer: Sendable {
  public let spec: SyntheticPopulation
  public let startYear: Int
  public let conditionPrevalences: [(name: String, prevalence: Double)]
  let stream: RandomStream
  let prevalenceStreams: [RandomStream]

  public init(
    spec: SyntheticPopulation, startYear: Int,
    conditionPrevalences: [(name: String, prevalence: Double)], seed: UInt64
  ) {
    self.spec = spec
    self.startYear = startYear
    self.conditionPrevalences = conditionPrevalences
    stream = RandomStream(seed: seed, name: StreamName.population)
    prevalenceStreams = conditionPrevalences.map {
      RandomStream(seed: seed, name: "prevalence:\($0.name)")
    }
  }

  /// The persons with global indices in `range`.
  public func block(_ range: Range<Int>) -> PersonBlock {
    var block = PersonBlock(
      firstPerson: range.lowerBound, capacity: range.count,
      conditionCount: conditionPrevalences.count)
    for person in range {
      let id = UInt64(person)
      let (uSex, uAge) = stream.uniformPair(person: id, step: 0, draw: 0)
      let female = uSex < spec.femaleFraction
      let age: Double
      switch spec.ageAtStart {
      case .uniform(let minimum, let maximum):
        age = minimum + uAge * (maximum - minimum)
      case .birthCohort(let from, let to):
        // Birth time uniform over the years from ... to (inclusive); age on
        // 1 January of the start year.
        age = Double(startYear) - (Double(from) + uAge * Double(to - from + 1))
      }
      var sbp = spec.sbpMmHg
      var totalCholesterol = spec.totalCholesterolMmolPerL
      var hdl = spec.hdlMmolPerL
      var bmi = spec.bmiKgPerM2
      var smoking = spec.smokingFraction
      var diabetes = spec.diabetesFraction
      var treated = spec.bpTreatedFraction
      for group in spec.groups where group.contains(isFemale: female, ageYears: age) {
        sbp = group.sbpMmHg ?? sbp
        totalCholesterol = group.totalCholesterolMmolPerL ?? totalCholesterol
        hdl = group.hdlMmolPerL ?? hdl
        bmi = group.bmiKgPerM2 ?? bmi
        smoking = group.smokingFraction ?? smoking
        diabetes = group.diabetesFraction ?? diabetes
        treated = group.bpTreatedFraction ?? treated
      }
      let (uSmoking, uDiabetes) = stream.uniformPair(person: id, step: 0, draw: 1)
      let (uTreated, _) = stream.uniformPair(person: id, step: 0, draw: 2)
      block.personID.append(Int64(person))
      block.sex.append(female ? 0 : 1)
      block.ageYears.append(age)
      block.sbp.append(truncatedNormal(sbp, person: id, attribute: 0))
      block.totalCholesterol.append(truncatedNormal(totalCholesterol, person: id, attribute: 1))
      block.hdl.append(truncatedNormal(hdl, person: id, attribute: 2))
      block.bmi.append(truncatedNormal(bmi, person: id, attribute: 3))
      block.smoking.append(uSmoking < smoking ? 1 : 0)
      block.diabetes.append(uDiabetes < diabetes ? 1 : 0)
      block.bpTreated.append(uTreated < treated ? 1 : 0)
    }
    Self.drawConditions(
      &block, prevalences: conditionPrevalences.map(\.prevalence), streams: prevalenceStreams)
    return block
  }

  /// Draws which persons have each condition at the start (stream
  /// `prevalence:<condition>`, draw 0), for synthetic and table populations alike.
  public static func drawConditions(
    _ block: inout PersonBlock, conditionPrevalences: [(name: String, prevalence: Double)],
    seed: UInt64
  ) {
    drawConditions(
      &block, prevalences: conditionPrevalences.map(\.prevalence),
      streams: conditionPrevalences.map { RandomStream(seed: seed, name: "prevalence:\($0.name)") })
  }

  static func drawConditions(
    _ block: inout PersonBlock, prevalences: [Double], streams: [RandomStream]
  ) {
    for (index, prevalence) in prevalences.enumerated() {
      block.conditions[index] = (0..<block.count).map { person in
        let u = streams[index].uniform(
          person: UInt64(block.firstPerson + person), step: 0, draw: 0)
        return u < prevalence ? 1 : 0
      }
    }
  }

  func truncatedNormal(_ attribute: NormalAttribute, person: UInt64, attribute index: UInt32)
    -> Double
  {
    for attempt in 0..<64 {
      let z = stream.normal(person: person, step: UInt32(attempt), draw: 10 + index)
      let value = attribute.mean + attribute.sd * z
      if value >= attribute.lowerLimit && value <= attribute.upperLimit { return value }
    }
    return min(max(attribute.mean, attribute.lowerLimit), attribute.upperLimit)
  }
}
