import Foundation

/// Times as ISO 8601 text in UTC (`2026-11-27T08:07:17Z`), computed with integer
/// arithmetic on the proleptic Gregorian calendar.
///
/// Foundation's `ISO8601DateFormatter` and `DateFormatter` (and, on Linux, even
/// `Date.ISO8601FormatStyle`) load ICU's calendar and locale data on first use: about
/// 5 MB of resident memory in every process and every MPI rank, for a timestamp in
/// `run.log`. These functions give the same text without it (checked against
/// `ISO8601DateFormatter` in `UTCTimeTests`).
public enum UTCTime {
  /// `date` as `yyyy-MM-ddTHH:mm:ss` followed by `zone` (`Z`, or `+00:00` where a
  /// profile asks for an explicit offset); whole seconds, rounded down.
  public static func string(_ date: Date, zone: String = "Z") -> String {
    let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
    let (days, secondOfDay) = floorDivision(seconds, 86_400)
    let (year, month, day) = civil(daysSince1970: days)
    var text = ""
    text.reserveCapacity(20 + zone.utf8.count)
    text += padded(year, 4) + "-" + padded(month, 2) + "-" + padded(day, 2)
    text += "T" + padded(secondOfDay / 3600, 2) + ":" + padded(secondOfDay % 3600 / 60, 2)
    text += ":" + padded(secondOfDay % 60, 2) + zone
    return text
  }

  /// Parses `yyyy-MM-ddTHH:mm:ss`, optional fractional seconds (`.250`), then `Z` or an
  /// offset `+hh:mm` / `-hh:mm` / `+hhmm`; nil for anything else, including dates that
  /// do not exist (`2025-02-29`) and fields out of range.
  public static func parse(_ text: String) -> Date? {
    var reader = Reader(Array(text.utf8))
    guard let year = reader.number(digits: 4), reader.take(UInt8(ascii: "-")),
      let month = reader.number(digits: 2), reader.take(UInt8(ascii: "-")),
      let day = reader.number(digits: 2), reader.take(UInt8(ascii: "T")),
      let hour = reader.number(digits: 2), reader.take(UInt8(ascii: ":")),
      let minute = reader.number(digits: 2), reader.take(UInt8(ascii: ":")),
      let second = reader.number(digits: 2)
    else { return nil }
    guard (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day),
      hour < 24, minute < 60, second < 60
    else { return nil }
    var fraction = 0.0
    if reader.take(UInt8(ascii: ".")) {
      var scale = 0.1
      var digits = 0
      while let digit = reader.digit() {
        fraction += Double(digit) * scale
        scale /= 10
        digits += 1
      }
      guard digits > 0 else { return nil }
    }
    var offsetSeconds: Int64 = 0
    if reader.take(UInt8(ascii: "Z")) {
    } else if let sign = reader.sign() {
      guard let hours = reader.number(digits: 2) else { return nil }
      _ = reader.take(UInt8(ascii: ":"))
      guard let minutes = reader.number(digits: 2), hours < 24, minutes < 60 else { return nil }
      offsetSeconds = sign * (hours * 3600 + minutes * 60)
    } else {
      return nil
    }
    guard reader.atEnd else { return nil }
    let days = daysSince1970(year: year, month: month, day: day)
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
    return Date(timeIntervalSince1970: Double(seconds) + fraction)
  }

  /// (year, month, day) of the day `days` after 1970-01-01 (H. Hinnant's algorithm,
  /// "chrono-Compatible Low-Level Date Algorithms").
  static func civil(daysSince1970 days: Int64) -> (year: Int64, month: Int64, day: Int64) {
    let shifted = days + 719_468
    let era = floorDivision(shifted, 146_097).quotient
    let dayOfEra = shifted - era * 146_097
    let yearOfEra =
      (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
    let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
    let shiftedMonth = (5 * dayOfYear + 2) / 153
    let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
    let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
    return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
  }

  /// Days from 1970-01-01 to the given date (the inverse of `civil`).
  static func daysSince1970(year: Int64, month: Int64, day: Int64) -> Int64 {
    let marchYear = month <= 2 ? year - 1 : year
    let era = floorDivision(marchYear, 400).quotient
    let yearOfEra = marchYear - era * 400
    let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
    let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
    return era * 146_097 + dayOfEra - 719_468
  }

  static func daysIn(month: Int64, year: Int64) -> Int64 {
    switch month {
    case 2: return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
    case 4, 6, 9, 11: return 30
    default: return 31
    }
  }

  private static func floorDivision(_ value: Int64, _ divisor: Int64) -> (
    quotient: Int64, remainder: Int64
  ) {
    let quotient = value >= 0 ? value / divisor : -((-value + divisor - 1) / divisor)
    return (quotient, value - quotient * divisor)
  }

  private static func padded(_ value: Int64, _ width: Int) -> String {
    let digits = String(value)
    return digits.count >= width
      ? digits : String(repeating: "0", count: width - digits.count) + digits
  }

  private struct Reader {
    let bytes: [UInt8]
    var index = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var atEnd: Bool { index == bytes.count }

    mutating func take(_ byte: UInt8) -> Bool {
      guard index < bytes.count, bytes[index] == byte else { return false }
      index += 1
      return true
    }

    mutating func digit() -> Int64? {
      guard index < bytes.count, (48...57).contains(bytes[index]) else { return nil }
      index += 1
      return Int64(bytes[index - 1] - 48)
    }

    mutating func number(digits: Int) -> Int64? {
      var value: Int64 = 0
      for _ in 0..<digits {
        guard let digit = digit() else { return nil }
        value = value * 10 + digit
      }
      return value
    }

    mutating func sign() -> Int64? {
      if take(UInt8(ascii: "+")) { return 1 }
      if take(UInt8(ascii: "-")) { return -1 }
      return nil
    }
  }
}
