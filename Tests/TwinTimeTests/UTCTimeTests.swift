import Foundation
import Testing

@testable import TwinTime

// The reference is Foundation's ISO8601DateFormatter (ICU's calendar), which
// UTCTime replaces on the run path.

// 1900-01-01 to 2400-12-31, and the days around century and leap-year boundaries.
private let firstSecond: Int64 = -2_208_988_800
private let lastSecond: Int64 = 13_601_088_000 - 1
/// `count` seconds from `firstSecond` on, `step` apart: spread over the whole range, and with
/// a step that shares no factor with 86,400 (2^7 3^3 5^2) the time of day moves from one to
/// the next through every hour, minute and second.
private func spreadSeconds(count: Int, step: Int64) -> [Int64] {
  precondition(Int64(count) * step <= lastSecond - firstSecond)
  return (0..<Int64(count)).map { firstSecond + $0 * step }
}

private let boundaryDays = [
  "1900-02-28", "1900-03-01", "1969-12-31", "1970-01-01", "1999-12-31", "2000-02-29",
  "2000-03-01", "2024-02-29", "2025-12-31", "2100-02-28", "2100-03-01", "2400-02-29",
]

@Test func formatsLikeFoundationsISO8601Formatter() {
  let reference = ISO8601DateFormatter()
  let boundaries = boundaryDays.flatMap { day -> [Int64] in
    let midnight = Int64(reference.date(from: day + "T00:00:00Z")!.timeIntervalSince1970)
    return [midnight - 1, midnight, midnight + 1, midnight + 86_399]
  }
  for second in boundaries + spreadSeconds(count: 20_000, step: 790_057) {
    let date = Date(timeIntervalSince1970: Double(second))
    #expect(UTCTime.string(date) == reference.string(from: date), "second \(second)")
    let later = Date(timeIntervalSince1970: Double(second) + 0.75)
    #expect(UTCTime.string(later) == reference.string(from: later), "second \(second) + 0.75")
  }
}

@Test func explicitOffsetZone() {
  let date = Date(timeIntervalSince1970: 1_736_938_800)  // 2025-01-15T11:00:00Z
  #expect(UTCTime.string(date, zone: "+00:00") == "2025-01-15T11:00:00+00:00")
}

@Test func parsesWhatFoundationParses() {
  let plain = ISO8601DateFormatter()
  let fractional = ISO8601DateFormatter()
  fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
  let texts = [
    "2026-11-27T08:07:17Z", "1970-01-01T00:00:00Z", "2000-02-29T23:59:59Z",
    "2025-01-15T11:00:00+00:00", "2025-01-15T12:30:00+01:30", "2025-01-15T05:00:00-06:00",
    "1969-12-31T23:59:59Z", "2100-03-01T00:00:00Z",
  ]
  for text in texts {
    #expect(UTCTime.parse(text) == plain.date(from: text), "\(text)")
  }
  for text in ["2026-11-27T08:07:17.250Z", "2026-11-27T08:07:17.5+02:00"] {
    let ours = UTCTime.parse(text)!.timeIntervalSince1970
    let theirs = fractional.date(from: text)!.timeIntervalSince1970
    #expect(abs(ours - theirs) < 1e-6, "\(text)")
  }
  #expect(UTCTime.parse("2025-01-15T12:30:00+0130") == plain.date(from: "2025-01-15T11:00:00Z"))
}

@Test func roundTripsEveryFormattedSecond() {
  for second in spreadSeconds(count: 20_000, step: 786_433) {
    let date = Date(timeIntervalSince1970: Double(second))
    #expect(UTCTime.parse(UTCTime.string(date)) == date)
    #expect(UTCTime.parse(UTCTime.string(date, zone: "+00:00")) == date)
  }
}

@Test func rejectsMalformedAndImpossibleTimes() {
  let bad = [
    "", "2026-11-27", "2026-11-27T08:07:17", "2026-11-27 08:07:17Z", "2026-13-01T00:00:00Z",
    "2025-02-29T00:00:00Z", "2100-02-29T00:00:00Z", "2026-04-31T00:00:00Z",
    "2026-11-27T24:00:00Z", "2026-11-27T08:60:00Z", "2026-11-27T08:07:60Z",
    "2026-11-27T08:07:17.Z", "2026-11-27T08:07:17Zjunk", "2026-11-27T08:07:17+1",
    "26-11-27T08:07:17Z", "2026-1-27T08:07:17Z", "2026-11-27T08:07:17+25:00",
  ]
  for text in bad {
    #expect(UTCTime.parse(text) == nil, "'\(text)'")
  }
}
