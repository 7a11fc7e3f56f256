import Foundation

/// A continuous input of the ten-year risk equations.
public enum RiskVariable: String, Sendable, CaseIterable, CustomStringConvertible {
  case age
  case totalCholesterol = "total_cholesterol"
  case hdlCholesterol = "hdl_cholesterol"
  case systolicBloodPressure = "sbp"

  /// Words for messages ("total cholesterol").
  public var description: String {
    switch self {
    case .age: return "age"
    case .totalCholesterol: return "total cholesterol"
    case .hdlCholesterol: return "HDL cholesterol"
    case .systolicBloodPressure: return "systolic blood pressure"
    }
  }

  /// Values a living adult can have, whatever the equation: ages 0-120 years, SBP 70-250
  /// mmHg, total cholesterol 2-15 and HDL 0.3-4 mmol/L (the limits of a scenario's synthetic
  /// population, docs/scenario.md). Inputs outside are refused before any equation's own
  /// range is looked at, so that no equation is ever evaluated at, say, 1e308 mg/dL.
  public var plausibleRange: ValidRange {
    let source = "physiologically plausible values (the limits of a scenario's population)"
    switch self {
    case .age: return ValidRange(.age, 0, 120, .years, source: source)
    case .totalCholesterol: return ValidRange(.totalCholesterol, 2, 15, .mmolPerL, source: source)
    case .hdlCholesterol: return ValidRange(.hdlCholesterol, 0.3, 4, .mmolPerL, source: source)
    case .systolicBloodPressure:
      return ValidRange(.systolicBloodPressure, 70, 250, .mmHg, source: source)
    }
  }

  /// The unit twin-sim stores this variable in (the unit of `RiskFactors`).
  public var internalUnit: RiskUnit {
    switch self {
    case .age: return .years
    case .totalCholesterol, .hdlCholesterol: return .mmolPerL
    case .systolicBloodPressure: return .mmHg
    }
  }
}

/// Units in which validity ranges are published.
public enum RiskUnit: String, Sendable, CustomStringConvertible {
  case years
  case mmHg
  case mgPerDL = "mg/dL"
  case mmolPerL = "mmol/L"

  public var description: String { rawValue }
}

/// The closed range of one input over which an equation was derived or is
/// recommended, in the unit its source publishes it in.
///
/// `containsInternalValue(_:)` compares in twin-sim's internal unit, converting the
/// bounds with the same single operation the CLI uses to convert user input, so a
/// value typed exactly on a published bound is inside the range.
public struct ValidRange: Sendable, Equatable, CustomStringConvertible {
  public let variable: RiskVariable
  /// Lowest valid value, in `unit`.
  public let lowerBound: Double
  /// Highest valid value, in `unit`.
  public let upperBound: Double
  /// The unit of the bounds as published.
  public let unit: RiskUnit
  /// Where the range comes from (paper, guideline).
  public let source: String

  public init(
    _ variable: RiskVariable, _ lowerBound: Double, _ upperBound: Double, _ unit: RiskUnit,
    source: String
  ) {
    precondition(lowerBound <= upperBound, "ValidRange: lower bound above upper bound")
    self.variable = variable
    self.lowerBound = lowerBound
    self.upperBound = upperBound
    self.unit = unit
    self.source = source
  }

  /// The bounds converted to the variable's internal unit (mmol/L for lipids).
  public var internalBounds: ClosedRange<Double> {
    switch unit {
    case .mgPerDL:
      return CholesterolUnit.mgPerDL.mmolPerL(
        lowerBound)...CholesterolUnit.mgPerDL.mmolPerL(
          upperBound)
    case .years, .mmHg, .mmolPerL:
      return lowerBound...upperBound
    }
  }

  /// Whether a value in the variable's internal unit lies in the range (bounds included).
  public func containsInternalValue(_ value: Double) -> Bool {
    internalBounds.contains(value)
  }

  /// For example "40-79 years" or "130-320 mg/dL (3.362-8.275 mmol/L)".
  public var description: String {
    let published = "\(formatQuantity(lowerBound))-\(formatQuantity(upperBound)) \(unit)"
    switch unit {
    case .mgPerDL:
      let bounds = internalBounds
      return published
        + " (\(formatQuantity(bounds.lowerBound))-\(formatQuantity(bounds.upperBound)) mmol/L)"
    case .mmolPerL:
      let lower = CholesterolUnit.mgPerDL.fromMmolPerL(lowerBound)
      let upper = CholesterolUnit.mgPerDL.fromMmolPerL(upperBound)
      return published + " (\(formatQuantity(lower))-\(formatQuantity(upper)) mg/dL)"
    case .years, .mmHg:
      return published
    }
  }
}

/// Why a person's risk factors cannot be evaluated by an equation.
public enum RiskInputError: Error, Equatable, CustomStringConvertible {
  /// `value` (internal unit, see `RiskVariable.internalUnit`) lies outside the range
  /// over which `equation` was derived or is recommended.
  case outOfRange(
    variable: RiskVariable, value: Double, validRange: ValidRange, equation: RiskEquationKind)
  /// `value` is zero, negative, infinite or NaN: no equation takes logarithms of it or
  /// gives it a meaning.
  case notPositiveFinite(variable: RiskVariable, value: Double, equation: RiskEquationKind)

  public var description: String {
    switch self {
    case .outOfRange(let variable, let value, let validRange, let equation):
      return "\(variable) \(formatInternalValue(value, of: variable)) is outside the valid"
        + " range of the \(equation.displayName): \(validRange) (\(validRange.source))"
    case .notPositiveFinite(let variable, let value, let equation):
      return "\(variable) must be a positive finite number for the \(equation.displayName),"
        + " got \(value)"
    }
  }
}

/// A value in the variable's internal unit, with mg/dL alongside for lipids,
/// e.g. "9.31 mmol/L (360 mg/dL)".
func formatInternalValue(_ value: Double, of variable: RiskVariable) -> String {
  let unit = variable.internalUnit
  let text = "\(formatQuantity(value)) \(unit)"
  if unit == .mmolPerL {
    return text + " (\(formatQuantity(CholesterolUnit.mgPerDL.fromMmolPerL(value))) mg/dL)"
  }
  return text
}

/// Four significant digits, no trailing zeros: 40 -> "40", 3.3617... -> "3.362".
func formatQuantity(_ value: Double) -> String {
  String(format: "%.4g", value)
}
