import Foundation
import Testing

@testable import TwinAnalysis

extension HDF5FileTests {
  /// `ResultSummary` on the hand-worked file of `SyntheticResultFile`.
  @Suite struct ResultSummaryTests {
    func summary(_ synthetic: SyntheticResultFile = SyntheticResultFile()) throws -> ResultSummary {
      let file = try ResultFile.open(path: try synthetic.write())
      return try ResultSummary.compute(file: file)
    }

    func close(_ value: Double?, _ expected: Double, _ tolerance: Double = 1e-9) -> Bool {
      guard let value else { return false }
      return abs(value - expected) <= tolerance
    }

    @Test func perArmMeasuresMatchHandComputation() throws {
      let result = try summary()
      #expect(result.intervalMethod == .withinRun)
      let base = result.arms[0]
      let treat = result.arms[1]
      #expect(base.isBaseline && !treat.isBaseline)
      #expect(base[.persons]?.mean == 4)
      // Lifetimes base [1.5, 2, 0.25, 2], treat [2, 2, 0.25, 2].
      #expect(close(base[.personYears]?.mean, 5.75))
      #expect(close(base[.rmstYears]?.mean, 1.4375))
      #expect(close(treat[.rmstYears]?.mean, 1.5625))
      // base: 2 CVD events (one fatal), 1 CVD death among 4 persons.
      #expect(close(base[.cvdEventsPer1000]?.mean, 500))
      #expect(close(base[.cvdDeathsPer1000]?.mean, 250))
      #expect(close(treat[.cvdEventsPer1000]?.mean, 0))
      #expect(base[.eventsAvertedPer1000] == nil && base[.numberNeededToTreat] == nil)
    }

    @Test func comparisonsAreWithinTheSameRealisation() throws {
      let treat = try summary().arms[1]
      #expect(close(treat[.eventsAvertedPer1000]?.mean, 500))
      #expect(close(treat[.lifeYearsGainedPer1000]?.mean, 125))
      // NNT = persons / events averted = 4 / 2.
      #expect(close(treat[.numberNeededToTreat]?.mean, 2))
    }

    // Reference: statistics.stdev(lifetimes) / sqrt(4) in Python:
    // base 0.41300474169997936, treat 0.4375. Paired per-person differences:
    // years gained [0.5, 0, 0, 0] (stdev 0.25), events averted [2, 0, 0, 0] (stdev 1).
    @Test func oneRealisationGetsPairedWithinRunStandardErrors() throws {
      let result = try summary()
      #expect(result.countErrorMethod == .perPerson)
      let base = result.arms[0]
      let treat = result.arms[1]
      #expect(close(base[.rmstYears]?.mcse, 0.41300474169997936))
      #expect(close(base[.personYears]?.mcse, 4 * 0.41300474169997936))
      #expect(close(treat[.rmstYears]?.mcse, 0.4375))
      #expect(close(treat[.lifeYearsGainedPer1000]?.mcse, 1000 * 0.25 / 2))
      #expect(close(treat[.eventsAvertedPer1000]?.mcse, 1000 * 1 / 2))
      // Per-person CVD events [2, 0, 0, 0] and deaths [1, 0, 0, 0].
      #expect(close(base[.cvdEventsPer1000]?.mcse, 500))
      #expect(close(base[.cvdDeathsPer1000]?.mcse, 250))
      let z = 1.959963984540054
      #expect(close(treat[.lifeYearsGainedPer1000]?.lower95, 125 - z * 125))
      #expect(close(treat[.lifeYearsGainedPer1000]?.upper95, 125 + z * 125))
    }

    @Test func severalRealisationsUsePercentilesAndStandardDeviationOverThem() throws {
      var synthetic = SyntheticResultFile()
      // A second realisation in which treat's events equal base's: averted 0.
      synthetic.arms[0].summary.append(synthetic.arms[0].summary[0])
      var same = synthetic.arms[0].summary[0]
      same["person_years"] = [0, 3.25, 3.5]
      synthetic.arms[1].summary.append(same)
      let result = try summary(synthetic)
      #expect(result.intervalMethod == .overRealisations)
      let averted = try #require(result.arms[1][.eventsAvertedPer1000])
      #expect(averted.realisationValues == [500, 0])
      #expect(close(averted.mean, 250))
      // numpy.percentile([500, 0], [2.5, 97.5]) = [12.5, 487.5]; stdev 353.55 / sqrt(2) = 250.
      #expect(close(averted.lower95, 12.5))
      #expect(close(averted.upper95, 487.5))
      #expect(close(averted.mcse, 250))
      let nnt = try #require(result.arms[1][.numberNeededToTreat])
      #expect(nnt.realisationValues == [2, nil])
      #expect(close(nnt.mean, 4))
      let gained = try #require(result.arms[1][.lifeYearsGainedPer1000])
      // (6.25 - 5.75) and (6.75 - 5.75) person-years per 4 persons, x 1,000.
      #expect(gained.realisationValues == [125, 250])
    }

    /// A condition that counts as cardiovascular (onset kind 16, death 17)
    /// and one that does not (18, 19): found from the summary totals. (With
    /// equal counts the two could not be told apart and the summary would fall
    /// back to Poisson errors.)
    func fileWithConditions() -> SyntheticResultFile {
      var synthetic = SyntheticResultFile()
      synthetic.kindNames += [
        (16, "hf_onset"), (17, "hf_death"), (18, "copd_onset"), (19, "copd_death"),
      ]
      // Person 1: heart failure at 0.5, COPD at 1.2; person 3: COPD at 0.7.
      // Different counts (1 and 2) make the choice unique.
      synthetic.arms[0].events.insert(
        contentsOf: [
          SyntheticResultFile.Event(person: 1, time: 0.5, kind: 16),
          SyntheticResultFile.Event(person: 1, time: 1.2, kind: 18),
        ], at: 2)
      synthetic.arms[0].events.append(SyntheticResultFile.Event(person: 3, time: 0.7, kind: 18))
      synthetic.arms[0].summary[0]["cvd_events"] = [0, 2, 1]
      synthetic.arms[0].summary[0]["hf_onsets"] = [0, 1, 0]
      synthetic.arms[0].summary[0]["copd_onsets"] = [0, 1, 1]
      for name in ["hf_onsets", "copd_onsets"] {
        synthetic.arms[1].summary[0][name] = [0, 0, 0]
      }
      return synthetic
    }

    @Test func cardiovascularConditionKindsAreFoundFromSummaryTotals() throws {
      let synthetic = fileWithConditions()
      let file = try ResultFile.open(path: try synthetic.write())
      let tables = try file.armNames.map { try EventTable(file: file, arm: $0) }
      let totals = try file.armNames.map { try RealisationTotals(file: file, arm: $0) }
      let arms = try zip(tables, totals).map { table, total in
        CardiovascularKinds.ArmTotals(
          countsByKind: try table.countsByKind(limits: ChunkLimits()),
          summaryCVDEvents: Int(total.cvdEvents[0]), summaryCVDDeaths: Int(total.cvdDeaths[0]))
      }
      let kinds = try #require(CardiovascularKinds.infer(kinds: tables[0].kinds, arms: arms))
      #expect(kinds.eventKinds == [1, 2, 16])
      // Its deaths (kind 17; none here) are cardiovascular deaths.
      #expect(kinds.deathKinds == [2, 17])
      let result = try ResultSummary.compute(file: file)
      // base per person: events [2, 1, 0, 0] -> statistics.stdev = 0.9574271077563381.
      #expect(result.countErrorMethod == .perPerson)
      #expect(close(result.arms[0][.cvdEventsPer1000]?.mcse, 1000 * 0.9574271077563381 / 2))
    }

    @Test func inconsistentCountsFallBackToPoissonAndBinomialErrors() throws {
      var synthetic = SyntheticResultFile()
      // The summary claims 3 CVD events; the events table explains 2.
      synthetic.arms[0].summary[0]["cvd_events"] = [0, 2, 1]
      let result = try summary(synthetic)
      #expect(result.countErrorMethod == .poissonApproximation)
      let base = result.arms[0]
      #expect(close(base[.cvdEventsPer1000]?.mcse, 1000 * 3.0.squareRoot() / 4))
      #expect(close(base[.cvdDeathsPer1000]?.mcse, 1000 * (0.25 * 0.75 / 4).squareRoot()))
      #expect(
        close(result.arms[1][.eventsAvertedPer1000]?.mcse, 1000 * 3.0.squareRoot() / 4))
    }

    @Test func smallBlocksGiveTheSameSummaryAsOneBlock() throws {
      let file = try ResultFile.open(path: try SyntheticResultFile().write())
      let whole = try ResultSummary.compute(file: file)
      let streamed = try ResultSummary.compute(file: file, limits: ChunkLimits(persons: 1))
      for (one, other) in zip(whole.arms, streamed.arms) {
        for measure in SummaryMeasure.allCases {
          #expect(one[measure] == other[measure])
        }
      }
    }

    @Test func eventsThatDisagreeWithPersonYearsAreALayoutError() throws {
      var synthetic = SyntheticResultFile()
      synthetic.arms[1].summary[0]["person_years"] = [0, 3.25, 2.0]
      #expect {
        _ = try summary(synthetic)
      } throws: { error in
        guard case AnalysisError.invalidLayout(_, let detail) = error else { return false }
        return detail.contains("person-years")
      }
    }

    // Ages at the start 98 to 100 and a 2-year horizon: everyone reaches 100. base: a = 3
    // alive at t = 1, d = 1 death in the last year, 2 alive at the end, so
    // mu = -ln(1 - 1/3) = ln 1.5 and LE = (5.75 + 2 / ln 1.5) / 4. treat: nobody dies in the
    // last year (d = 0), so the hazard and the measure are not defined.
    @Test func remainingLifeExpectancyAddsTheSurvivorsTailAtTheLastYearsHazard() throws {
      var synthetic = SyntheticResultFile()
      synthetic.startAges = [98, 99, 100, 98.5]
      let result = try summary(synthetic)
      #expect(result.horizonReachesAge100)
      #expect(result.youngestStartAgeYears == 98)
      let base = try #require(result.arms[0][.remainingLifeExpectancyYears])
      let expected = (5.75 + 2 / log(1.5)) / 4  // 2.6706514636371493
      #expect(close(base.mean, expected, 1e-12))
      // Within-run MCSE: that of the RMST, the tail taken as given.
      #expect(close(base.mcse, 0.41300474169997936))
      let z = 1.959963984540054
      #expect(close(base.lower95, expected - z * 0.41300474169997936))
      let treat = try #require(result.arms[1][.remainingLifeExpectancyYears])
      #expect(treat.mean == nil && treat.mcse == nil && treat.realisationValues == [nil])
      let row = try #require(
        result.rendered(.text).split(separator: "\n").first {
          $0.hasPrefix("  remaining life expectancy from the start age (years) ")
        })
      #expect(row.contains(" 2.67 "))
      #expect(result.rendered(.csv).contains("base,remaining_life_expectancy_years,years,"))
    }

    @Test func remainingLifeExpectancyOverRealisationsAndWithoutSurvivors() throws {
      var synthetic = SyntheticResultFile()
      synthetic.startAges = [98, 99, 100, 98.5]
      // Realisation 1 of base: both persons alive at t = 1 die in the last year (no tail);
      // of treat: one of three dies.
      var base = synthetic.arms[0].summary[0]
      base["alive"] = [4, 2, 0]
      base["deaths"] = [0, 2, 2]
      base["person_years"] = [0, 3, 1]
      synthetic.arms[0].summary.append(base)
      var treat = synthetic.arms[1].summary[0]
      treat["alive"] = [4, 3, 2]
      treat["deaths"] = [0, 1, 1]
      treat["person_years"] = [0, 3.5, 2.5]
      synthetic.arms[1].summary.append(treat)
      let result = try summary(synthetic)
      let baseLE = try #require(result.arms[0][.remainingLifeExpectancyYears])
      let first = (5.75 + 2 / log(1.5)) / 4
      #expect(close(baseLE.realisationValues[0], first, 1e-12))
      #expect(close(baseLE.realisationValues[1], 1, 1e-12))  // = RMST: nobody left
      #expect(close(baseLE.mean, (first + 1) / 2, 1e-12))
      // treat's first realisation has no death in the last year: not applicable.
      let treatLE = try #require(result.arms[1][.remainingLifeExpectancyYears])
      #expect(treatLE.mean == nil)
      #expect(treatLE.realisationValues[0] == nil)
      #expect(close(treatLE.realisationValues[1], (6 + 2 / log(1.5)) / 4, 1e-12))
    }

    @Test func remainingLifeExpectancyIsAbsentWhenSomeoneStaysBelow100() throws {
      var synthetic = SyntheticResultFile()
      synthetic.startAges = [98, 97.9, 100, 98.5]
      let result = try summary(synthetic)
      #expect(!result.horizonReachesAge100)
      #expect(result.arms.allSatisfy { $0[.remainingLifeExpectancyYears] == nil })
      #expect(!result.rendered(.text).contains("remaining life expectancy"))
      #expect(!result.rendered(.csv).contains("remaining_life_expectancy_years"))
      // Files without /persons/age: absent too.
      let older = try summary()
      #expect(older.youngestStartAgeYears == nil)
      #expect(older.arms.allSatisfy { $0[.remainingLifeExpectancyYears] == nil })
      // Ages read in blocks of one person give the same youngest age.
      let file = try ResultFile.open(path: try synthetic.write())
      let youngest = try ResultSummary.youngestStartAge(
        file: file, limits: ChunkLimits(persons: 1))
      #expect(youngest == Double(Float(97.9)))
    }

    @Test func jsonAndCSVCarryEveryMeasureWithExplicitNulls() throws {
      let result = try summary()
      let json = try #require(
        JSONSerialization.jsonObject(with: Data(result.rendered(.json).utf8)) as? [String: Any])
      #expect(json["format"] as? String == "twin-sim-summary/1")
      #expect(json["interval_method"] as? String == "within_run_normal_approximation")
      let arms = try #require(json["arms"] as? [[String: Any]])
      #expect(arms.count == 2)
      #expect(arms[0]["nnt"] is NSNull)
      let treatNNT = try #require(arms[1]["nnt"] as? [String: Any])
      #expect(treatNNT["mean"] as? Double == 2)
      #expect(treatNNT["upper95"] is NSNull)  // events-averted interval reaches below 0
      let csv = result.rendered(.csv).split(separator: "\n")
      #expect(csv[0] == "arm,measure,unit,mean,lower95,upper95,mcse,interval_method")
      // 5 per-arm measures for base, 8 for treat.
      #expect(csv.count == 1 + 5 + 8)
      #expect(csv.contains { $0.hasPrefix("treat,nnt,1,2.0,") && $0.contains(",,") })
      let text = result.rendered(.text)
      #expect(text.contains("arm treat versus base"))
      #expect(text.contains("RMST, restricted mean survival time over the horizon (years)"))
    }
  }
}
