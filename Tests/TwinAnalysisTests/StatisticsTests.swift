import Testing

@testable import TwinAnalysis

/// Percentiles, moments and intervals against independent references
/// (numpy, Python's statistics module, scipy root finding).
struct StatisticsTests {
  // numpy.percentile([3, 1, 4, 1, 5, 9, 2, 6], [2.5, 50, 97.5]) = [1.0, 3.5, 8.475]
  // (method "linear", Hyndman and Fan definition 7).
  @Test func percentileMatchesNumpyLinearDefinition() {
    let sorted = [3.0, 1, 4, 1, 5, 9, 2, 6].sorted()
    #expect(Percentile.linear(sorted: sorted, fraction: 0.025) == 1.0)
    #expect(Percentile.linear(sorted: sorted, fraction: 0.5) == 3.5)
    #expect(abs(Percentile.linear(sorted: sorted, fraction: 0.975) - 8.475) < 1e-12)
  }

  // statistics.variance([2.5, 3.0, 7.25, 1.0, 4.5]) = 5.6125; numpy.percentile(...,
  // [2.5, 97.5]) = [1.15, 6.975]; sqrt(5.6125 / 5) = 1.0594810050208545.
  @Test func estimateOverRealisationsGivesMeanPercentilesAndStandardError() {
    let estimate = Estimate.overRealisations([2.5, 3.0, 7.25, 1.0, 4.5])
    #expect(abs(estimate.mean! - 3.65) < 1e-12)
    #expect(abs(estimate.lower95! - 1.15) < 1e-12)
    #expect(abs(estimate.upper95! - 6.975) < 1e-12)
    #expect(abs(estimate.mcse! - 1.0594810050208545) < 1e-12)
  }

  @Test func oneRealisationHasNoIntervalOverRealisations() {
    let estimate = Estimate.overRealisations([4.0])
    #expect(estimate.mean == 4.0)
    #expect(estimate.lower95 == nil && estimate.upper95 == nil && estimate.mcse == nil)
  }

  @Test func runningMomentsMatchTwoPassVarianceOnLargeOffsetData() {
    // Values near 1e9 defeat the naive sum-of-squares formula; Welford keeps
    // the variance of the offsets (statistics.variance([1, 2, 3, 4]) = 5/3).
    var moments = RunningMoments()
    for value in [1.0, 2, 3, 4] { moments.add(1e9 + value) }
    #expect(abs(moments.variance! - 5.0 / 3.0) < 1e-6)
    #expect(abs(moments.mean - (1e9 + 2.5)) < 1e-6)
  }

  // scipy.stats.norm.ppf(0.975) = 1.959963984540054.
  @Test func withinRunIntervalIsEstimatePlusMinusNormalQuantileTimesStandardError() {
    let estimate = Estimate.withinRun(value: 10, standardError: 2)
    #expect(abs(estimate.lower95! - (10 - 2 * 1.959963984540054)) < 1e-12)
    #expect(abs(estimate.upper95! - (10 + 2 * 1.959963984540054)) < 1e-12)
    #expect(estimate.mcse == 2)
  }

  // Roots of (0.7 - p)^2 = z^2 p (1 - p) / 100 by scipy.optimize.brentq.
  @Test func wilsonIntervalMatchesRootsOfTheScoreEquation() {
    let (lower, upper) = OutcomeCurves.wilson(fraction: 0.7, trials: 100)
    #expect(abs(lower - 0.6041514536665342) < 1e-12)
    #expect(abs(upper - 0.7810511470506724) < 1e-12)
  }

  // Roots of (x - lambda)^2 = z^2 lambda by scipy.optimize.brentq: x = 10 gives
  // 5.431986105614365 and 18.40947271507975; x = 0 gives 0 and 3.8414588206941254.
  @Test func poissonScoreIntervalMatchesRootsOfTheScoreEquation() {
    let (lower, upper) = OutcomeCurves.poissonScore(count: 10)
    #expect(abs(lower - 5.431986105614365) < 1e-9)
    #expect(abs(upper - 18.40947271507975) < 1e-9)
    let (zeroLower, zeroUpper) = OutcomeCurves.poissonScore(count: 0)
    #expect(abs(zeroLower) < 1e-12)
    #expect(abs(zeroUpper - 3.8414588206941254) < 1e-9)
  }

  // Altman 1998: the NNT interval is the inverted interval of the risk difference.
  @Test func numberNeededToTreatInvertsEventsAvertedAndIsUnboundedThroughZero() {
    let averted = Estimate(
      mean: 20, lower95: 10, upper95: 40, mcse: 5, realisationValues: [20])
    let nnt = ResultSummary.numberNeededToTreat(averted)
    #expect(nnt.mean == 50)
    #expect(nnt.lower95 == 25)
    #expect(nnt.upper95 == 100)
    #expect(nnt.mcse == 1000.0 * 5 / 400)
    let uncertain = Estimate(
      mean: 5, lower95: -2, upper95: 12, mcse: 3, realisationValues: [5])
    let open = ResultSummary.numberNeededToTreat(uncertain)
    #expect(open.mean == 200)
    #expect(abs(open.lower95! - 1000.0 / 12) < 1e-12)
    #expect(open.upper95 == nil)
    let harmful = Estimate(
      mean: -5, lower95: -8, upper95: -2, mcse: 1, realisationValues: [-5])
    let none = ResultSummary.numberNeededToTreat(harmful)
    #expect(none.mean == nil && none.lower95 == nil && none.upper95 == nil && none.mcse == nil)
  }

  @Test func niceTicksAreRoundAndCoverTheRange() {
    let unit = LineChart.niceTicks(0, 1)
    #expect(unit.count == 6)
    #expect(zip(unit, [0, 0.2, 0.4, 0.6, 0.8, 1.0]).allSatisfy { abs($0 - $1) < 1e-12 })
    let ticks = LineChart.niceTicks(103.4, 171.2)
    #expect(ticks.first! <= 103.4 && ticks.last! >= 171.2)
    #expect(ticks == [100, 120, 140, 160, 180])
  }

  @Test func numbersAreGroupedAndFloat32ValuesWrittenShortest() {
    #expect(Formatting.fixed(1_234_567.891, 1) == "1,234,567.9")
    #expect(Formatting.fixed(-2843.24, 1) == "-2,843.2")
    #expect(Formatting.shortest(Double(Float(128.4))) == "128.4")
    #expect(Formatting.shortest(0.1) == "0.1")
    #expect(Formatting.shortest(3) == "3")
    #expect(Formatting.shortest(.nan) == "")
    #expect(Formatting.csvField("a,b\"c") == "\"a,b\"\"c\"")
  }
}
