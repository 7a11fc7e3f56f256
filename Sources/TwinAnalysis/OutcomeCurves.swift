/// A quantity of one arm over time with a 95 % band.
public struct ArmCurve: Sendable {
  public var arm: String
  /// Time points in years since the start.
  public var timesYears: [Double]
  /// Mean over realisations at each time point.
  public var mean: [Double]
  public var lower95: [Double]
  public var upper95: [Double]
}

/// Survival and cumulative cardiovascular events per arm from the summary
/// datasets, with 95 % bands:
/// - two or more realisations: 2.5 and 97.5 percentiles over realisations at
///   each time point (as the summary);
/// - one realisation: within-run score intervals with persons as the sampling
///   unit: Wilson's for the fraction alive (Wilson 1927, JASA 22:209-212) and
///   the Poisson score interval x + z^2/2 +- z sqrt(x + z^2/4) for the
///   cumulative count x. Both stay within the possible values (no clamping).
public enum OutcomeCurves {
  /// Fraction of the persons alive at each time point (`summary/alive` / n_persons).
  public static func survival(file: ResultFile, arm: String) throws(AnalysisError) -> ArmCurve {
    let persons = Double(file.personCount)
    let rows = try file.summaryRows(arm: arm, dataset: "alive")
    return curve(
      arm: arm, file: file, rows: rows.map { $0.map { $0 / persons } },
      singleRealisationBand: { fraction in wilson(fraction: fraction, trials: persons) })
  }

  /// Cardiovascular events (fatal and non-fatal) per 1,000 persons from the
  /// start up to each time point: the cumulative sum of `summary/cvd_events`
  /// x 1,000 / n_persons. It counts repeat events of a person, so it is the
  /// mean cumulative count (Nelson 1988), which equals the cumulative
  /// incidence of a first event when no one has two.
  public static func cumulativeCVDEventsPer1000(
    file: ResultFile, arm: String
  ) throws(AnalysisError) -> ArmCurve {
    let scale = ResultSummary.ratePer / Double(file.personCount)
    let rows = try file.summaryRows(arm: arm, dataset: "cvd_events").map { row in
      var total = 0.0
      return row.map { count in
        total += count
        return total * scale
      }
    }
    return curve(
      arm: arm, file: file, rows: rows,
      singleRealisationBand: { per1000 in
        let (low, high) = poissonScore(count: per1000 / scale)
        return (low * scale, high * scale)
      })
  }

  private static func curve(
    arm: String, file: ResultFile, rows: [[Double]],
    singleRealisationBand: (Double) -> (Double, Double)
  ) -> ArmCurve {
    let times = file.timesYears
    var result = ArmCurve(arm: arm, timesYears: times, mean: [], lower95: [], upper95: [])
    for time in times.indices {
      let values = rows.map { $0[time] }
      let estimate = Estimate.overRealisations(values)
      let mean = estimate.mean ?? .nan
      result.mean.append(mean)
      if let lower = estimate.lower95, let upper = estimate.upper95 {
        result.lower95.append(lower)
        result.upper95.append(upper)
      } else {
        let (lower, upper) = singleRealisationBand(mean)
        result.lower95.append(lower)
        result.upper95.append(upper)
      }
    }
    return result
  }

  /// Wilson's score interval of a binomial proportion (95 %).
  static func wilson(fraction: Double, trials: Double) -> (Double, Double) {
    let z = standardNormalQuantile975
    let zSquaredPerTrial = z * z / trials
    let centre = (fraction + zSquaredPerTrial / 2) / (1 + zSquaredPerTrial)
    let halfWidth =
      z / (1 + zSquaredPerTrial)
      * (fraction * (1 - fraction) / trials + zSquaredPerTrial / (4 * trials)).squareRoot()
    return (centre - halfWidth, centre + halfWidth)
  }

  /// The score interval of a Poisson mean from one count (95 %): the values
  /// lambda with (count - lambda)^2 <= z^2 lambda.
  static func poissonScore(count: Double) -> (Double, Double) {
    let z = standardNormalQuantile975
    let centre = count + z * z / 2
    let halfWidth = z * (count + z * z / 4).squareRoot()
    return (centre - halfWidth, centre + halfWidth)
  }
}
