import Foundation

/// Output formats of `twin-sim summary`.
public enum SummaryFormat: String, CaseIterable, Sendable {
  /// A table for people (the default).
  case text
  /// One JSON object (keys in docs/analysis.md).
  case json
  /// Long CSV: one row per arm and measure.
  case csv
}

extension ResultSummary {
  /// The summary in `format`, ending with a newline.
  public func rendered(_ format: SummaryFormat) -> String {
    switch format {
    case .text: return textTable()
    case .json: return json()
    case .csv: return csv()
    }
  }

  /// Decimals shown for a measure in tables and reports.
  static func decimals(_ measure: SummaryMeasure) -> Int {
    switch measure {
    case .persons, .personsTreated: return 0
    case .personYears, .cvdEventsPer1000, .cvdDeathsPer1000, .eventsAvertedPer1000,
      .lifeYearsGainedPer1000, .numberNeededToTreat, .eventsAvertedPer1000Treated,
      .numberNeededToTreatTreated:
      return 1
    case .rmstYears, .remainingLifeExpectancyYears: return 2
    case .riskHeldShare: return 3
    }
  }

  /// What the intervals cover: `parameter_uncertainty_only` (one replicate with parameter
  /// draws), `monte_carlo_and_parameters` (replicates and draws), `monte_carlo` (replicates
  /// or one realisation without draws).
  public var intervalScope: String {
    if parameterUncertaintyOnly { return "parameter_uncertainty_only" }
    if (provenance.parameterDraws ?? 0) > 0 { return "monte_carlo_and_parameters" }
    return "monte_carlo"
  }

  /// A sentence when the risk equation was held at its age limits for part of the
  /// person-time (the largest share over arms); nil when it never was.
  public var riskHeldNote: String? {
    let shares = arms.compactMap { $0[.riskHeldShare]?.mean }
    guard let largest = shares.max(), largest > 0 else { return nil }
    let equation = provenance.riskEquation.map { " (\($0))" } ?? ""
    return "the risk equation\(equation) was evaluated at the nearest age of its valid range "
      + "for up to \(Formatting.fixed(100 * largest, 1)) % of the person-years of an arm "
      + "(models.outside_validity: \(provenance.outsideValidity ?? "hold")); results for those "
      + "ages extrapolate the equation (docs/models.md, \"Validity ranges\")."
  }

  /// One sentence on where intervals and MCSEs come from.
  public var intervalExplanation: String {
    switch intervalMethod {
    case .overRealisations:
      let sentence =
        "95 % interval: 2.5 and 97.5 percentiles over the \(realisationCount) realisations "
        + "(replicates x parameter draws); MCSE: standard deviation over realisations / "
        + "sqrt(\(realisationCount))."
      guard parameterUncertaintyOnly else { return sentence }
      return sentence + " One replicate: every parameter draw simulates the same persons with "
        + "the same random numbers, so the intervals reflect parameter uncertainty only (no "
        + "Monte Carlo noise); an arm that no uncertain input reaches has none."
    case .withinRun:
      let counts =
        countErrorMethod == .perPerson
        ? "per-person event counts, paired with the baseline for differences"
        : "Poisson (events) and binomial (deaths) approximations, arms taken as independent"
      return "One realisation: MCSE is the within-run standard error with persons as the "
        + "sampling unit (per-person lifetimes; \(counts)); 95 % interval: estimate "
        + "+- 1.96 MCSE."
    }
  }

  // MARK: Text

  private func textTable() -> String {
    let realisationWord = realisationCount == 1 ? "realisation" : "realisations"
    var lines = [
      "twin-sim summary of \(path)",
      "scenario \(provenance.scenarioName), run \(provenance.runID), "
        + "twin-sim \(provenance.softwareVersion), seed \(provenance.seed)",
      "\(Formatting.fixed(Double(personCount), 0)) persons, horizon "
        + "\(Formatting.shortest(horizonYears)) years, \(realisationCount) \(realisationWord); "
        + "baseline arm: \(baselineArm)",
    ]
    if provenance.status != "complete" {
      lines.append("WARNING: status '\(provenance.status)': the run did not finish.")
    }
    lines.append(intervalExplanation)
    if let riskHeldNote { lines.append("NOTE: " + riskHeldNote) }
    let header = ["measure", "estimate", "95 % interval", "MCSE"]
    for arm in arms {
      lines.append("")
      lines.append(
        arm.isBaseline ? "arm \(arm.arm) (the baseline)" : "arm \(arm.arm) versus \(baselineArm)")
      var rows = [header]
      for measure in SummaryMeasure.allCases {
        guard let estimate = arm[measure] else { continue }
        let decimals = Self.decimals(measure)
        let unit = measure.unit == "years" ? " (years)" : ""
        rows.append([
          measure.label + unit, text(estimate.mean, decimals),
          intervalText(estimate, decimals), text(estimate.mcse, decimals + 1),
        ])
      }
      let widths = (0..<header.count).map { column in rows.map { $0[column].count }.max() ?? 0 }
      for row in rows {
        let label = row[0].padding(toLength: widths[0], withPad: " ", startingAt: 0)
        let cells = (1..<row.count).map { column in
          String(repeating: " ", count: widths[column] - row[column].count) + row[column]
        }
        lines.append("  " + ([label] + cells).joined(separator: "   "))
      }
    }
    return lines.joined(separator: "\n") + "\n"
  }

  private func text(_ value: Double?, _ decimals: Int) -> String {
    value.map { Formatting.fixed($0, decimals) } ?? "n/a"
  }

  /// "low to high"; "n/a" without an interval, "low to unbounded" for an NNT
  /// whose events-averted interval reaches zero.
  func intervalText(_ estimate: Estimate, _ decimals: Int) -> String {
    switch (estimate.lower95, estimate.upper95) {
    case (let lower?, let upper?):
      if lower == upper && parameterUncertaintyOnly {
        return "\(Formatting.fixed(lower, decimals)) (parameter uncertainty only: none here)"
      }
      return "\(Formatting.fixed(lower, decimals)) to \(Formatting.fixed(upper, decimals))"
    case (let lower?, nil):
      return "\(Formatting.fixed(lower, decimals)) to unbounded"
    default:
      return "n/a"
    }
  }

  // MARK: CSV

  private func csv() -> String {
    var lines = ["arm,measure,unit,mean,lower95,upper95,mcse,interval_method"]
    for arm in arms {
      for measure in SummaryMeasure.allCases {
        guard let estimate = arm[measure] else { continue }
        let numbers = [estimate.mean, estimate.lower95, estimate.upper95, estimate.mcse].map {
          $0.map { $0.description } ?? ""
        }
        lines.append(
          ([Formatting.csvField(arm.arm), measure.rawValue, measure.unit] + numbers
            + [intervalMethod.rawValue]).joined(separator: ","))
      }
    }
    return lines.joined(separator: "\n") + "\n"
  }

  // MARK: JSON

  private func json() -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    // Only a damaged (incomplete) file can hold non-finite sums; say so rather than fail.
    encoder.nonConformingFloatEncodingStrategy = .convertToString(
      positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    guard let data = try? encoder.encode(SummaryDocument(self)) else {
      preconditionFailure("summary JSON encodes plain numbers and strings only")
    }
    return String(decoding: data, as: UTF8.self) + "\n"
  }
}

/// The `--json` document (keys documented in docs/analysis.md).
private struct SummaryDocument: Encodable {
  let summary: ResultSummary

  init(_ summary: ResultSummary) { self.summary = summary }

  enum Keys: String, CodingKey {
    case format, file
    case scenarioName = "scenario_name"
    case runID = "run_id"
    case softwareVersion = "software_version"
    case seed, status, created
    case persons, realisations
    case horizonYears = "horizon_years"
    case baselineArm = "baseline_arm"
    case intervalMethod = "interval_method"
    case countErrorMethod = "count_error_method"
    case intervalScope = "interval_scope"
    case arms
  }

  func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: Keys.self)
    try container.encode("twin-sim-summary/1", forKey: .format)
    try container.encode(summary.path, forKey: .file)
    try container.encode(summary.provenance.scenarioName, forKey: .scenarioName)
    try container.encode(summary.provenance.runID, forKey: .runID)
    try container.encode(summary.provenance.softwareVersion, forKey: .softwareVersion)
    try container.encode(summary.provenance.seed, forKey: .seed)
    try container.encode(summary.provenance.status, forKey: .status)
    try container.encode(summary.provenance.created, forKey: .created)
    try container.encode(summary.personCount, forKey: .persons)
    try container.encode(summary.realisationCount, forKey: .realisations)
    try container.encode(summary.horizonYears, forKey: .horizonYears)
    try container.encode(summary.baselineArm, forKey: .baselineArm)
    try container.encode(summary.intervalMethod.rawValue, forKey: .intervalMethod)
    try container.encode(summary.countErrorMethod?.rawValue, forKey: .countErrorMethod)
    try container.encode(summary.intervalScope, forKey: .intervalScope)
    try container.encode(summary.arms.map(ArmDocument.init), forKey: .arms)
  }
}

private struct ArmDocument: Encodable {
  let arm: ArmSummary

  struct Key: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ string: String) { stringValue = string }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
  }

  func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: Key.self)
    try container.encode(arm.arm, forKey: Key("arm"))
    try container.encode(arm.isBaseline, forKey: Key("baseline"))
    for measure in SummaryMeasure.allCases {
      try container.encode(arm[measure].map(EstimateDocument.init), forKey: Key(measure.rawValue))
    }
    // The key `rmst_years` had before this release; kept for one release (docs/analysis.md).
    try container.encode(
      arm[.rmstYears].map(EstimateDocument.init), forKey: Key(SummaryMeasure.deprecatedRMSTKey))
  }
}

private struct EstimateDocument: Encodable {
  let estimate: Estimate

  enum Keys: String, CodingKey { case mean, lower95, upper95, mcse, values }

  func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: Keys.self)
    // Explicit nulls: "not available" is part of the answer.
    try container.encode(estimate.mean, forKey: .mean)
    try container.encode(estimate.lower95, forKey: .lower95)
    try container.encode(estimate.upper95, forKey: .upper95)
    try container.encode(estimate.mcse, forKey: .mcse)
    try container.encode(estimate.realisationValues, forKey: .values)
  }
}
