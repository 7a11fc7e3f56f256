import Testing

@testable import TwinCore

/// Quantiles of U-number distributions match scipy.stats 1.17 (norm.ppf,
/// lognorm.ppf, beta.ppf), computed independently of this code.
@Suite struct UncertainValueTests {
  @Test(arguments: [
    (1e-20, -9.262340089798409), (0.001, -3.090232306167813), (0.025, -1.9599639845400545),
    (0.3, -0.5244005127080409), (0.5, 0.0), (0.8, 0.8416212335729143),
    (0.975, 1.959963984540054), (0.999999, 4.753424308817087),
  ])
  func standardNormalQuantileMatchesScipy(probability: Double, expected: Double) {
    let value = UncertainValue.normal(mean: 0, sd: 1).quantile(probability)
    #expect(abs(value - expected) <= 1e-14 * max(1, abs(expected)))
  }

  @Test func normalQuantileScalesMeanAndSd() {
    // 2 + 3 * norm.ppf(0.975)
    #expect(abs(UncertainValue.normal(mean: 2, sd: 3).quantile(0.975) - 7.879891953620162) < 1e-13)
  }

  @Test(arguments: [
    (0.025, 1.3734321204463233), (0.1, 1.4479727363849664), (0.5, 1.6),
    (0.975, 1.8639435920342962),
  ])
  func lognormalFromConfidenceIntervalMatchesScipy(probability: Double, expected: Double) {
    // lognorm.ppf(p, s=(ln 1.9 - ln 1.4) / (2 * 1.959964), scale=1.6)
    let value = UncertainValue.lognormal(mean: 1.6, ci95Low: 1.4, ci95High: 1.9).quantile(
      probability)
    #expect(abs(value - expected) <= 1e-13 * expected)
  }

  struct BetaCase: Sendable, CustomTestStringConvertible {
    var mean: Double
    var sd: Double
    var probability: Double
    var expected: Double
    var testDescription: String { "beta(mean \(mean), sd \(sd)) at \(probability)" }
  }

  @Test(arguments: [
    BetaCase(mean: 0.25, sd: 0.05, probability: 0.001, expected: 0.11737290582518474),
    BetaCase(mean: 0.25, sd: 0.05, probability: 0.05, expected: 0.17172367240038788),
    BetaCase(mean: 0.25, sd: 0.05, probability: 0.5, expected: 0.2477381604133189),
    BetaCase(mean: 0.25, sd: 0.05, probability: 0.99, expected: 0.37513545414135824),
    BetaCase(mean: 0.02, sd: 0.015, probability: 0.001, expected: 0.0002804130583108884),
    BetaCase(mean: 0.02, sd: 0.015, probability: 0.05, expected: 0.002946679471484661),
    BetaCase(mean: 0.02, sd: 0.015, probability: 0.5, expected: 0.016415942980922804),
    BetaCase(mean: 0.02, sd: 0.015, probability: 0.99, expected: 0.06957140486261935),
    BetaCase(mean: 0.5, sd: 0.4, probability: 0.001, expected: 1.8206138992467857e-10),
    BetaCase(mean: 0.5, sd: 0.4, probability: 0.05, expected: 0.000199963795199545),
    BetaCase(mean: 0.5, sd: 0.4, probability: 0.5, expected: 0.5000000000000001),
    BetaCase(mean: 0.5, sd: 0.4, probability: 0.99, expected: 0.9999993457055293),
  ])
  func betaQuantileMatchesScipy(_ test: BetaCase) {
    let value = UncertainValue.beta(mean: test.mean, sd: test.sd).quantile(test.probability)
    #expect(abs(value - test.expected) <= 1e-10 * test.expected, "got \(value)")
  }

  @Test func uniformQuantileIsLinear() {
    #expect(UncertainValue.uniform(min: 2, max: 6).quantile(0.25) == 3)
  }

  @Test func pointValuesAreMeanMedianOrMidpoint() {
    #expect(UncertainValue.fixed(3).pointValue == 3)
    #expect(UncertainValue.fixed(3).quantile(0.9) == 3)
    #expect(UncertainValue.normal(mean: -0.36, sd: 0.097).pointValue == -0.36)
    #expect(UncertainValue.lognormal(mean: 1.6, ci95Low: 1.4, ci95High: 1.9).pointValue == 1.6)
    #expect(UncertainValue.uniform(min: 0.5, max: 0.9).pointValue == 0.7)
    #expect(UncertainValue.beta(mean: 0.25, sd: 0.05).pointValue == 0.25)
  }
}

/// Misspelling suggestions.
@Suite struct NearestNameTests {
  @Test func editDistanceCountsInsertionsDeletionsSubstitutionsAndTranspositions() {
    #expect(NearestName.editDistance("kitten", "sitting") == 3)  // the textbook example
    #expect(NearestName.editDistance("horizon_year", "horizon_years") == 1)
    #expect(NearestName.editDistance("hdl", "hld") == 1)  // one transposition
    #expect(NearestName.editDistance("Score2", "score2") == 0)  // case-insensitive
    #expect(NearestName.editDistance("", "abc") == 3)
  }

  @Test func suggestionsNeedAPlausibleMisspelling() {
    let keys = ["start_year", "horizon_years", "step"]
    #expect(NearestName.suggestion(for: "horizon_year", among: keys) == "horizon_years")
    #expect(NearestName.suggestion(for: "stpe", among: keys) == "step")
    #expect(NearestName.suggestion(for: "colour", among: keys) == nil)
    #expect(NearestName.suggestion(for: "c", among: ["a", "b"]) == nil)
  }
}
