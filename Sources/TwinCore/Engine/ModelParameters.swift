import Foundation
import TwinModels

/// Every number the engine needs for one realisation (one replicate and one
/// parameter draw), resolved from the scenario: uncertain values are already
/// drawn, defaults applied, units converted. The engine reads only this.
public struct ModelParameters: Sendable {
  /// Length of a step in years (1 or 1/12).
  public var stepYears: Double
  /// Number of steps.
  public var steps: Int
  /// The cardiovascular risk model, or nil when only declared conditions run.
  public var cardiovascularRisk: CardiovascularRisk?
  /// Share of first cardiovascular events that are fatal.
  public var cvdCaseFatality: Double
  /// Hazard multiplier after a non-fatal cardiovascular event.
  public var cvdHistoryRelativeRisk: Double
  /// Background (non-cardiovascular when CVD is simulated) death hazard.
  public var background: BackgroundMortality
  /// Yearly drifts of the risk factors.
  public var trajectories: Trajectories
  /// Hazard-based conditions, in scenario order.
  public var conditions: [ConditionParameters]
  /// Age-dependent hazards follow the age within a step (true) or are held at
  /// the age at the step's start (false, `hazard_timing: step_start`).
  public var exactHazardTiming: Bool = true
  /// The cardiovascular physiology coupled in (scenario `physiology`), or nil: the engine
  /// then never touches the physiology and behaves exactly as without it.
  public var physiology: PhysiologyCoupling?
  /// The event loop skips the logarithm of draws that certainly give no event
  /// (`HazardCeilings`). Results are bit-identical either way; false is for the tests that
  /// show it.
  public var skipsDrawsWithoutEvents: Bool = true

  /// Steps per simulated year (1 or 12).
  public var stepsPerYear: Int { Int((1 / stepYears).rounded()) }

  public init(
    stepYears: Double, steps: Int, cardiovascularRisk: CardiovascularRisk?,
    cvdCaseFatality: Double, cvdHistoryRelativeRisk: Double, background: BackgroundMortality,
    trajectories: Trajectories, conditions: [ConditionParameters]
  ) {
    self.stepYears = stepYears
    self.steps = steps
    self.cardiovascularRisk = cardiovascularRisk
    self.cvdCaseFatality = cvdCaseFatality
    self.cvdHistoryRelativeRisk = cvdHistoryRelativeRisk
    self.background = background
    self.trajectories = trajectories
    self.conditions = conditions
  }
}

/// Yearly linear drifts of risk factors along the natural course (no
/// intervention): value(t) = value(0) + drift * t.
public struct Trajectories: Sendable, Equatable {
  public var sbpMmHgPerYear: Double
  public var totalCholesterolMmolLPerYear: Double
  public var hdlMmolLPerYear: Double
  public var bmiPerYear: Double

  public init(
    sbpMmHgPerYear: Double, totalCholesterolMmolLPerYear: Double, hdlMmolLPerYear: Double,
    bmiPerYear: Double
  ) {
    self.sbpMmHgPerYear = sbpMmHgPerYear
    self.totalCholesterolMmolLPerYear = totalCholesterolMmolLPerYear
    self.hdlMmolLPerYear = hdlMmolLPerYear
    self.bmiPerYear = bmiPerYear
  }

  /// Lower bounds that drifting values never go below, so that a long horizon
  /// with a negative drift cannot produce impossible values (documented in
  /// docs/models.md; values start inside the scenario's ranges).
  public static let floorSbpMmHg = 70.0
  public static let floorTotalCholesterolMmolL = 1.0
  public static let floorHdlMmolL = 0.2
  public static let floorBmi = 12.0
}

/// Background mortality: an annual hazard by sex and completed year of age,
/// piecewise constant within each year of age.
public struct BackgroundMortality: Sendable {
  /// Oldest tabulated age; older persons use this age's hazard.
  public static let maximumAge = 130
  /// Hazards per year, index `sex * (maximumAge + 1) + age`.
  public let hazardPerYear: [Double]
  /// Where the hazards came from (stored in the result file).
  public let source: String
  /// Hazard multipliers for non-smokers and current smokers: with relative
  /// risk RR and a share p of smokers in the population the table describes,
  /// 1 / (1 - p + p RR) and RR / (1 - p + p RR), so that the mix reproduces
  /// the table.
  public let nonSmokerMultiplier: Double
  public let smokerMultiplier: Double
  /// A continuous Gompertz hazard a e^(b age) replacing the table (`mortality.gompertz`).
  public let gompertz: (a: Double, b: Double)?

  /// Builds the table from a function of (sex, completed age).
  public init(
    source: String, smokingRelativeRisk: Double = 1, smokingReferencePrevalence: Double = 0,
    gompertz: (a: Double, b: Double)? = nil, hazard: (Sex, Int) -> Double
  ) {
    self.gompertz = gompertz
    let mix = 1 - smokingReferencePrevalence + smokingReferencePrevalence * smokingRelativeRisk
    nonSmokerMultiplier = 1 / mix
    smokerMultiplier = smokingRelativeRisk / mix
    var table: [Double] = []
    table.reserveCapacity(2 * (Self.maximumAge + 1))
    for sex in [Sex.female, .male] {
      for age in 0...Self.maximumAge { table.append(hazard(sex, age)) }
    }
    self.hazardPerYear = table
    self.source = source
  }

  /// The annual hazard at `ageYears` for `sex`.
  @inlinable
  public func hazard(sex: UInt8, ageYears: Double) -> Double {
    if let gompertz { return gompertz.a * exp(gompertz.b * ageYears) }
    let age = min(max(Int(ageYears), 0), Self.maximumAge)
    return hazardPerYear[Int(sex) * (Self.maximumAge + 1) + age]
  }

  /// Time to death from `ageYears`, for a unit exponential draw `exponential`
  /// (= -ln u), if it falls within `withinYears`; +infinity otherwise. The
  /// smoking multiplier scales the hazard (dividing the draw is the same).
  ///
  /// Exact for the piecewise-constant hazard: the hazard changes at each
  /// birthday inside the interval (evaluating the hazard only at the start of a
  /// step would lag ages by half a step on average and overstate survival).
  @inlinable
  public func eventTime(
    sex: UInt8, smoker: Bool, ageYears: Double, exponential: Double, withinYears: Double,
    exactTiming: Bool = true
  ) -> Double {
    let remaining = exponential / (smoker ? smokerMultiplier : nonSmokerMultiplier)
    if !exactTiming {
      let time = remaining / hazard(sex: sex, ageYears: ageYears)
      return time < withinYears ? time : .infinity
    }
    if let gompertz {
      return gompertzEventTime(
        rateNow: gompertz.a * exp(gompertz.b * ageYears), slope: gompertz.b,
        exponential: remaining, withinYears: withinYears)
    }
    return piecewiseConstantEventTime(
      fromAgeYears: ageYears, exponential: remaining, withinYears: withinYears,
      nextChange: { $0.rounded(.down) + 1 }, rate: { hazard(sex: sex, ageYears: $0) })
  }
}

/// The time at which the cumulative hazard of a Gompertz rate, `rateNow` at
/// the start and growing as e^(slope t), reaches `exponential`: the cumulative
/// hazard (rateNow / slope) (e^(slope t) - 1) inverted in closed form; if within
/// `withinYears`, else +infinity.
@inlinable
func gompertzEventTime(
  rateNow: Double, slope: Double, exponential: Double, withinYears: Double
) -> Double {
  guard rateNow > 0 else { return .infinity }
  let time = slope == 0 ? exponential / rateNow : log1p(exponential * slope / rateNow) / slope
  return time.isFinite && time < withinYears ? time : .infinity
}

/// The time at which the cumulative hazard of a piecewise-constant rate,
/// starting at `fromAgeYears`, reaches `exponential` (a unit exponential
/// draw), if within `withinYears`; +infinity otherwise. `nextChange(age)` is
/// the next age at which the rate changes, `rate(age)` the rate from `age` on.
@inlinable
func piecewiseConstantEventTime(
  fromAgeYears start: Double, exponential: Double, withinYears: Double,
  nextChange: (Double) -> Double, rate: (Double) -> Double
) -> Double {
  var elapsed = 0.0
  var remaining = exponential
  var age = start
  while elapsed < withinYears {
    let change = nextChange(age)
    let width = min(change - age, withinYears - elapsed)
    let current = rate(age)
    if current * width >= remaining { return elapsed + remaining / current }
    remaining -= current * width
    elapsed += width
    age = change
  }
  return .infinity
}

/// A hazard-based condition, resolved.
public struct ConditionParameters: Sendable {
  /// Incidence as a function of age and sex.
  public enum Incidence: Sendable {
    /// a * exp(b * age) per year, per sex (index by `Sex.rawValue`).
    case gompertz(a: [Double], b: [Double])
    /// Step function: rate[sex][i] from ages[i] (years) on; 0 before ages[0].
    case table(ages: [Double], rates: [[Double]])
  }

  public var name: String
  public var incidence: Incidence
  public var prevalence: Double
  public var relativeRiskSmoking: Double
  public var relativeRiskDiabetes: Double
  public var relativeRiskBpTreated: Double
  /// Relative risks from having other conditions: (condition index, relative risk).
  public var relativeRiskConditions: [(index: Int, relativeRisk: Double)]
  /// Extra death hazard per year while having the condition.
  public var excessMortality: Double
  /// Share of incident cases that die at onset.
  public var caseFatality: Double
  /// Onset counts as a cardiovascular event, death as a cardiovascular death.
  public var countsAsCVD: Bool
  /// Multiplies the risk-equation CVD hazard once a person has the condition.
  public var historyRelativeRisk: Double

  public init(
    name: String, incidence: Incidence, prevalence: Double, relativeRiskSmoking: Double,
    relativeRiskDiabetes: Double, relativeRiskBpTreated: Double,
    relativeRiskConditions: [(index: Int, relativeRisk: Double)], excessMortality: Double,
    caseFatality: Double, countsAsCVD: Bool, historyRelativeRisk: Double
  ) {
    self.name = name
    self.incidence = incidence
    self.prevalence = prevalence
    self.relativeRiskSmoking = relativeRiskSmoking
    self.relativeRiskDiabetes = relativeRiskDiabetes
    self.relativeRiskBpTreated = relativeRiskBpTreated
    self.relativeRiskConditions = relativeRiskConditions
    self.excessMortality = excessMortality
    self.caseFatality = caseFatality
    self.countsAsCVD = countsAsCVD
    self.historyRelativeRisk = historyRelativeRisk
  }

  /// Baseline incidence per year at `ageYears` (before relative risks).
  @inlinable
  public func baselineIncidence(sex: UInt8, ageYears: Double) -> Double {
    switch incidence {
    case .gompertz(let a, let b):
      return a[Int(sex)] * exp(b[Int(sex)] * ageYears)
    case .table(let ages, let rates):
      var rate = 0.0
      for index in ages.indices where ageYears >= ages[index] { rate = rates[Int(sex)][index] }
      return rate
    }
  }

  /// Time to onset from `ageYears` for a unit exponential draw `exponential`,
  /// with the incidence multiplied by `relativeRisk`, if within `withinYears`;
  /// +infinity otherwise. Exact for the age-dependent hazard: the Gompertz
  /// cumulative hazard (a/b) e^(b x) (e^(b t) - 1) is inverted in closed form;
  /// a table changes rate at its ages.
  @inlinable
  public func onsetTime(
    sex: UInt8, ageYears: Double, relativeRisk: Double, exponential: Double, withinYears: Double,
    exactTiming: Bool = true
  ) -> Double {
    guard relativeRisk > 0 else { return .infinity }
    if !exactTiming {
      let rate = relativeRisk * baselineIncidence(sex: sex, ageYears: ageYears)
      let time = exponential / rate
      return time < withinYears ? time : .infinity
    }
    switch incidence {
    case .gompertz(let a, let b):
      return gompertzEventTime(
        rateNow: relativeRisk * a[Int(sex)] * exp(b[Int(sex)] * ageYears), slope: b[Int(sex)],
        exponential: exponential, withinYears: withinYears)
    case .table(let ages, _):
      return piecewiseConstantEventTime(
        fromAgeYears: ageYears, exponential: exponential, withinYears: withinYears,
        nextChange: { age in ages.first { $0 > age } ?? .infinity },
        rate: { relativeRisk * baselineIncidence(sex: sex, ageYears: $0) })
    }
  }
}

/// The numbers of a condition the event loop reads for every person, in a
/// trivial type: copying a `ConditionParameters` retains its arrays and name,
/// which cost 17 % of a run (perf, scripts/bench/vivarium). `onsetTime` gives
/// bit-identical results to `ConditionParameters.onsetTime` (same operations in
/// the same order) and defers to it for table incidence.
struct ConditionScalars {
  /// Gompertz a and b per sex (index `Sex.rawValue`); nil for table incidence.
  var gompertz: (a: (Double, Double), b: (Double, Double))?
  var relativeRiskSmoking: Double
  var relativeRiskDiabetes: Double
  var relativeRiskBpTreated: Double
  var excessMortality: Double
  var caseFatality: Double
  var historyRelativeRisk: Double
  var countsAsCVD: Bool

  init(_ condition: ConditionParameters) {
    if case .gompertz(let a, let b) = condition.incidence, a.count == 2, b.count == 2 {
      gompertz = ((a[0], a[1]), (b[0], b[1]))
    }
    relativeRiskSmoking = condition.relativeRiskSmoking
    relativeRiskDiabetes = condition.relativeRiskDiabetes
    relativeRiskBpTreated = condition.relativeRiskBpTreated
    excessMortality = condition.excessMortality
    caseFatality = condition.caseFatality
    historyRelativeRisk = condition.historyRelativeRisk
    countsAsCVD = condition.countsAsCVD
  }

  /// `ConditionParameters.onsetTime` for Gompertz incidence; nil for a table.
  @inline(__always)
  func gompertzOnsetTime(
    sex: UInt8, ageYears: Double, relativeRisk: Double, exponential: Double, withinYears: Double,
    exactTiming: Bool
  ) -> Double? {
    guard let gompertz else { return nil }
    guard relativeRisk > 0 else { return .infinity }
    let a = sex == 0 ? gompertz.a.0 : gompertz.a.1
    let b = sex == 0 ? gompertz.b.0 : gompertz.b.1
    if !exactTiming {
      let rate = relativeRisk * (a * exp(b * ageYears))
      let time = exponential / rate
      return time < withinYears ? time : .infinity
    }
    return gompertzEventTime(
      rateNow: relativeRisk * a * exp(b * ageYears), slope: b, exponential: exponential,
      withinYears: withinYears)
  }
}

/// The ten-year cardiovascular risk model the engine evaluates each step.
public struct CardiovascularRisk: Sendable {
  /// The equation.
  public enum Equation: Sendable {
    case pooledCohort(PooledCohortEquations)
    case framingham(Framingham2008)
    case score2(SCORE2)
    /// SCORE2-OP alone (ages 70-89).
    case score2OP(SCORE2OP)
    /// SCORE2 below 70, SCORE2-OP from 70 (ages 40-89).
    case score2PlusOP(SCORE2PlusOP)
  }

  public let equation: Equation
  /// Ages outside the equation's validity range are evaluated at the nearest
  /// valid age (scenario `models.outside_validity: hold`).
  public let validAges: ClosedRange<Double>

  public init(equation: Equation) {
    self.equation = equation
    let interval: Range<Double>
    switch equation {
    case .pooledCohort(let model): interval = model.validAgeInterval
    case .framingham(let model): interval = model.validAgeInterval
    case .score2(let model): interval = model.validAgeInterval
    case .score2OP(let model): interval = model.validAgeInterval
    case .score2PlusOP(let model): interval = model.validAgeInterval
    }
    validAges = interval.lowerBound...interval.upperBound.nextDown
  }

  /// Ten-year risk (fraction) for `factors`, with age held inside the valid range.
  @inlinable
  public func tenYearRisk(_ factors: RiskFactors) -> Double {
    var held = factors
    held.ageYears = min(max(factors.ageYears, validAges.lowerBound), validAges.upperBound)
    switch equation {
    case .pooledCohort(let model): return model.estimateUnchecked(held).risk10
    case .framingham(let model): return model.estimateUnchecked(held).risk10
    case .score2(let model): return model.estimateUnchecked(held).risk10
    case .score2OP(let model): return model.estimateUnchecked(held).risk10
    case .score2PlusOP(let model): return model.estimateUnchecked(held).risk10
    }
  }
}
