/// Sex, as the mapping needs it (left ventricular stiffening with age differs by sex).
public enum PhysiologySex: Sendable, Equatable, Hashable {
  case female
  case male
}

/// What the mapping reads from a person: the named quantities of the statistical models.
public struct PhysiologyPerson: Sendable, Equatable, Hashable {
  /// Age, years.
  public var ageYears: Double
  public var sex: PhysiologySex
  /// The person's current systolic blood pressure as the statistical models carry it
  /// (`sbp`: baseline plus trajectory plus intervention shifts), mmHg.
  public var sbpMmHg: Double
  /// Current smoker.
  public var smoker: Bool
  /// Takes blood-pressure-lowering medication. Treatment reaches the physiology through the
  /// lower `sbpMmHg` it produces; the flag itself changes no parameter.
  public var bpTreated: Bool

  public init(
    ageYears: Double, sex: PhysiologySex, sbpMmHg: Double, smoker: Bool = false,
    bpTreated: Bool = false
  ) {
    self.ageYears = ageYears
    self.sex = sex
    self.sbpMmHg = sbpMmHg
    self.smoker = smoker
    self.bpTreated = bpTreated
  }
}

/// From a person's state to parameters of the circulation model (docs/physiology.md):
///
/// 1. Carotid-femoral pulse wave velocity: the normal values of the Reference Values for
///    Arterial Stiffness' Collaboration (Eur Heart J 2010;31:2338, optimal and normal blood
///    pressure, no risk factors) by age decade, interpolated linearly between decade mid-points
///    (6.2, 6.5, 7.2, 8.3, 10.3, 10.9 m/s at 25, 35, 45, 55, 65, 75 years; constant outside),
///    plus 0.05 m/s per mmHg of SBP above 120 mmHg (about 1 m/s per 20 mmHg, docs/science.md
///    section 4), times 1.08 for current smokers (Jatoi et al., Hypertension 2007;49:981:
///    10.7 vs 9.9 m/s in current vs never smokers).
/// 2. Arterial elastance E_sa = E_sa(healthy adult) x (PWV / PWV_30)^k with PWV_30 = 6.35 m/s
///    (a 30-year-old at 120 mmHg). The default k = 2 is Bramwell-Hill at constant arterial
///    volume; k = 1 keeps the modelled diastolic pressure of older persons near measured
///    values (docs/physiology.md explains both; `Options.elastanceExponent`).
/// 3. LV end-systolic elastance E_lv = E_lv(healthy adult) x (1 + s (age - 30)) above 30 years,
///    s = 0.8 %/year for women and 0.5 %/year for men (steeper in women: Redfield et al.,
///    Circulation 2005;112:2254).
/// 4. Systemic resistance R_sys = R_sys(healthy adult) x g(age, SBP, sex), where g is
///    calibrated so that a non-smoker's modelled SBP equals the SBP the person carries: a
///    table of g on a grid of ages and SBPs, each node solved with the model itself
///    (`ResistanceCalibration`), interpolated bilinearly in log g. Smoking is deliberately
///    not calibrated away: it raises the modelled SBP through stiffness (a mediated effect).
///
/// All other parameters are those of `Options.baseline` (healthy adult).
public struct PhysiologyMapping: Sendable {
  public struct Options: Sendable, Equatable, Hashable {
    /// Parameters of the healthy 30-year-old at 120 mmHg: the base every person is scaled from.
    public var baseline: PhysiologyParameters
    /// Exponent k of E_sa proportional to PWV^k. Default 2: Bramwell-Hill at constant arterial
    /// volume (issue 4, docs/science.md section 4). In this lumped model it drives the
    /// diastolic pressure of a typical 70-year-old to about 22 mmHg; k = 1 keeps it near
    /// survey values (docs/physiology.md, "Arterial elastance"; scenario
    /// `physiology.elastance_exponent`).
    public var elastanceExponent: Double
    /// Rise of PWV per mmHg of SBP above `pwvReferenceSbpMmHg`, m/s per mmHg.
    public var pwvPerMmHg: Double
    /// SBP at which the RVASC normal values apply, mmHg.
    public var pwvReferenceSbpMmHg: Double
    /// PWV multiplier of current smokers.
    public var smokerPwvFactor: Double
    /// Relative rise of E_lv per year above 30 years, women and men.
    public var lvElastanceSlopePerYearFemale: Double
    public var lvElastanceSlopePerYearMale: Double

    public init(
      baseline: PhysiologyParameters = .healthyAdult, elastanceExponent: Double = 2,
      pwvPerMmHg: Double = 0.05, pwvReferenceSbpMmHg: Double = 120,
      smokerPwvFactor: Double = 1.08, lvElastanceSlopePerYearFemale: Double = 0.008,
      lvElastanceSlopePerYearMale: Double = 0.005
    ) {
      self.baseline = baseline
      self.elastanceExponent = elastanceExponent
      self.pwvPerMmHg = pwvPerMmHg
      self.pwvReferenceSbpMmHg = pwvReferenceSbpMmHg
      self.smokerPwvFactor = smokerPwvFactor
      self.lvElastanceSlopePerYearFemale = lvElastanceSlopePerYearFemale
      self.lvElastanceSlopePerYearMale = lvElastanceSlopePerYearMale
    }
  }

  /// RVASC 2010 normal values (Table 5 of the paper; mean PWV, m/s) at decade mid-points:
  /// < 30, 30-39, 40-49, 50-59, 60-69, >= 70 years.
  public static let normalPulseWaveVelocity: [(ageYears: Double, metresPerSecond: Double)] = [
    (25, 6.2), (35, 6.5), (45, 7.2), (55, 8.3), (65, 10.3), (75, 10.9),
  ]

  /// Age at which the baseline parameters apply, years.
  public static let baselineAgeYears = 30.0

  public let options: Options
  public let calibration: ResistanceCalibration
  /// PWV of the baseline person (30 years, `pwvReferenceSbpMmHg`, non-smoker), m/s.
  public let baselinePulseWaveVelocity: Double

  /// Builds the mapping. With the default options the resistance calibration is the table
  /// generated into `ResistanceCalibrationTable.swift` (checked against the model by the
  /// tests); other options solve it afresh (1,122 nodes, about a second in a release build).
  public init(options: Options = Options()) {
    self.options = options
    baselinePulseWaveVelocity = Self.normalPulseWaveVelocity(ageYears: Self.baselineAgeYears)
    calibration =
      options == Options()
      ? ResistanceCalibration(logFactor: ResistanceCalibration.standardLogFactor)
      : ResistanceCalibration.solve(options: options)
  }

  /// The mapping with default options (k = 2), built once per process.
  public static let standard = PhysiologyMapping()

  /// The mapping with E_sa proportional to PWV (k = 1) and otherwise default options, its
  /// resistance table solved once per process on first use (about 0.2 s in a release build).
  public static let linearElastance = PhysiologyMapping(options: Options(elastanceExponent: 1))

  /// RVASC normal PWV at `ageYears`, m/s (linear between decade mid-points, constant outside).
  public static func normalPulseWaveVelocity(ageYears: Double) -> Double {
    let table = normalPulseWaveVelocity
    if ageYears <= table[0].ageYears { return table[0].metresPerSecond }
    for index in 1..<table.count where ageYears <= table[index].ageYears {
      let (a0, v0) = table[index - 1]
      let (a1, v1) = table[index]
      return v0 + (v1 - v0) * (ageYears - a0) / (a1 - a0)
    }
    return table[table.count - 1].metresPerSecond
  }

  /// Carotid-femoral pulse wave velocity of `person`, m/s.
  public func pulseWaveVelocity(_ person: PhysiologyPerson) -> Double {
    Self.pulseWaveVelocity(person, options: options)
  }

  static func pulseWaveVelocity(_ person: PhysiologyPerson, options: Options) -> Double {
    let atNormalPressure = normalPulseWaveVelocity(ageYears: person.ageYears)
    let pressureEffect = options.pwvPerMmHg * (person.sbpMmHg - options.pwvReferenceSbpMmHg)
    return (atNormalPressure + pressureEffect) * (person.smoker ? options.smokerPwvFactor : 1)
  }

  /// Model parameters of `person`. Valid (`PhysiologyParameters.isValid`) for SBP 60-280 mmHg
  /// and ages 18-110 years; the resistance table is interpolated inside its grid (ages
  /// 20-100 years, SBP 80-240 mmHg) and extrapolated linearly in log R_sys outside it.
  public func parameters(for person: PhysiologyPerson) -> PhysiologyParameters {
    var parameters = Self.unscaledParameters(for: person, options: options)
    parameters.R_sys *= calibration.resistanceFactor(
      ageYears: person.ageYears, sbpMmHg: person.sbpMmHg, sex: person.sex)
    return parameters
  }

  /// Parameters of `person` before the resistance calibration (g = 1): E_sa from PWV, E_lv
  /// from age and sex, everything else from the baseline.
  static func unscaledParameters(for person: PhysiologyPerson, options: Options)
    -> PhysiologyParameters
  {
    var parameters = options.baseline
    let ratio =
      pulseWaveVelocity(person, options: options)
      / normalPulseWaveVelocity(ageYears: baselineAgeYears)
    let elastanceFactor: Double
    switch options.elastanceExponent {
    case 1: elastanceFactor = ratio
    case 2: elastanceFactor = ratio * ratio
    default: elastanceFactor = power(ratio, options.elastanceExponent)
    }
    parameters.E_sa = options.baseline.E_sa * elastanceFactor
    let slope =
      person.sex == .female
      ? options.lvElastanceSlopePerYearFemale : options.lvElastanceSlopePerYearMale
    parameters.E_lv =
      options.baseline.E_lv * (1 + slope * max(0, person.ageYears - baselineAgeYears))
    return parameters
  }

  /// x^y for x > 0 from the module's exponential and a logarithm by Newton's method on it
  /// (no Foundation; used off the hot path).
  static func power(_ x: Double, _ y: Double) -> Double {
    Double.exponential(y * naturalLogarithm(x))
  }

  /// ln x for finite x > 0, NaN otherwise (a NaN input such as the SBP of a person who has
  /// died gives invalid parameters, which the batch skips).
  static func naturalLogarithm(_ x: Double) -> Double {
    guard x > 0 && x.isFinite else { return .nan }
    // Reduce to m in [1, 2) by powers of two, then Newton on e^y = m from y = m - 1.
    var m = x
    var exponent = 0.0
    while m >= 2 {
      m /= 2
      exponent += 1
    }
    while m < 1 {
      m *= 2
      exponent -= 1
    }
    var y = m - 1
    for _ in 0..<6 { y -= 1 - m / Double.exponential(y) }
    return y + exponent * 0.693_147_180_559_945_309_4
  }

  /// The SBP to give the risk equations (docs/science.md section 4, "feed the change in SBP on
  /// top of the observed baseline"): the observed SBP at baseline plus the change the model
  /// produced since then. The equations keep their calibration to measured (brachial) SBP,
  /// while the model's own level (a central, lumped aortic pressure) never enters them.
  public static func riskEquationSbp(
    observedBaselineSbpMmHg: Double, modelledBaselineSbpMmHg: Double, modelledSbpMmHg: Double
  ) -> Double {
    observedBaselineSbpMmHg + (modelledSbpMmHg - modelledBaselineSbpMmHg)
  }
}

/// The resistance factor g(age, SBP, sex) of `PhysiologyMapping`: on each node of a grid
/// (ages 20, 25, ..., 100 years; SBP 80, 85, ..., 240 mmHg; both sexes) the value for which a
/// non-smoker's modelled SBP equals the node's SBP, found by the secant method on log g with
/// the batch solver (RK4, tolerance 1e-4 ml), to 0.01 mmHg. Between nodes log g is
/// interpolated bilinearly; outside the grid it is extrapolated linearly. g is limited to
/// [0.05, 20]; nodes that need more are reported in `unreachableNodes`.
public struct ResistanceCalibration: Sendable {
  public static let agesYears: [Double] = stride(from: 20.0, through: 100.0, by: 5).map { $0 }
  public static let sbpsMmHg: [Double] = stride(from: 80.0, through: 240.0, by: 5).map { $0 }

  /// log g by [sex][age index][SBP index], sex 0 female, 1 male.
  public let logFactor: [[[Double]]]
  /// Largest |modelled SBP - node SBP| over the reachable nodes after calibration, mmHg (NaN
  /// for a table read from source).
  public let largestResidualMmHg: Double
  /// Nodes whose SBP the model cannot reach with g in [0.05, 20].
  public let unreachableNodes: [(sex: PhysiologySex, ageYears: Double, sbpMmHg: Double)]

  init(
    logFactor: [[[Double]]], largestResidualMmHg: Double = .nan,
    unreachableNodes: [(sex: PhysiologySex, ageYears: Double, sbpMmHg: Double)] = []
  ) {
    self.logFactor = logFactor
    self.largestResidualMmHg = largestResidualMmHg
    self.unreachableNodes = unreachableNodes
  }

  /// Solves the calibration for `options` (see the type's documentation).
  public static func solve(options: PhysiologyMapping.Options) -> ResistanceCalibration {
    let ages = Self.agesYears
    let sbps = Self.sbpsMmHg
    var persons: [PhysiologyPerson] = []
    for sex in [PhysiologySex.female, .male] {
      for age in ages {
        for sbp in sbps { persons.append(PhysiologyPerson(ageYears: age, sex: sex, sbpMmHg: sbp)) }
      }
    }
    // Parameters without the resistance factor (g = 1).
    let unscaled = persons.map { PhysiologyMapping.unscaledParameters(for: $0, options: options) }
    let count = persons.count
    let lowerLog = PhysiologyMapping.naturalLogarithm(0.05)
    let upperLog = PhysiologyMapping.naturalLogarithm(20)
    var states = PhysiologyStateColumns(count: count)
    let solveOptions = SteadyStateOptions(toleranceMl: 1e-4, extrapolatesWarmStart: false)

    func modelledSbp(_ logFactors: [Double]) -> [Double] {
      var columns = PhysiologyParameterColumns(unscaled)
      for person in 0..<count {
        columns.R_sys[person] *= Double.exponential(logFactors[person])
      }
      return PhysiologyBatch.solve(
        parameters: columns, warmStart: &states, options: solveOptions
      ).sbp
    }

    var previousLog = [Double](repeating: 0, count: count)
    var previousError = zip(modelledSbp(previousLog), persons).map { $0 - $1.sbpMmHg }
    // Second point: SBP rises roughly in proportion to R_sys.
    var currentLog = (0..<count).map { person in
      let ratio = persons[person].sbpMmHg / (persons[person].sbpMmHg + previousError[person])
      return min(upperLog, max(lowerLog, PhysiologyMapping.naturalLogarithm(ratio)))
    }
    var currentError = zip(modelledSbp(currentLog), persons).map { $0 - $1.sbpMmHg }
    for _ in 0..<30 {
      if currentError.allSatisfy({ abs($0) < 0.01 }) { break }
      var nextLog = currentLog
      for person in 0..<count where abs(currentError[person]) >= 0.01 {
        let slope =
          (currentError[person] - previousError[person])
          / (currentLog[person] - previousLog[person])
        guard slope.isFinite, slope > 0 else { continue }
        nextLog[person] = min(
          upperLog, max(lowerLog, currentLog[person] - currentError[person] / slope))
      }
      previousLog = currentLog
      previousError = currentError
      currentLog = nextLog
      currentError = zip(modelledSbp(currentLog), persons).map { $0 - $1.sbpMmHg }
    }

    var table = [[[Double]]](
      repeating: [[Double]](
        repeating: [Double](repeating: 0, count: sbps.count), count: ages.count),
      count: 2)
    var unreachable: [(sex: PhysiologySex, ageYears: Double, sbpMmHg: Double)] = []
    var largest = 0.0
    for (index, person) in persons.enumerated() {
      let sexIndex = person.sex == .female ? 0 : 1
      let ageIndex = ages.firstIndex(of: person.ageYears)!
      let sbpIndex = sbps.firstIndex(of: person.sbpMmHg)!
      table[sexIndex][ageIndex][sbpIndex] = currentLog[index]
      if abs(currentError[index]) >= 0.01
        && (currentLog[index] <= lowerLog || currentLog[index] >= upperLog)
      {
        unreachable.append((person.sex, person.ageYears, person.sbpMmHg))
      } else {
        largest = max(largest, abs(currentError[index]))
      }
    }
    return ResistanceCalibration(
      logFactor: table, largestResidualMmHg: largest, unreachableNodes: unreachable)
  }

  /// Swift source of `standardLogFactor` for this table (how `ResistanceCalibrationTable.swift`
  /// is generated: `twin-sim-bench physiology-calibration`).
  public func swiftSource() -> String {
    var lines = [
      "// GENERATED by `twin-sim-bench physiology-calibration` from the model with the default",
      "// PhysiologyMapping.Options: log of the systemic resistance factor g by [sex: female,",
      "// male][age 20, 25, ..., 100 years][SBP 80, 85, ..., 240 mmHg]. Regenerate after any",
      "// change of the model, the integrator defaults or the mapping options; the tests check",
      "// nodes of this table against the model.",
      "",
      "extension ResistanceCalibration {",
      "  static let standardLogFactor: [[[Double]]] = [",
    ]
    for sexTable in logFactor {
      lines.append("    [")
      for row in sexTable {
        lines.append("      [")
        for value in row { lines.append("        \(value),") }
        lines.append("      ],")
      }
      lines.append("    ],")
    }
    lines.append("  ]")
    lines.append("}")
    return lines.joined(separator: "\n") + "\n"
  }

  /// g(age, SBP, sex): bilinear in log g between grid nodes, linear extrapolation outside.
  public func resistanceFactor(ageYears: Double, sbpMmHg: Double, sex: PhysiologySex) -> Double {
    let grid = logFactor[sex == .female ? 0 : 1]
    let (ageIndex, ageWeight) = Self.cell(Self.agesYears, ageYears)
    let (sbpIndex, sbpWeight) = Self.cell(Self.sbpsMmHg, sbpMmHg)
    let low =
      grid[ageIndex][sbpIndex] * (1 - sbpWeight) + grid[ageIndex][sbpIndex + 1] * sbpWeight
    let high =
      grid[ageIndex + 1][sbpIndex] * (1 - sbpWeight) + grid[ageIndex + 1][sbpIndex + 1]
      * sbpWeight
    return Double.exponential(low * (1 - ageWeight) + high * ageWeight)
  }

  /// Index i of the grid cell [x_i, x_{i+1}] holding (or nearest to) `value`, and the weight of
  /// x_{i+1} (outside [0, 1] when extrapolating).
  static func cell(_ nodes: [Double], _ value: Double) -> (Int, Double) {
    var index = 0
    while index < nodes.count - 2 && value > nodes[index + 1] { index += 1 }
    return (index, (value - nodes[index]) / (nodes[index + 1] - nodes[index]))
  }
}

/// Mean blood pressure by age and sex in a population survey: what the modelled SBP of typical
/// persons is checked against (tests, docs/physiology.md).
public struct BloodPressureReferenceCurve: Sendable {
  public struct Point: Sendable {
    /// Age group, years (lower and upper bound, inclusive).
    public var ageGroup: ClosedRange<Double>
    /// Representative age of the group for model evaluations, years.
    public var representativeAgeYears: Double
    public var sbpFemaleMmHg: Double
    public var sbpMaleMmHg: Double
    public var dbpFemaleMmHg: Double
    public var dbpMaleMmHg: Double
  }

  public var name: String
  public var source: String
  public var points: [Point]

  /// US adults 2001-2008 (NHANES), mean of up to three measurements: Wright JD, Hughes JP,
  /// Ostchega Y, Yoon SS, Nwankwo T. Mean systolic and diastolic blood pressure in adults aged
  /// 18 and over in the United States, 2001-2008. National Health Statistics Reports no. 35,
  /// 2011. Age groups 18-39, 40-59 and 60 years and over (representative ages: group
  /// mid-points, 70 for the open group). Check: values as quoted from the report's tables.
  public static let nhanes2001to2008 = BloodPressureReferenceCurve(
    name: "nhanes-2001-2008",
    source: "Wright et al., National Health Statistics Reports no. 35 (2011), NHANES 2001-2008",
    points: [
      Point(
        ageGroup: 18...39, representativeAgeYears: 28.5, sbpFemaleMmHg: 110, sbpMaleMmHg: 119,
        dbpFemaleMmHg: 68, dbpMaleMmHg: 70),
      Point(
        ageGroup: 40...59, representativeAgeYears: 49.5, sbpFemaleMmHg: 122, sbpMaleMmHg: 124,
        dbpFemaleMmHg: 74, dbpMaleMmHg: 77),
      Point(
        ageGroup: 60...100, representativeAgeYears: 70, sbpFemaleMmHg: 139, sbpMaleMmHg: 133,
        dbpFemaleMmHg: 68, dbpMaleMmHg: 69),
    ])
}
