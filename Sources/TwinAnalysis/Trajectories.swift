/// A risk factor or physiology output of one arm over time: its mean and
/// percentiles over the persons alive at each time point (realisation 0).
public struct Trajectory: Sendable {
  public var arm: String
  /// Dataset name under `/arms/<arm>`, e.g. `sbp`.
  public var variable: String
  /// The dataset's `units` attribute, e.g. `mmHg` (`1` for fractions).
  public var units: String
  public var timesYears: [Double]
  /// Persons with a value at each time point (the persons alive: series are
  /// NaN after death).
  public var personsWithValue: [Int]
  /// Mean at each time point (exact); NaN where no one has a value.
  public var mean: [Double]
  /// Percentiles at each time point, keyed by fraction (0.1 is the 10th
  /// percentile); NaN where no one has a value.
  public var percentiles: [Double: [Double]]
  /// Percentiles are accurate to about this much (the histogram's bin width),
  /// in `units`.
  public var percentileResolution: Double
}

/// Streaming trajectories of per-person series. Two passes over persons in
/// blocks (`ChunkLimits`), so memory does not grow with the number of persons:
/// the first finds the range and the mean at each time point, the second
/// fills a histogram of `histogramBins` bins per time point, from which the
/// percentiles are read by linear interpolation within the bin that holds
/// them. The mean is exact; a percentile is accurate to about one bin width
/// ((maximum - minimum) / 4,096, e.g. 0.04 mmHg for SBP between 70 and 230).
public enum TrajectoryAnalysis {
  /// Series shown when an arm records them: risk factors, then the outputs of
  /// the physiology model.
  public static let variables = [
    "sbp", "total_cholesterol", "hdl", "bmi", "risk10",
    "sbp_model", "dbp_model", "pulse_pressure", "cardiac_output", "ejection_fraction", "pwv",
  ]
  /// Percentiles computed at each time point.
  public static let percentileFractions = [0.10, 0.25, 0.50, 0.75, 0.90]
  static let histogramBins = 4096

  /// The trajectory of `variable` in `arm`, or nil when the arm does not
  /// record it or it has no finite value (e.g. risk10 without a risk equation).
  public static func compute(
    file: ResultFile, arm: String, variable: String, limits: ChunkLimits = ChunkLimits()
  ) throws(AnalysisError) -> Trajectory? {
    guard let series = try file.series(arm: arm, name: variable) else { return nil }
    let timePoints = file.timesYears.count
    let blockPersons = limits.personsPerBlock(timePoints: timePoints)

    // Pass 1: range, count and sum at each time point.
    var counts = [Int](repeating: 0, count: timePoints)
    var sums = [Double](repeating: 0, count: timePoints)
    var minimum = Double.infinity
    var maximum = -Double.infinity
    var start = 0
    while start < file.personCount {
      let persons = start..<Swift.min(file.personCount, start + blockPersons)
      let values = try series.read(persons: persons, timePoints: timePoints)
      for person in 0..<persons.count {
        for time in 0..<timePoints {
          let value = values[person * timePoints + time]
          guard value.isFinite else { continue }
          counts[time] += 1
          sums[time] += value
          minimum = Swift.min(minimum, value)
          maximum = Swift.max(maximum, value)
        }
      }
      start = persons.upperBound
    }
    guard minimum <= maximum else { return nil }

    // Pass 2: histogram per time point.
    let bins = histogramBins
    let binWidth = (maximum - minimum) / Double(bins)
    var histogram = [Int](repeating: 0, count: timePoints * bins)
    if binWidth > 0 {
      start = 0
      while start < file.personCount {
        let persons = start..<Swift.min(file.personCount, start + blockPersons)
        let values = try series.read(persons: persons, timePoints: timePoints)
        for person in 0..<persons.count {
          for time in 0..<timePoints {
            let value = values[person * timePoints + time]
            guard value.isFinite else { continue }
            // NaN when value - minimum overflows to infinity (values near the
            // largest Double in a damaged file): the top bin.
            let position = (value - minimum) / binWidth
            let bin =
              position.isNaN ? bins - 1 : Int(Swift.min(Double(bins - 1), Swift.max(0, position)))
            histogram[time * bins + bin] += 1
          }
        }
        start = persons.upperBound
      }
    }

    var percentiles: [Double: [Double]] = [:]
    for fraction in percentileFractions {
      percentiles[fraction] = (0..<timePoints).map { time in
        guard counts[time] > 0 else { return .nan }
        guard binWidth > 0 else { return minimum }
        return percentile(
          fraction, count: counts[time],
          histogram: histogram[(time * bins)..<((time + 1) * bins)], minimum: minimum,
          binWidth: binWidth)
      }
    }
    return Trajectory(
      arm: arm, variable: variable, units: series.units, timesYears: file.timesYears,
      personsWithValue: counts,
      mean: zip(sums, counts).map { $1 > 0 ? $0 / Double($1) : .nan },
      percentiles: percentiles, percentileResolution: binWidth)
  }

  /// The percentile at `fraction` from a histogram, by numpy's definition:
  /// linear interpolation between the order statistics at positions
  /// floor(r) and floor(r) + 1, r = fraction x (count - 1). Each order
  /// statistic is placed within its bin as if the bin's values were spread
  /// evenly over it, so it is off by less than one bin width, and so is the
  /// interpolation between two of them.
  static func percentile(
    _ fraction: Double, count: Int, histogram: ArraySlice<Int>, minimum: Double,
    binWidth: Double
  ) -> Double {
    let rank = fraction * Double(count - 1)
    let below = Int(rank.rounded(.down))
    let above = Swift.min(below + 1, count - 1)
    let lower = orderStatistic(below, histogram: histogram, minimum: minimum, binWidth: binWidth)
    guard above > below else { return lower }
    let upper = orderStatistic(above, histogram: histogram, minimum: minimum, binWidth: binWidth)
    return lower + (rank - Double(below)) * (upper - lower)
  }

  /// The value of rank `index` (0-based, ascending): within the bin that
  /// holds it, at the centre of its share of the bin.
  private static func orderStatistic(
    _ index: Int, histogram: ArraySlice<Int>, minimum: Double, binWidth: Double
  ) -> Double {
    var before = 0
    for (offset, inBin) in histogram.enumerated() where inBin > 0 {
      if index < before + inBin {
        let share = (Double(index - before) + 0.5) / Double(inBin)
        return minimum + (Double(offset) + share) * binWidth
      }
      before += inBin
    }
    return minimum + Double(histogram.count) * binWidth
  }
}
