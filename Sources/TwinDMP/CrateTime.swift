import Foundation
import TwinTime

/// Times in crates: ISO 8601 with an explicit `+00:00` offset, as the
/// Workflow Run Crate profiles ask (`2025-01-15T11:00:00+00:00`).
public enum CrateTime {
  /// `date` in UTC as `yyyy-MM-ddTHH:mm:ss+00:00`.
  public static func string(_ date: Date) -> String {
    UTCTime.string(date, zone: "+00:00")
  }

  /// Parses an ISO 8601 time with `Z` or an offset, with or without fractional seconds.
  public static func parse(_ text: String) -> Date? {
    UTCTime.parse(text)
  }
}
