import Foundation
import TwinModels

/// Before a run: how much of the simulated person-time the risk equation will evaluate at an
/// age held inside its valid range (`models.outside_validity: hold` evaluates a person of 75
/// under SCORE2, valid 40-69, as 69.99 years old). `twin-sim validate` and the run log warn
/// with this share; the result file records the share actually held per arm
/// (`summary/person_years_risk_held`).
///
/// The estimate follows each person (or, for a synthetic population, a grid over its age
/// distribution) through the horizon with the expected survival of the scenario's background
/// mortality (of the first realisation), ignoring cardiovascular and condition deaths and
/// interventions: it slightly overstates survival, and with it the share of older ages. Person-time within a
/// step is exact for the step's constant hazard, `S (1 - e^(-mu dt)) / mu`.
public struct RiskValidityEstimate: Sendable, Equatable {
  /// The equation, as the scenario names it (`score2`, `pce`, ...).
  public var equation: String
  /// The exact ages the equation covers, [lower, upper).
  public var validAges: Range<Double>
  /// Share of the expected person-time below the lower age.
  public var youngerShare: Double
  /// Share of the expected person-time at or above the upper age.
  public var olderShare: Double

  /// Share of the expected person-time held at the age limits.
  public var heldShare: Double { youngerShare + olderShare }

  /// Points of the grid over a synthetic population's age distribution (per sex).
  static let gridPoints = 400

  /// The estimate for `scenario`'s synthetic population; nil without a risk equation or for
  /// a table population (use `estimate(scenario:persons:)` with the table's persons).
  public static func estimate(scenario: Scenario) -> RiskValidityEstimate? {
    guard case .synthetic(let synthetic) = scenario.population.source else { return nil }
    var persons: [(sex: UInt8, ageYears: Double)] = []
    persons.reserveCapacity(2 * gridPoints)
    for point in 0..<gridPoints {
      let u = (Double(point) + 0.5) / Double(gridPoints)
      let age: Double
      switch synthetic.ageAtStart {
      case .uniform(let minimum, let maximum):
        age = minimum + u * (maximum - minimum)
      case .birthCohort(let from, let to):
        age = Double(scenario.time.startYear) - (Double(from) + u * Double(to - from + 1))
      }
      persons.append((0, age))
      persons.append((1, age))
    }
    let female = synthetic.femaleFraction
    return estimate(
      scenario: scenario, persons: persons, weight: { $0.sex == 0 ? female : 1 - female })
  }

  /// The estimate for given persons at the start (each of weight `weight(person)`); nil
  /// without a risk equation or persons.
  public static func estimate(
    scenario: Scenario, persons: [(sex: UInt8, ageYears: Double)],
    weight: ((sex: UInt8, ageYears: Double)) -> Double = { _ in 1 }
  ) -> RiskValidityEstimate? {
    guard let validAges = scenario.models.riskEquation.validAgesYears, !persons.isEmpty else {
      return nil
    }
    let sums = personTime(scenario: scenario, persons: persons, weight: weight, in: validAges)
    return RiskValidityEstimate(
      sums: sums, equation: scenario.models.riskEquation.rawValue, validAges: validAges)
  }

  /// From expected person-time sums (younger, older, total), e.g. added over ranks.
  public init(sums: [Double], equation: String, validAges: Range<Double>) {
    let total = sums[2] > 0 ? sums[2] : 1
    self.equation = equation
    self.validAges = validAges
    youngerShare = sums[0] / total
    olderShare = sums[1] / total
  }

  /// Expected person-time [below `validAges`, at or above it, all] of `persons` over the
  /// horizon under the scenario's background mortality.
  public static func personTime(
    scenario: Scenario, persons: [(sex: UInt8, ageYears: Double)],
    weight: ((sex: UInt8, ageYears: Double)) -> Double = { _ in 1 }, in validAges: Range<Double>
  ) -> [Double] {
    var resolver = ParameterResolver(
      scenario: scenario, realisation: Realisation.all(scenario.uncertainty)[0])
    let background = resolver.modelParameters().background
    let dt = scenario.time.step.lengthYears
    let steps = scenario.time.stepCount
    var younger = 0.0
    var older = 0.0
    var total = 0.0
    for person in persons {
      var survival = weight(person)
      for step in 0..<steps {
        let age = person.ageYears + Double(step) * dt
        let hazard = background.hazard(sex: person.sex, ageYears: age)
        let lived = hazard > 0 ? survival * -expm1(-hazard * dt) / hazard : survival * dt
        total += lived
        if age < validAges.lowerBound {
          younger += lived
        } else if age >= validAges.upperBound {
          older += lived
        }
        survival *= exp(-hazard * dt)
      }
    }
    return [younger, older, total]
  }

  /// One line for `twin-sim validate` and run.log, or nil when the equation is never held.
  public var warning: String? {
    guard heldShare > 0 else { return nil }
    let upper = Int(validAges.upperBound) - 1
    var parts: [String] = []
    if youngerShare > 0 {
      parts.append("\(Self.percent(youngerShare)) below age \(Int(validAges.lowerBound))")
    }
    if olderShare > 0 { parts.append("\(Self.percent(olderShare)) above age \(upper)") }
    var line =
      "risk equation \(equation) (valid for ages \(Int(validAges.lowerBound))-\(upper)) will be "
      + "evaluated at the nearest valid age for an estimated \(Self.percent(heldShare)) of the "
      + "simulated person-years (\(parts.joined(separator: ", ")); models.outside_validity: "
      + "hold)"
    if olderShare > 0, equation == RiskEquationChoice.score2.rawValue {
      line += "; risk_equation: score2+op uses SCORE2-OP from age 70"
    }
    return line
  }

  private static func percent(_ share: Double) -> String {
    share >= 0.001 || share == 0
      ? String(format: "%.1f %%", 100 * share) : "less than 0.1 %"
  }
}
