import Foundation
import HDF5Kit

/// The measures of `twin-sim summary`, in output order (definitions in
/// docs/analysis.md). Raw values are the JSON keys and CSV `measure` column.
public enum SummaryMeasure: String, CaseIterable, Sendable {
  case persons
  case personYears = "person_years"
  /// Restricted mean survival time over the horizon: person-years / persons, the mean
  /// time lived between the start and the horizon (not a life expectancy unless the
  /// horizon reaches the end of life).
  case rmstYears = "rmst_years"
  /// Remaining life expectancy from the start age: the RMST plus the mean time lived after
  /// the horizon by persons alive at its end, at the hazard of the last simulated year held
  /// constant. Only where every person's age at the start plus the horizon reaches 100.
  case remainingLifeExpectancyYears = "remaining_life_expectancy_years"
  case cvdEventsPer1000 = "cvd_events_per_1000"
  case cvdDeathsPer1000 = "cvd_deaths_per_1000"
  case eventsAvertedPer1000 = "events_averted_per_1000"
  case lifeYearsGainedPer1000 = "life_years_gained_per_1000"
  case numberNeededToTreat = "nnt"
  /// Persons on whom one of the arm's interventions acted (`summary/treatment_starts`).
  case personsTreated = "persons_treated"
  /// Events averted per 1,000 persons treated: 1,000 x (baseline - arm events) / treated.
  case eventsAvertedPer1000Treated = "events_averted_per_1000_treated"
  /// Number needed to treat per person actually treated: treated / events averted.
  case numberNeededToTreatTreated = "nnt_treated"
  /// Share of person-time whose risk was evaluated at an age held inside the risk
  /// equation's valid range (`summary/person_years_risk_held` / `person_years`).
  case riskHeldShare = "risk_held_share"

  /// Words for tables and reports.
  public var label: String {
    switch self {
    case .persons: return "persons"
    case .personYears: return "person-years"
    case .rmstYears: return "RMST, restricted mean survival time over the horizon"
    case .remainingLifeExpectancyYears: return "remaining life expectancy from the start age"
    case .cvdEventsPer1000: return "CVD events per 1,000"
    case .cvdDeathsPer1000: return "CVD deaths per 1,000"
    case .eventsAvertedPer1000: return "CVD events averted per 1,000"
    case .lifeYearsGainedPer1000: return "life-years gained per 1,000"
    case .numberNeededToTreat: return "number needed to treat, per person in the arm"
    case .personsTreated: return "persons treated"
    case .eventsAvertedPer1000Treated: return "CVD events averted per 1,000 treated"
    case .numberNeededToTreatTreated: return "number needed to treat, per person treated"
    case .riskHeldShare: return "share of person-years with risk held at age limits"
    }
  }

  /// Unit of the values.
  public var unit: String {
    switch self {
    case .persons, .cvdEventsPer1000, .cvdDeathsPer1000, .eventsAvertedPer1000,
      .numberNeededToTreat, .personsTreated, .eventsAvertedPer1000Treated,
      .numberNeededToTreatTreated, .riskHeldShare:
      return "1"
    case .personYears, .rmstYears, .remainingLifeExpectancyYears, .lifeYearsGainedPer1000:
      return "years"
    }
  }

  /// The JSON key of `rmstYears` in earlier releases, written beside `rmst_years` for one
  /// more release (deprecated; docs/analysis.md).
  public static let deprecatedRMSTKey = "life_expectancy_years"

  /// Whether the measure compares an arm with the baseline (absent for the baseline).
  public var isComparison: Bool {
    switch self {
    case .eventsAvertedPer1000, .lifeYearsGainedPer1000, .numberNeededToTreat, .personsTreated,
      .eventsAvertedPer1000Treated, .numberNeededToTreatTreated:
      return true
    default: return false
    }
  }
}

/// Where the 95 % intervals and Monte Carlo standard errors come from.
public enum IntervalMethod: String, Sendable {
  /// Two or more realisations: 2.5 and 97.5 percentiles over realisations,
  /// MCSE = sd / sqrt(R).
  case overRealisations = "percentiles_over_realisations"
  /// One realisation: persons are the sampling unit; MCSE is the standard
  /// error from per-person outcomes, the interval value +- 1.96 MCSE.
  case withinRun = "within_run_normal_approximation"
}

/// How within-run standard errors of cardiovascular counts were obtained.
public enum CountErrorMethod: String, Sendable {
  /// From per-person counts in the events table (paired for differences).
  case perPerson = "per_person"
  /// Per-person counts unavailable: Poisson for events, binomial for deaths,
  /// independent Poisson for differences (conservative under common random numbers).
  case poissonApproximation = "poisson_approximation"
}

/// The summary of one arm.
public struct ArmSummary: Sendable {
  public var arm: String
  public var isBaseline: Bool
  /// Every measure that applies: comparisons only for arms other than the baseline.
  public var estimates: [SummaryMeasure: Estimate]

  public subscript(measure: SummaryMeasure) -> Estimate? { estimates[measure] }
}

/// Per arm and versus the baseline: persons, person-years, restricted mean survival
/// time over the horizon, cardiovascular events and deaths, events averted, life-years
/// gained and the number needed to treat, each with a 95 % interval and its
/// Monte Carlo standard error (definitions in docs/analysis.md).
public struct ResultSummary: Sendable {
  public var path: String
  public var provenance: RunProvenance
  public var personCount: Int
  public var realisationCount: Int
  public var horizonYears: Double
  public var baselineArm: String
  public var intervalMethod: IntervalMethod
  /// With one realisation: how the standard errors of cardiovascular counts were found.
  public var countErrorMethod: CountErrorMethod?
  /// The youngest age at the start (`/persons/age`); nil in files without it.
  public var youngestStartAgeYears: Double?
  public var arms: [ArmSummary]

  /// The age every person reaches at the horizon before the remaining life expectancy
  /// is shown: the horizon then covers nearly all of life.
  public static let lifeExpectancyAge = 100.0

  /// Whether every person's age at the start plus the horizon reaches
  /// `lifeExpectancyAge`, so that `remaining_life_expectancy_years` is shown.
  public var horizonReachesAge100: Bool {
    guard let youngest = youngestStartAgeYears else { return false }
    return youngest + horizonYears >= Self.lifeExpectancyAge
  }

  /// One replicate with parameter draws: every draw simulates the same persons with the same
  /// random numbers, so the spread over realisations is parameter uncertainty only, and an
  /// arm no uncertain input reaches has an interval of zero width.
  public var parameterUncertaintyOnly: Bool {
    realisationCount >= 2 && provenance.replicates == 1 && (provenance.parameterDraws ?? 0) > 0
  }

  /// Persons per 1,000 in rates.
  static let ratePer = 1000.0

  /// Computes the summary. With one realisation it makes one streaming pass
  /// over the events tables (blocks of `limits.persons`) for the within-run
  /// standard errors; otherwise it reads only the summary datasets.
  public static func compute(
    file: ResultFile, limits: ChunkLimits = ChunkLimits()
  ) throws(AnalysisError) -> ResultSummary {
    guard file.personCount > 0 else {
      throw .invalidLayout(path: file.path, detail: "n_persons is 0")
    }
    let persons = Double(file.personCount)
    let totals = try file.armNames.map { arm throws(AnalysisError) in
      try RealisationTotals(file: file, arm: arm)
    }
    guard let baselineIndex = file.armNames.firstIndex(of: file.baselineArm) else {
      throw .unknownArm(path: file.path, arm: file.baselineArm, available: file.armNames)
    }
    let baseline = totals[baselineIndex]
    let youngestStartAge = try Self.youngestStartAge(file: file, limits: limits)
    var lastYear: [LastYear?] = file.armNames.map { _ in nil }
    if let youngestStartAge, youngestStartAge + file.horizonYears >= lifeExpectancyAge {
      lastYear = try file.armNames.map { arm throws(AnalysisError) in
        try LastYear(file: file, arm: arm)
      }
    }

    // Values per realisation of every measure and arm.
    var values: [[SummaryMeasure: [Double]]] = []
    for (index, arm) in totals.enumerated() {
      var measures: [SummaryMeasure: [Double]] = [
        .persons: arm.personYears.map { _ in persons },
        .personYears: arm.personYears,
        .rmstYears: arm.personYears.map { $0 / persons },
        .cvdEventsPer1000: arm.cvdEvents.map { ratePer * $0 / persons },
        .cvdDeathsPer1000: arm.cvdDeaths.map { ratePer * $0 / persons },
      ]
      if index != baselineIndex {
        measures[.eventsAvertedPer1000] = zip(baseline.cvdEvents, arm.cvdEvents).map {
          ratePer * ($0 - $1) / persons
        }
        measures[.lifeYearsGainedPer1000] = zip(arm.personYears, baseline.personYears).map {
          ratePer * ($0 - $1) / persons
        }
        if let treated = arm.treated {
          measures[.personsTreated] = treated
          // Without anyone treated in a realisation the rate is not defined there.
          measures[.eventsAvertedPer1000Treated] = zip(
            zip(baseline.cvdEvents, arm.cvdEvents), treated
          ).map { events, treated in
            treated > 0 ? ratePer * (events.0 - events.1) / treated : .nan
          }
        }
      }
      if let lastYear = lastYear[index] {
        measures[.remainingLifeExpectancyYears] = zip(arm.personYears, lastYear.tailYears).map {
          ($0 + $1) / persons
        }
      }
      if let held = arm.riskHeldPersonYears {
        measures[.riskHeldShare] = zip(held, arm.personYears).map { $1 > 0 ? $0 / $1 : 0 }
      }
      values.append(measures)
    }

    var estimates: [[SummaryMeasure: Estimate]]
    var countErrorMethod: CountErrorMethod?
    if file.realisationCount >= 2 {
      estimates = values.map { $0.mapValues { Estimate.overRealisations($0) } }
    } else {
      let errors = try WithinRunErrors.compute(file: file, totals: totals, limits: limits)
      countErrorMethod = errors.countMethod
      estimates = values.enumerated().map { index, measures in
        var result: [SummaryMeasure: Estimate] = [:]
        for (measure, series) in measures {
          if let error = errors.standardErrors[index][measure] {
            result[measure] = .withinRun(value: series[0], standardError: error)
          } else {
            result[measure] = .overRealisations(series)
          }
        }
        return result
      }
    }
    for index in estimates.indices {
      // A realisation with survivors but no death in the last year has no hazard to carry
      // on: the estimate is not applicable; `values` keeps the other realisations'.
      if let remaining = estimates[index][.remainingLifeExpectancyYears],
        remaining.realisationValues.contains(where: { !($0?.isFinite ?? false) })
      {
        var notApplicable = Estimate.notApplicable(remaining)
        notApplicable.realisationValues = remaining.realisationValues.map {
          $0.flatMap { $0.isFinite ? $0 : nil }
        }
        estimates[index][.remainingLifeExpectancyYears] = notApplicable
      }
    }
    for index in estimates.indices where index != baselineIndex {
      if let averted = estimates[index][.eventsAvertedPer1000] {
        estimates[index][.numberNeededToTreat] = numberNeededToTreat(averted)
      }
      if let averted = estimates[index][.eventsAvertedPer1000Treated] {
        // Nobody treated in some realisation: no rate per person treated there.
        if averted.mean.map({ !$0.isFinite }) ?? true {
          estimates[index][.eventsAvertedPer1000Treated] = .notApplicable(averted)
          estimates[index][.numberNeededToTreatTreated] = .notApplicable(averted)
        } else {
          estimates[index][.numberNeededToTreatTreated] = numberNeededToTreat(averted)
        }
      }
    }
    let arms = file.armNames.enumerated().map { index, name in
      ArmSummary(arm: name, isBaseline: index == baselineIndex, estimates: estimates[index])
    }
    return ResultSummary(
      path: file.path, provenance: file.provenance, personCount: file.personCount,
      realisationCount: file.realisationCount, horizonYears: file.horizonYears,
      baselineArm: file.baselineArm,
      intervalMethod: file.realisationCount >= 2 ? .overRealisations : .withinRun,
      countErrorMethod: countErrorMethod, youngestStartAgeYears: youngestStartAge, arms: arms)
  }

  /// The youngest age at the start, `/persons/age` read in blocks of `limits.persons`;
  /// nil when the file has no such dataset (or no finite age).
  static func youngestStartAge(
    file: ResultFile, limits: ChunkLimits
  ) throws(AnalysisError) -> Double? {
    let root = file.root
    let dataset: H5Dataset<Double>? = try readingHDF5 { () throws(HDF5Error) in
      guard try root.contains("persons"), try root.openGroup("persons").contains("age") else {
        return nil
      }
      return try root.openGroup("persons").openDataset("age", of: Double.self)
    }
    guard let dataset else { return nil }
    let count = try readingHDF5 { () throws(HDF5Error) in try dataset.shape().first ?? 0 }
    guard count == file.personCount else {
      throw .invalidLayout(
        path: file.path,
        detail: "/persons/age holds \(count) ages, expected \(file.personCount) (n_persons)")
    }
    var youngest: Double?
    var start = 0
    while start < count {
      let end = Swift.min(count, start + limits.persons)
      let ages = try readingHDF5 { () throws(HDF5Error) in
        try dataset.read(offset: [start], count: [end - start])
      }
      for age in ages where age.isFinite && age < (youngest ?? .infinity) { youngest = age }
      start = end
    }
    return youngest
  }

  /// The number needed to treat from events averted per 1,000 persons:
  /// 1,000 / averted where averted > 0, else not applicable. Its interval
  /// inverts the interval of events averted (Altman 1998, BMJ 317:1309-1312);
  /// when that interval reaches zero or below, the upper end is unbounded
  /// (nil). MCSE by the delta method: 1,000 x MCSE(averted) / averted^2.
  static func numberNeededToTreat(_ averted: Estimate) -> Estimate {
    func inverted(_ value: Double?) -> Double? {
      guard let value, value > 0 else { return nil }
      return ratePer / value
    }
    let mean = inverted(averted.mean)
    var mcse: Double?
    if let averagedAverted = averted.mean, mean != nil, let error = averted.mcse {
      mcse = ratePer * error / (averagedAverted * averagedAverted)
    }
    return Estimate(
      mean: mean, lower95: inverted(averted.upper95), upper95: inverted(averted.lower95),
      mcse: mcse, realisationValues: averted.realisationValues.map { inverted($0) })
  }
}

/// Sums over time of an arm's summary datasets, per realisation.
struct RealisationTotals {
  var personYears: [Double]
  var cvdEvents: [Double]
  var cvdDeaths: [Double]
  /// Persons treated (`treatment_starts`); nil in files written before it was recorded.
  var treated: [Double]?
  /// `person_years_risk_held`; nil in files written before it was recorded.
  var riskHeldPersonYears: [Double]?

  init(file: ResultFile, arm: String) throws(AnalysisError) {
    func totals(_ name: String) throws(AnalysisError) -> [Double] {
      try file.summaryRows(arm: arm, dataset: name).map { $0.reduce(0, +) }
    }
    personYears = try totals("person_years")
    cvdEvents = try totals("cvd_events")
    cvdDeaths = try totals("cvd_deaths")
    if try file.hasSummaryDataset(arm: arm, dataset: "treatment_starts") {
      treated = try totals("treatment_starts")
    }
    if try file.hasSummaryDataset(arm: arm, dataset: "person_years_risk_held") {
      riskHeldPersonYears = try totals("person_years_risk_held")
    }
  }
}

/// The last simulated year of an arm, per realisation, and the expected person-years lived
/// after the horizon by the persons alive at its end (docs/analysis.md,
/// `remaining_life_expectancy_years`): with a persons alive at the start of the last year
/// and d deaths in it, the hazard mu = -ln(1 - d / a) per year held constant beyond the
/// horizon gives each survivor 1 / mu more years on average.
struct LastYear {
  /// Persons alive at the start of the last year (a), per realisation.
  var aliveAtStart: [Double]
  /// Deaths in the last year (d).
  var deaths: [Double]
  /// Persons alive at the horizon.
  var aliveAtEnd: [Double]

  /// nil when `/time` has no time point one year before the horizon (yearly and monthly
  /// steps always have one).
  init?(file: ResultFile, arm: String) throws(AnalysisError) {
    let times = file.timesYears
    let startOfLastYear = file.horizonYears - 1
    guard
      let first = times.firstIndex(where: { abs($0 - startOfLastYear) <= 1e-6 }),
      first < times.count - 1
    else { return nil }
    let alive = try file.summaryRows(arm: arm, dataset: "alive")
    let deaths = try file.summaryRows(arm: arm, dataset: "deaths")
    aliveAtStart = alive.map { $0[first] }
    self.deaths = deaths.map { $0[(first + 1)...].reduce(0, +) }
    aliveAtEnd = alive.map { $0[times.count - 1] }
  }

  /// Person-years expected after the horizon per realisation: alive at the end x 1 / mu;
  /// 0 when nobody is alive at the end (the horizon then reached every death), NaN (not
  /// applicable) when someone is but nobody died in the last year.
  var tailYears: [Double] {
    zip(zip(aliveAtStart, deaths), aliveAtEnd).map { pair, survivors in
      let (alive, died) = pair
      if survivors == 0 { return 0 }
      guard alive > 0, died > 0 else { return .nan }
      let hazard = -log1p(-died / alive)
      return survivors / hazard
    }
  }
}

/// Within-run standard errors of a single realisation, per arm and measure.
struct WithinRunErrors {
  var standardErrors: [[SummaryMeasure: Double]]
  var countMethod: CountErrorMethod

  static func compute(
    file: ResultFile, totals: [RealisationTotals], limits: ChunkLimits
  ) throws(AnalysisError) -> WithinRunErrors {
    let tables = try file.armNames.map { arm throws(AnalysisError) in
      try EventTable(file: file, arm: arm)
    }
    var armTotals: [CardiovascularKinds.ArmTotals] = []
    for (table, total) in zip(tables, totals) {
      armTotals.append(
        CardiovascularKinds.ArmTotals(
          countsByKind: try table.countsByKind(limits: limits),
          summaryCVDEvents: try file.exactCount(total.cvdEvents[0], "summary/cvd_events"),
          summaryCVDDeaths: try file.exactCount(total.cvdDeaths[0], "summary/cvd_deaths")))
    }
    let cardiovascular = tables.first.flatMap {
      CardiovascularKinds.infer(kinds: $0.kinds, arms: armTotals)
    }
    let moments = try WithinRunMoments.compute(
      file: file, tables: tables, cardiovascular: cardiovascular, limits: limits)

    let persons = Double(file.personCount)
    let rate = ResultSummary.ratePer
    // The events tables and the summary must tell the same story.
    for (index, arm) in file.armNames.enumerated() {
      let perPersonTotal = moments.lifetime[index].mean * persons
      let summaryTotal = totals[index].personYears[0]
      // Person-time is summed in units of 1e-9 years per person and step.
      let tolerance = 1e-9 * persons * Double(file.timesYears.count) + 1e-12 * summaryTotal
      if abs(perPersonTotal - summaryTotal) > tolerance {
        throw .invalidLayout(
          path: file.path,
          detail: "/arms/\(arm): the events table gives \(perPersonTotal) person-years, "
            + "summary/person_years of realisation 0 \(summaryTotal)")
      }
    }
    let baselineIndex = file.armNames.firstIndex(of: file.baselineArm) ?? 0
    var errors: [[SummaryMeasure: Double]] = []
    for index in file.armNames.indices {
      var armErrors: [SummaryMeasure: Double] = [.persons: 0]
      if let lifetime = moments.lifetime[index].standardErrorOfMean {
        armErrors[.rmstYears] = lifetime
        // The tail after the horizon is taken as given: the RMST's error.
        armErrors[.remainingLifeExpectancyYears] = lifetime
        armErrors[.personYears] = persons * lifetime
      }
      if index != baselineIndex, let gained = moments.lifetimeGained[index].standardErrorOfMean {
        armErrors[.lifeYearsGainedPer1000] = rate * gained
      }
      let events = totals[index].cvdEvents[0]
      let deathShare = totals[index].cvdDeaths[0] / persons
      if moments.cardiovascularPerPerson {
        armErrors[.cvdEventsPer1000] = moments.cvdEvents[index].standardErrorOfMean.map {
          rate * $0
        }
        armErrors[.cvdDeathsPer1000] = moments.cvdDeath[index].standardErrorOfMean.map {
          rate * $0
        }
        if index != baselineIndex {
          armErrors[.eventsAvertedPer1000] = moments.eventsAverted[index].standardErrorOfMean
            .map { rate * $0 }
        }
      } else {
        // Poisson for events (a person may have several), binomial for deaths
        // (at most one per person), independent arms for the difference.
        armErrors[.cvdEventsPer1000] = rate * events.squareRoot() / persons
        armErrors[.cvdDeathsPer1000] = rate * (deathShare * (1 - deathShare) / persons).squareRoot()
        if index != baselineIndex {
          armErrors[.eventsAvertedPer1000] =
            rate * (events + totals[baselineIndex].cvdEvents[0]).squareRoot() / persons
        }
      }
      // Per person treated: the same paired difference, over the treated instead of all n
      // (the number treated taken as given).
      if index != baselineIndex, let averted = armErrors[.eventsAvertedPer1000],
        let treated = totals[index].treated?.first, treated > 0
      {
        armErrors[.eventsAvertedPer1000Treated] = averted * persons / treated
      }
      errors.append(armErrors)
    }
    return WithinRunErrors(
      standardErrors: errors,
      countMethod: cardiovascular != nil ? .perPerson : .poissonApproximation)
  }
}
