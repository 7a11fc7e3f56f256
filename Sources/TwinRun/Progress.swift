import Dispatch
import Foundation
import Synchronization

/// How a run shows its progress on standard error (`twin-sim run --progress`).
public enum ProgressDisplay: String, Sendable, CaseIterable {
  /// `live` where the user watches a terminal, else `lines`.
  case auto
  /// One line rewritten in place (carriage return), refreshed every second.
  case live
  /// A full line at least every 5 seconds (Slurm logs, files, pipes).
  case lines
  /// Nothing (`--quiet`).
  case none

  /// `auto` decided for this process: `live` when standard error is a terminal, or when
  /// the process is a rank of Open MPI's `mpirun` (which hands its ranks a pipe) and
  /// mpirun's own standard error is a terminal; otherwise `lines`. Other values stay.
  public func resolved(environment: [String: String] = ProcessInfo.processInfo.environment)
    -> ProgressDisplay
  {
    guard self == .auto else { return self }
    if isatty(STDERR_FILENO) == 1 { return .live }
    if environment["OMPI_COMM_WORLD_SIZE"] != nil, Self.launcherStandardErrorIsTerminal() {
      return .live
    }
    return .lines
  }

  /// Process names of MPI launchers whose standard error is the user's.
  static let launcherNames: Set<String> = [
    "mpirun", "mpiexec", "orterun", "prterun", "orted", "prted", "mpiexec.hydra",
  ]

  /// Whether the nearest MPI launcher among this process's ancestors (at most four
  /// generations up) writes its standard error to a terminal, read from Linux's /proc
  /// (`/proc/PID/fd/2` links to `/dev/pts/N` or `/dev/ttyN` for a terminal). False where
  /// /proc cannot tell (another system, another user's launcher).
  static func launcherStandardErrorIsTerminal() -> Bool {
    var pid = getppid()
    for _ in 0..<4 where pid > 1 {
      let comm = (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8))?
        .trimmingCharacters(in: .whitespacesAndNewlines)
      if let comm, launcherNames.contains(comm) {
        let target = try? FileManager.default.destinationOfSymbolicLink(
          atPath: "/proc/\(pid)/fd/2")
        return target.map { $0.hasPrefix("/dev/pts/") || $0.hasPrefix("/dev/tty") } ?? false
      }
      guard let fields = processStatFields(pid), fields.count > 1, let parent = Int32(fields[1])
      else { return false }
      pid = parent
    }
    return false
  }
}

/// Progress of a run on standard error, printed by rank 0 only: a live line rewritten in
/// place on a terminal, or a full line at least every `interval` seconds otherwise (Slurm
/// logs), also while one step or one write takes longer than that: a timer repeats the
/// last known position with the time elapsed when the run loop has not reported since.
///
/// `@unchecked Sendable`: the timer's handler runs on another thread; everything it touches
/// is immutable or inside `state`'s mutex, and a dispatch source may be cancelled from any
/// thread.
final class ProgressReporter: @unchecked Sendable {
  let display: ProgressDisplay
  let totalUnits: Int
  let interval: TimeInterval
  let started = Date()

  private struct State {
    var lastPrint = Date.distantPast
    var lastLength = 0
    var doneUnits = 0
    var what = "starting"
    var finished = false
  }
  private let state = Mutex(State())
  private let timer: DispatchSourceTimer?

  /// `display` must be resolved (not `auto`); `enabled` false shows nothing.
  init(enabled: Bool, display: ProgressDisplay, totalUnits: Int, interval: TimeInterval = 5) {
    self.display = enabled ? display.resolved() : .none
    self.totalUnits = max(totalUnits, 1)
    self.interval = self.display == .live ? 1 : interval
    guard self.display != .none else {
      timer = nil
      return
    }
    let timer = DispatchSource.makeTimerSource(queue: .global(qos: .utility))
    self.timer = timer
    let period = min(self.interval, 1)
    timer.schedule(deadline: .now() + period, repeating: period)
    timer.setEventHandler { [weak self] in self?.heartbeat() }
    timer.resume()
  }

  deinit { timer?.cancel() }

  /// Reports that `doneUnits` of `totalUnits` are done; `what` says where. Printed when
  /// the last line is older than the interval (or `force`).
  func update(doneUnits: Int, what: String, force: Bool = false) {
    guard display != .none else { return }
    state.withLock { state in
      guard !state.finished else { return }
      state.doneUnits = doneUnits
      state.what = what
      let now = Date()
      guard force || now.timeIntervalSince(state.lastPrint) >= interval else { return }
      emit(&state, now: now)
    }
  }

  /// Repeats the last position when nothing was printed for an interval.
  private func heartbeat() {
    state.withLock { state in
      let now = Date()
      guard !state.finished, now.timeIntervalSince(state.lastPrint) >= interval else { return }
      emit(&state, now: now)
    }
  }

  private func emit(_ state: inout State, now: Date) {
    state.lastPrint = now
    let elapsed = now.timeIntervalSince(started)
    let fraction = Double(state.doneUnits) / Double(totalUnits)
    let left = fraction > 0 ? elapsed * (1 - fraction) / fraction : .nan
    let line =
      "twin-sim: \(state.what), \(Int((fraction * 100).rounded()))%, elapsed "
      + "\(Self.format(elapsed)), left ~\(Self.format(left))"
    if display == .live {
      let padding = String(repeating: " ", count: max(0, state.lastLength - line.count))
      FileHandle.standardError.write(Data(("\r" + line + padding).utf8))
      state.lastLength = line.count
    } else {
      FileHandle.standardError.write(Data((line + "\n").utf8))
    }
  }

  /// Ends the live line with a summary; nothing is printed after it.
  func finish(_ summary: String) {
    guard display != .none else { return }
    timer?.cancel()
    state.withLock { state in
      state.finished = true
      let elapsed = Date().timeIntervalSince(started)
      let line = "twin-sim: \(summary) in \(Self.format(elapsed))"
      if display == .live {
        let padding = String(repeating: " ", count: max(0, state.lastLength - line.count))
        FileHandle.standardError.write(Data(("\r" + line + padding + "\n").utf8))
      } else {
        FileHandle.standardError.write(Data((line + "\n").utf8))
      }
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

/// The fields of Linux's `/proc/PID/stat` after the command name (state, ppid, ...); nil
/// where /proc cannot tell (no such process, another system).
func processStatFields(_ pid: pid_t) -> [Substring]? {
  guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
    let close = stat.lastIndex(of: ")")
  else { return nil }
  return stat[stat.index(after: close)...].split(separator: " ")
}
