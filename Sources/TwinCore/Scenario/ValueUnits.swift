import TwinModels

/// How values with a unit read in messages, and which other common unit an
/// out-of-range value may have been written in: the one place that knows the
/// units of scenario keys and table columns and the factors between them (the
/// cholesterol factor is TwinModels' `CholesterolUnit.mgPerDLPerMmolPerL`).
///
/// A range error names the unit in its expected part
/// (`expected mmol/L between 2 and 15, found 213 (mg/dL? divide by 38.67)`) and
/// adds a hint only when the value, converted from the other unit, lies in the
/// range.
enum ValueUnits {
  /// mg/dL per mmol/L for total, HDL and LDL cholesterol (38.67).
  static let mgPerDLPerMmolPerL = CholesterolUnit.mgPerDLPerMmolPerL

  /// Another unit a value may have been written in.
  struct Alternative: Sendable {
    /// The other unit as the hint asks about it: `mg/dL`, `a percentage`.
    var name: String
    /// Value in the other unit / `factor` = value in the expected unit.
    var factor: Double
    /// How to convert in the scenario file, given the converted value
    /// (`divide by 38.67`, `give 0.30`).
    var advice: @Sendable (_ converted: Double) -> String
  }

  /// The other common units of values in `unit`. Every key in mmol/L is a
  /// cholesterol concentration (total, HDL, LDL) or its change, so mg/dL is the
  /// other common unit; fractions are often given in percent. Blood pressure in
  /// kPa and ages in months are too rare to suggest.
  static func alternatives(of unit: String?) -> [Alternative] {
    let factor = formatNumber(mgPerDLPerMmolPerL)
    switch unit {
    case "mmol/L":
      return [Alternative(name: "mg/dL", factor: mgPerDLPerMmolPerL) { _ in "divide by \(factor)" }]
    case "mmol/L/year":
      return [
        Alternative(name: "mg/dL/year", factor: mgPerDLPerMmolPerL) { _ in "divide by \(factor)" }
      ]
    case "mg/dL":
      return [
        Alternative(name: "mmol/L", factor: 1 / mgPerDLPerMmolPerL) { _ in "multiply by \(factor)" }
      ]
    case "fraction":
      return [Alternative(name: "a percentage", factor: 100) { "give \(fractionText($0))" }]
    default:
      return []
    }
  }

  /// The alternative unit in which `value` lies in `range`, if any (the value
  /// itself does not).
  static func alternative(for value: Double, unit: String?, range: NumberRange) -> Alternative? {
    guard value.isFinite, !range.contains(value) else { return nil }
    return alternatives(of: unit).first { range.contains(value / $0.factor) }
  }

  /// ` (mg/dL? divide by 38.67)` for a value that fits another common unit, else
  /// empty: appended to "found VALUE".
  static func hint(for value: Double, unit: String?, range: NumberRange) -> String {
    guard let other = alternative(for: value, unit: unit, range: range) else { return "" }
    return " (\(other.name)? \(other.advice(value / other.factor)))"
  }

  /// A converted fraction with at least two decimals (`0.30`, `0.075`).
  static func fractionText(_ value: Double) -> String {
    let twoDecimals = String(format: "%.2f", value)
    if let shown = Double(twoDecimals), abs(shown - value) <= 1e-12 { return twoDecimals }
    return formatNumber(value)
  }

  // MARK: Words

  /// What a value in `unit` is called on its own in "expected ...":
  /// `mmol/L`, `a fraction`, `a rate per year`; `a number` without a unit.
  static func noun(_ unit: String?) -> String {
    switch unit {
    case nil: return "a number"
    case "fraction": return "a fraction"
    case "ratio": return "a ratio"
    case "persons": return "a number of persons"
    case "calendar year": return "a calendar year"
    case "per year": return "a rate per year"
    case "per year of age": return "a number per year of age"
    case let unit?: return unit
    }
  }

  /// What a whole number in `unit` is called: `an integer number of years`,
  /// `a calendar year`; `an integer` without a unit.
  static func integerNoun(_ unit: String?) -> String {
    switch unit {
    case nil: return "an integer"
    case "calendar year": return "a calendar year"
    case let unit?: return "an integer number of \(unit)"
    }
  }

  /// Several values in `unit`, for pairs: `numbers in years`, `ratios`.
  static func pluralNoun(_ unit: String?) -> String {
    switch unit {
    case nil: return "numbers"
    case "fraction": return "fractions"
    case "ratio": return "ratios"
    case "calendar year": return "calendar years"
    case "per year", "per year of age": return "numbers \(unit ?? "")"
    case let unit?: return "numbers in \(unit)"
    }
  }

  /// How a named quantity is qualified by `unit`: `a mean` `in mmol/L`,
  /// `as a fraction`, `per year`; empty without a unit.
  static func qualifier(_ unit: String?) -> String {
    switch unit {
    case nil: return ""
    case "fraction", "ratio", "calendar year": return "as \(noun(unit))"
    case "per year", "per year of age": return unit ?? ""
    case let unit?: return "in \(unit)"
    }
  }

  /// `mmol/L between 2 and 15`, `a fraction between 0 and 1`, `a number in
  /// mmol/L` for an unbounded range.
  static func expectation(_ range: NumberRange, unit: String?) -> String {
    let phrase = range.phrase
    if phrase.isEmpty {
      switch unit {
      case nil, "fraction", "ratio", "persons", "calendar year", "per year", "per year of age":
        return noun(unit)
      case let unit?:
        return "a number in \(unit)"
      }
    }
    return "\(noun(unit)) \(phrase)"
  }

  /// `an integer number of years between 1 and 120`.
  static func integerExpectation(_ range: ClosedRange<Int>, unit: String?) -> String {
    "\(integerNoun(unit)) between \(range.lowerBound) and \(range.upperBound)"
  }
}
