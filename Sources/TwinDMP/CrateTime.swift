import Foundation

/// Times in crates: ISO 8601 with an explicit `+00:00` offset, as the
/// Workflow Run Crate profiles ask (`2025-01-15T11:00:00+00:00`).
public enum CrateTime {
  /// `date` in UTC as `yyyy-MM-ddTHH:mm:ss+00:00`.
  public static func string(_ date: Date) -> String {
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = TimeZone(identifier: "UTC")
    formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ss'+00:00'"
    return formatter.string(from: date)
  }

  /// Parses an ISO 8601 time with `Z` or an offset, with or without fractional seconds.
  public static func parse(_ text: String) -> Date? {
    let plain = ISO8601DateFormatter()
    if let date = plain.date(from: text) { return date }
    let fractional = ISO8601DateFormatter()
    fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return fractional.date(from: text)
  }
}
