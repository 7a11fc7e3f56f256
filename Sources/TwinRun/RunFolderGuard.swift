import Foundation
import HDF5Kit

/// Keeps a new run from destroying a finished one (docs/operations.md, "The run folder").
///
/// A run folder that holds a complete run (`results.h5` whose `status` is `complete`) or
/// checkpoints of another scenario is *occupied*: a new run into it is refused (exit 2)
/// unless the user asks for `--overwrite`, which moves the whole folder aside to
/// `DIR.replaced-<run_id>` and starts in a new, empty `DIR`. twin-sim never deletes a
/// finished result; deleting the moved-aside folder is the user's own decision.
/// `--resume` continues the run the folder holds and is not affected.
public enum RunFolderGuard {
  /// What occupies a run folder.
  public struct Occupant: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
      /// `results.h5` with status `complete`.
      case completeRun
      /// Checkpoints whose scenario differs from the one about to run.
      case checkpointsOfAnotherScenario
    }
    public var kind: Kind
    /// The file the facts were read from (`results.h5` or a checkpoint).
    public var file: String
    public var scenarioName: String
    public var runID: String

    /// "a complete run" / "checkpoints of another scenario", for messages.
    public var what: String {
      switch kind {
      case .completeRun: "a complete run"
      case .checkpointsOfAnotherScenario: "checkpoints of another scenario"
      }
    }
  }

  /// The finished run or foreign checkpoints in `directory`, if any. A folder that does
  /// not exist, is empty, or holds only an unfinished run of any scenario, or checkpoints
  /// of `scenarioChecksum`, is not occupied. A result file that cannot be read counts as
  /// occupying: twin-sim cannot tell that it is not finished.
  public static func occupant(of directory: URL, scenarioChecksum: String) -> Occupant? {
    let results = directory.appendingPathComponent(RunDriver.FileName.results)
    if FileManager.default.fileExists(atPath: results.path) {
      let facts = rootFacts(of: results.path)
      if facts?.status != "running" {
        return Occupant(
          kind: .completeRun, file: results.path, scenarioName: facts?.scenarioName ?? "?",
          runID: facts?.runID ?? "unknown")
      }
    }
    let store = CheckpointStore(directory: directory, keep: 1)
    if let foreign = store.manifests().first(where: { $0.scenarioChecksum != scenarioChecksum }) {
      let path = directory.appendingPathComponent(foreign.file).path
      let facts = rootFacts(of: path)
      return Occupant(
        kind: .checkpointsOfAnotherScenario, file: path,
        scenarioName: facts?.scenarioName ?? "?",
        runID: facts?.runID ?? "checkpoint-\(foreign.sequence)")
    }
    return nil
  }

  /// The refusal printed when a run would go into an occupied folder.
  public static func refusal(directory: URL, occupant: Occupant) -> String {
    "run folder \(directory.path) holds \(occupant.what) (scenario '\(occupant.scenarioName)', "
      + "run id \(occupant.runID), \(URL(fileURLWithPath: occupant.file).lastPathComponent)); "
      + "twin-sim does not overwrite it. Choose another --output, or add --overwrite to move "
      + "that run aside to \(asideURL(for: directory, runID: occupant.runID).path)/ first"
  }

  /// `DIR.replaced-<run_id>`, or with `-2`, `-3`, ... where that exists already.
  public static func asideURL(for directory: URL, runID: String) -> URL {
    let folder = directory.standardizedFileURL
    let parent = folder.deletingLastPathComponent()
    let safeID = String(runID.map { $0.isLetter || $0.isNumber || $0 == "-" ? $0 : "_" })
    let base = "\(folder.lastPathComponent).replaced-\(safeID)"
    var candidate = parent.appendingPathComponent(base, isDirectory: true)
    var suffix = 2
    while FileManager.default.fileExists(atPath: candidate.path) {
      candidate = parent.appendingPathComponent("\(base)-\(suffix)", isDirectory: true)
      suffix += 1
    }
    return candidate
  }

  /// Moves the whole run folder aside (one rename, nothing copied or deleted) and
  /// returns where it went.
  public static func moveAside(_ directory: URL, occupant: Occupant) throws -> URL {
    let aside = asideURL(for: directory, runID: occupant.runID)
    try FileManager.default.moveItem(at: directory.standardizedFileURL, to: aside)
    return aside
  }

  /// `status`, `scenario_name` and `run_id` of a result or checkpoint file; nil when it
  /// cannot be read.
  static func rootFacts(of path: String) -> (status: String, scenarioName: String, runID: String)? {
    guard let file = try? H5File.open(path: path) else { return nil }
    defer { try? file.close() }
    guard let root = try? file.root(),
      let status = try? root.stringAttribute("status")
    else { return nil }
    return (
      status, (try? root.stringAttribute("scenario_name")) ?? "?",
      (try? root.stringAttribute("run_id")) ?? "unknown"
    )
  }
}
