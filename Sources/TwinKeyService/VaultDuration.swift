import Foundation

/// Durations as Vault accepts them: a whole number of seconds (`3600`, or the
/// JSON number 3600) or Go-style units `s`, `m`, `h` and, as Vault adds, `d`
/// (`90s`, `15m`, `1h30m`, `7d`). Fractions and negative values are refused.
public enum VaultDuration {
  /// Seconds, or nil when `text` is not a duration.
  public static func seconds(parsing text: String) -> Int? {
    let trimmed = text.trimmingCharacters(in: .whitespaces)
    if trimmed.isEmpty { return nil }
    if let whole = Int(trimmed) { return whole >= 0 ? whole : nil }
    var total = 0
    var digits = ""
    for character in trimmed {
      if character.isASCII, character.isNumber {
        digits.append(character)
        continue
      }
      guard let amount = Int(digits) else { return nil }
      let unitSeconds: Int
      switch character {
      case "s": unitSeconds = 1
      case "m": unitSeconds = 60
      case "h": unitSeconds = 3600
      case "d": unitSeconds = 86400
      default: return nil
      }
      let (product, overflow) = amount.multipliedReportingOverflow(by: unitSeconds)
      if overflow { return nil }
      total += product
      digits = ""
    }
    return digits.isEmpty ? total : nil
  }

  /// Seconds from a JSON request value (number or duration string); nil if absent.
  /// Throws `KeyServiceError.badRequest` naming `key` when the value is not a duration.
  static func seconds(_ value: JSONValue?, key: String) throws(KeyServiceError) -> Int? {
    switch value {
    case nil, .null?: return nil
    case .integer(let seconds)? where seconds >= 0: return seconds
    case .number(let seconds)? where seconds >= 0 && seconds == seconds.rounded():
      return Int(seconds)
    case .string(let text)?:
      if text.isEmpty { return nil }
      if let seconds = seconds(parsing: text) { return seconds }
    default: break
    }
    throw .badRequest(
      "invalid duration for \"\(key)\": expected seconds or a duration like 90s, 15m, 1h")
  }
}
