import Foundation

/// The parts of an RDA DMP Common Standard document (maDMP 1.1 or 1.2) that
/// twin-sim reads, plus twin-sim's namespaced extension keys (`twin_sim:...`,
/// documented in docs/dmp.md). Every part remembers its JSON pointer so that
/// a check can cite the DMP entry it relies on.
public struct DataManagementPlan: Sendable {
  public var title: String
  /// `dmp_id.identifier`.
  public var identifier: String
  public var datasets: [DMPDataset]
  /// `twin_sim:workflow.steps`: the workflow steps (Slurm jobs) and their data.
  public var steps: [WorkflowStep]
  /// `twin_sim:allowed_geo_locations`: ISO 3166-1 alpha-2 codes where the
  /// data may be processed and stored.
  public var allowedGeoLocations: [String]
  /// Folder that relative `twin_sim:path` patterns are resolved against (the
  /// DMP file's folder).
  public var baseDirectory: URL
  /// The whole document, unchanged.
  public var document: JSONValue

  public static let workflowKey = "twin_sim:workflow"
  public static let allowedGeoLocationsKey = "twin_sim:allowed_geo_locations"

  public func step(named name: String) -> WorkflowStep? {
    steps.first { $0.name == name }
  }

  public func dataset(withIdentifier identifier: String) -> DMPDataset? {
    datasets.first { $0.identifier == identifier }
  }

  /// Pointer of `twin_sim:allowed_geo_locations`.
  public var allowedGeoLocationsPointer: JSONPointer {
    JSONPointer(["dmp", Self.allowedGeoLocationsKey])
  }

  /// Pointer of the step list.
  public var stepsPointer: JSONPointer { JSONPointer(["dmp", Self.workflowKey, "steps"]) }
}

/// `yes`, `no` or `unknown` (the standard's "Booleanish").
public enum Booleanish: String, Sendable, CaseIterable {
  case yes, no, unknown
}

/// `distribution.data_access`.
public enum DataAccess: String, Sendable, CaseIterable {
  case open, shared, closed
}

/// One `dmp.dataset[i]`.
public struct DMPDataset: Sendable {
  public var pointer: JSONPointer
  public var title: String
  /// `dataset_id.identifier`: what workflow steps name in `reads`/`writes`.
  public var identifier: String
  public var personalData: Booleanish
  public var sensitiveData: Booleanish
  public var distributions: [DMPDistribution]
  /// `twin_sim:io_intensity`, if declared.
  public var ioIntensity: IOIntensity?
  /// `twin_sim:retention`, if declared.
  public var retention: RetentionRule?

  /// Personal or sensitive data, or not known to be neither: `unknown` is
  /// treated like `yes`, since a plan that cannot say must not relax protection.
  public var needsProtection: Bool {
    personalData != .no || sensitiveData != .no
  }

  public static let ioIntensityKey = "twin_sim:io_intensity"
  public static let retentionKey = "twin_sim:retention"
}

/// One `dataset.distribution[j]`.
public struct DMPDistribution: Sendable {
  public var pointer: JSONPointer
  public var title: String
  public var dataAccess: DataAccess
  /// `twin_sim:path`: where the files of this distribution live, a pattern in
  /// which `*` matches within one path component, relative to the DMP's folder
  /// or absolute.
  public var pathPattern: String?
  /// `host.geo_location`, if given.
  public var hostGeoLocation: String?

  public static let pathKey = "twin_sim:path"
}

/// One workflow step (typically one Slurm job) of `twin_sim:workflow.steps`.
public struct WorkflowStep: Sendable {
  public var pointer: JSONPointer
  public var name: String
  public var description: String?
  /// Dataset identifiers the step may read.
  public var reads: [String]
  /// Dataset identifiers the step may write.
  public var writes: [String]
}

/// `twin_sim:io_intensity` of a dataset: expected I/O per run, for storage planning.
public struct IOIntensity: Sendable, Hashable {
  public enum Level: String, Sendable, CaseIterable { case low, medium, high }
  public var level: Level
  /// Bytes read per run of a step that reads the dataset (>= 0), if estimated.
  public var readBytesPerRun: Int64?
  /// Bytes written per run of a step that writes the dataset (>= 0), if estimated.
  public var writeBytesPerRun: Int64?
}

/// `twin_sim:retention` of a dataset: how long its files are kept, and what
/// happens after.
public struct RetentionRule: Sendable, Hashable {
  public enum Action: String, Sendable, CaseIterable { case delete, archive }
  /// Days from a file's creation until it expires (1 ... 36,500).
  public var keepDays: Int
  public var afterExpiry: Action
  /// Folder archived files move to (required for `archive`).
  public var archiveLocation: String?
}
