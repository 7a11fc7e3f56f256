import Testing

@testable import TwinModels

// Published worked example: SCORE2, Eur Heart J 2021;42:2439-2454, Supplementary Methods
// (copied in the docs/science.md section 1): 50 years, smoker, SBP 140 mmHg, TC 6.3 mmol/L,
// HDL 1.4 mmol/L, no diabetes. Linear predictor printed to 4 decimals, risks in percent to
// 2 decimals.

private struct PublishedSCORE2 {
  let sex: Sex
  let linearPredictor: Double
  let uncalibrated: Double
  let byRegion: [SCORE2.Region: Double]
}

private let published: [PublishedSCORE2] = [
  PublishedSCORE2(
    sex: .male, linearPredictor: 0.3221, uncalibrated: 0.0541,
    byRegion: [.low: 0.0631, .moderate: 0.0811, .high: 0.0881, .veryHigh: 0.1506]),
  PublishedSCORE2(
    sex: .female, linearPredictor: 0.3979, uncalibrated: 0.0332,
    byRegion: [.low: 0.0433, .moderate: 0.0523, .high: 0.0713, .veryHigh: 0.1413]),
]

private func example(sex: Sex) -> RiskFactors {
  RiskFactors(
    sex: sex, ageYears: 50, totalCholesterolMmolL: 6.3, hdlCholesterolMmolL: 1.4, sbpMmHg: 140,
    bpTreated: false, smoker: true, diabetes: false)
}

@Test func scoreTwoMatchesPublishedWorkedExample() throws {
  for row in published {
    for region in SCORE2.Region.allCases {
      let estimate = try SCORE2(region: region).evaluate(example(sex: row.sex))
      #expect(abs(estimate.linearPredictor - row.linearPredictor) <= 0.00005)
      let uncalibrated = try #require(estimate.risk10Uncalibrated)
      #expect(abs(uncalibrated - row.uncalibrated) <= 0.00005)
      let expected = try #require(row.byRegion[region])
      #expect(
        abs(estimate.risk10 - expected) <= 0.00005,
        "\(row.sex) \(region): \(estimate.risk10)")
    }
  }
}

@Test func scoreTwoLinearPredictorDoesNotDependOnRegion() {
  let person = example(sex: .female)
  let values = SCORE2.Region.allCases.map { SCORE2(region: $0).linearPredictor(person) }
  #expect(Set(values).count == 1)
}

@Test func scoreTwoRejectsAgeSeventyNamingFortyToSixtyNine() {
  var person = example(sex: .male)
  person.ageYears = 70
  do {
    _ = try SCORE2().evaluate(person)
    Issue.record("age 70 was accepted")
  } catch {
    #expect(error.description.contains("40-69 years"))
  }
}

@Test func scoreTwoDefaultRegionIsModerate() {
  #expect(SCORE2().region == .moderate)
}
