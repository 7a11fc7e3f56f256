import Foundation

/// Number and text formatting shared by tables, CSV and HTML.
enum Formatting {
  /// `value` with `decimals` digits after the point and, when `grouped`,
  /// commas between thousands: `fixed(12345.678, 1)` is `12,345.7`.
  static func fixed(_ value: Double, _ decimals: Int, grouped: Bool = true) -> String {
    guard value.isFinite else { return value.isNaN ? "NaN" : (value > 0 ? "inf" : "-inf") }
    let plain = String(format: "%.\(decimals)f", value)
    guard grouped else { return plain }
    let negative = plain.hasPrefix("-")
    let unsigned = negative ? String(plain.dropFirst()) : plain
    let parts = unsigned.split(separator: ".", maxSplits: 1)
    var integer = String(parts[0])
    var groups: [String] = []
    while integer.count > 3 {
      groups.insert(String(integer.suffix(3)), at: 0)
      integer.removeLast(3)
    }
    groups.insert(integer, at: 0)
    let fraction = parts.count > 1 ? "." + parts[1] : ""
    return (negative ? "-" : "") + groups.joined(separator: ",") + fraction
  }

  /// The shortest decimal text that reads back to the same number: a value
  /// exactly representable as Float32 (every value of a float32 dataset) is
  /// written as that Float32, so `128.4` rather than `128.39999389648438`.
  /// Empty for NaN (a missing value in CSV).
  static func shortest(_ value: Double) -> String {
    if value.isNaN { return "" }
    if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
    let single = Float(value)
    if Double(single) == value { return single.description }
    return value.description
  }

  /// Text safe inside HTML elements and attribute values.
  static func htmlEscaped(_ text: String) -> String {
    var escaped = ""
    escaped.reserveCapacity(text.utf8.count)
    for character in text {
      switch character {
      case "&": escaped += "&amp;"
      case "<": escaped += "&lt;"
      case ">": escaped += "&gt;"
      case "\"": escaped += "&quot;"
      case "'": escaped += "&#39;"
      default: escaped.append(character)
      }
    }
    return escaped
  }

  /// A CSV field (RFC 4180): quoted when it holds a comma, quote or line break.
  static func csvField(_ text: String) -> String {
    guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else {
      return text
    }
    return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
  }
}
