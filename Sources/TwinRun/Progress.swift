import Foundation

/// Progress of a run on standard error, printed by rank 0 only: a live line
/// rewritten in place on a terminal, or a full line every few seconds when
/// standard error is a file (Slurm logs).
struct ProgressReporter {
  let enabled: Bool
  let totalUnits: Int
  let interactive: Bool
  let interval: TimeInterval
  let started = Date()
  private var lastPrint = Date.distantPast
  private var lastLength = 0

  init(enabled: Bool, totalUnits: Int, interval: TimeInterval = 5) {
    self.enabled = enabled
    self.totalUnits = max(totalUnits, 1)
    self.interactive = isatty(STDERR_FILENO) == 1
    self.interval = interactive ? 0.2 : interval
  }

  /// Reports that `doneUnits` of `totalUnits` are done; `what` says where.
  mutating func update(doneUnits: Int, what: String, force: Bool = false) {
    guard enabled else { return }
    let now = Date()
    guard force || now.timeIntervalSince(lastPrint) >= interval else { return }
    lastPrint = now
    let elapsed = now.timeIntervalSince(started)
    let fraction = Double(doneUnits) / Double(totalUnits)
    let left = fraction > 0 ? elapsed * (1 - fraction) / fraction : .nan
    let line =
      "twin-sim: \(what), \(Int((fraction * 100).rounded()))%, elapsed \(Self.format(elapsed)), "
      + "left ~\(Self.format(left))"
    if interactive {
      let padding = String(repeating: " ", count: max(0, lastLength - line.count))
      FileHandle.standardError.write(Data(("\r" + line + padding).utf8))
      lastLength = line.count
    } else {
      FileHandle.standardError.write(Data((line + "\n").utf8))
    }
  }

  /// Ends the live line with a summary.
  mutating func finish(_ summary: String) {
    guard enabled else { return }
    let elapsed = Date().timeIntervalSince(started)
    let line = "twin-sim: \(summary) in \(Self.format(elapsed))"
    if interactive {
      let padding = String(repeating: " ", count: max(0, lastLength - line.count))
      FileHandle.standardError.write(Data(("\r" + line + padding + "\n").utf8))
    } else {
      FileHandle.standardError.write(Data((line + "\n").utf8))
    }
  }

  static func format(_ seconds: TimeInterval) -> String {
    guard seconds.isFinite else { return "?" }
    if seconds < 60 { return String(format: "%.1f s", seconds) }
    if seconds < 3600 {
      return String(format: "%d min %02d s", Int(seconds) / 60, Int(seconds) % 60)
    }
    return String(format: "%d h %02d min", Int(seconds) / 3600, (Int(seconds) % 3600) / 60)
  }
}
