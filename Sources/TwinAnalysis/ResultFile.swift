import Crypto
import Foundation
import HDF5Kit

/// Who made a result and how: the root attributes of `results.h5`
/// (docs/hdf5-layout.md), for reports and summaries.
public struct RunProvenance: Sendable, Equatable {
  public var scenarioName: String
  /// Full text of the scenario file as the run read it.
  public var scenarioYAML: String
  public var seed: Int64
  public var softwareVersion: String
  public var runID: String
  /// Start of the run, ISO 8601 UTC.
  public var created: String
  public var mpiRanks: Int64?
  /// `running`, `complete` or `failed`.
  public var status: String
  public var riskEquation: String?
  public var outsideValidity: String?
  /// `year` or `month`.
  public var timeStep: String?
  /// Calendar year at time 0 (as stored: a string).
  public var startYear: String?
  /// `uncertainty.replicates` and `uncertainty.parameter_draws` of the scenario (nil in
  /// files written before they were stored).
  public var replicates: Int?
  public var parameterDraws: Int?
  /// Data-management and scheduler links when the run recorded them, as
  /// (attribute name, value) in the order of `linkAttributeNames`.
  public var links: [ProvenanceLink]

  /// Root attributes that link a run to its data management plan, its Slurm
  /// job and its workflow step. twin-sim shows every one that a file has.
  public static let linkAttributeNames = [
    "dmp_id", "dmp_dataset", "dmp_dataset_id", "dmp_project", "dmp_distribution",
    "slurm_job_id", "slurm_job_name", "slurm_cluster", "slurm_array_job_id",
    "slurm_array_task_id", "workflow_step", "workflow_run_id", "provenance_crate",
  ]
}

/// One root attribute linking a run to its context, e.g. `slurm_job_id` = `4711`.
public struct ProvenanceLink: Sendable, Equatable {
  public var name: String
  public var value: String

  public init(_ name: String, _ value: String) {
    self.name = name
    self.value = value
  }
}

/// An opened twin-sim result file (layout: docs/hdf5-layout.md), checked on
/// opening: it exists, is HDF5, carries twin-sim's root attributes, and (unless
/// allowed otherwise) says `status = complete`.
///
/// Reading is serial and independent of MPI. HDF5 is not thread-safe: use one
/// `ResultFile` from one thread.
public final class ResultFile {
  /// Path as given.
  public let path: String
  public let provenance: RunProvenance
  /// Arm names in scenario order (root attribute `arms`).
  public let armNames: [String]
  /// The reference arm of comparisons (root attribute `baseline_arm`; the first
  /// arm, the scenario's default, when the attribute is absent).
  public let baselineArm: String
  /// Time points 0, dt, ..., horizon in years since the start (`/time`).
  public let timesYears: [Double]
  /// Persons simulated (`n_persons`); the same persons in every arm.
  public let personCount: Int
  /// Realisations (replicates x parameter draws), rows of every summary dataset.
  public let realisationCount: Int

  let file: H5File
  let root: H5Group
  /// Whether datasets' `sha256` digests are checked when a dataset is read whole.
  public let verifiesDigests: Bool
  /// Datasets whose digest was checked (each is checked once).
  private var verified: Set<String> = []

  /// The horizon: the last time point, in years.
  public var horizonYears: Double { timesYears.last ?? 0 }

  /// Whether the run finished (`status` = `complete`).
  public var isComplete: Bool { provenance.status == "complete" }

  private init(
    path: String, file: H5File, root: H5Group, provenance: RunProvenance, armNames: [String],
    baselineArm: String, timesYears: [Double], personCount: Int, realisationCount: Int,
    verifiesDigests: Bool
  ) {
    self.verifiesDigests = verifiesDigests
    self.path = path
    self.file = file
    self.root = root
    self.provenance = provenance
    self.armNames = armNames
    self.baselineArm = baselineArm
    self.timesYears = timesYears
    self.personCount = personCount
    self.realisationCount = realisationCount
  }

  /// Opens and checks a result file.
  ///
  /// - Parameter allowIncomplete: read a file whose `status` is not
  ///   `complete` (a run still going, or one that failed); its datasets may
  ///   be partly unwritten.
  ///   - verify: check the `sha256` digest of every dataset read whole
  ///     (files written before digests were stored have none and are read as
  ///     they are); false for `--no-verify`.
  /// - Throws: `.fileNotFound`, `.notAResultFile`, `.incomplete`, `.damaged`
  ///   for a checksum mismatch, or `.invalidLayout` when the root attributes,
  ///   `/time`, `/person`, `/realisation` or the arms disagree.
  public static func open(
    path: String, allowIncomplete: Bool = false, verify: Bool = true
  ) throws(AnalysisError) -> ResultFile {
    var isFolder: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
      throw .fileNotFound(path: path)
    }
    if isFolder.boolValue {
      throw .notAResultFile(path: path, reason: "it is a folder; give its results.h5")
    }
    let file: H5File
    do {
      file = try H5File.open(path: path)
    } catch {
      throw .notAResultFile(path: path, reason: "HDF5 cannot open it: \(error.stack.last ?? "")")
    }
    let root = try readingHDF5 { () throws(HDF5Error) in try file.root() }
    for name in ["status", "software_version", "arms", "n_persons", "scenario_yaml", "seed"] {
      let present = try readingHDF5 { () throws(HDF5Error) in try root.hasAttribute(name) }
      if !present {
        throw .notAResultFile(path: path, reason: "no root attribute '\(name)'")
      }
    }
    let attributes = RootAttributes(root: root)
    let status = try attributes.text("status") ?? ""
    if status != "complete" && !allowIncomplete {
      throw .incomplete(path: path, status: status)
    }
    var links: [ProvenanceLink] = []
    for name in RunProvenance.linkAttributeNames {
      if let value = try attributes.text(name) { links.append(ProvenanceLink(name, value)) }
    }
    let provenance = RunProvenance(
      scenarioName: try attributes.text("scenario_name") ?? "",
      scenarioYAML: try attributes.text("scenario_yaml") ?? "",
      seed: try attributes.integer("seed") ?? 0,
      softwareVersion: try attributes.text("software_version") ?? "",
      runID: try attributes.text("run_id") ?? "", created: try attributes.text("created") ?? "",
      mpiRanks: try attributes.integer("mpi_ranks"), status: status,
      riskEquation: try attributes.text("risk_equation"),
      outsideValidity: try attributes.text("outside_validity"),
      timeStep: try attributes.text("time_step"), startYear: try attributes.text("start_year"),
      replicates: try attributes.text("replicates").flatMap { Int($0) },
      parameterDraws: try attributes.text("parameter_draws").flatMap { Int($0) },
      links: links)

    let armNames = (try attributes.text("arms") ?? "").split(separator: ",").map(String.init)
    guard !armNames.isEmpty else {
      throw .notAResultFile(path: path, reason: "the root attribute 'arms' names no arm")
    }
    let baselineArm = try attributes.text("baseline_arm") ?? armNames[0]
    guard armNames.contains(baselineArm) else {
      throw .invalidLayout(
        path: path, detail: "baseline_arm '\(baselineArm)' is not one of the arms \(armNames)")
    }
    for name in armNames where !isArmName(name) {
      throw .invalidLayout(
        path: path,
        detail: "the arm name \(name.debugDescription) is not [A-Za-z0-9_-]{1,64} "
          + "(arm names become file names)")
    }
    if Set(armNames).count != armNames.count {
      throw .invalidLayout(path: path, detail: "the root attribute 'arms' names an arm twice")
    }
    let checks = LayoutChecks(path: path, root: root, verify: verify)
    let times = try checks.times()
    let personCount = try checks.persons(stated: try attributes.integer("n_persons"))
    let realisations = try checks.realisations(stated: try attributes.integer("realisations"))
    let result = ResultFile(
      path: path, file: file, root: root, provenance: provenance, armNames: armNames,
      baselineArm: baselineArm, timesYears: times, personCount: personCount,
      realisationCount: realisations, verifiesDigests: verify)
    for arm in armNames { _ = try result.armGroup(arm) }
    return result
  }

  /// Whether `name` may name an arm: the scenario's rule `[A-Za-z0-9_-]{1,64}`
  /// (docs/scenario.md). Export makes file names of arm names, so a file
  /// naming an arm `../x` or `a/b` is refused.
  static func isArmName(_ name: String) -> Bool {
    (1...64).contains(name.utf8.count)
      && name.utf8.allSatisfy { byte in
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A)
          || (byte >= 0x61 && byte <= 0x7A) || byte == 0x5F || byte == 0x2D
      }
  }

  /// Checks the `sha256` digest of a dataset (SHA-256 of its stored bytes,
  /// written by the run at its end) unless `--no-verify`, once per dataset;
  /// datasets without the attribute (older files) are not checked.
  func verifyDigest(_ dataset: H5AnyDataset, location: String) throws(AnalysisError) {
    guard verifiesDigests, !verified.contains(location) else { return }
    try ResultFile.checkDigest(dataset, location: location, path: path)
    verified.insert(location)
  }

  static func checkDigest(
    _ dataset: H5AnyDataset, location: String, path: String
  ) throws(AnalysisError) {
    let stored = try readingHDF5 { () throws(HDF5Error) -> String? in
      try dataset.hasAttribute("sha256") ? try dataset.stringAttribute("sha256") : nil
    }
    guard let stored else { return }
    var hasher = SHA256()
    try readingHDF5 { () throws(HDF5Error) in
      try dataset.forEachStoredBlock { hasher.update(bufferPointer: $0) }
    }
    let digest = hasher.finalize().map { String(format: "%02x", $0) }.joined()
    guard digest == stored else {
      throw .damaged(path: path, detail: "\(location): checksum mismatch: the file is damaged")
    }
  }

  /// A count summed over time points as an `Int`, or `.invalidLayout` when it
  /// is not a whole number an `Int` holds.
  func exactCount(_ value: Double, _ what: String) throws(AnalysisError) -> Int {
    guard let count = Int(exactly: value) else {
      throw .invalidLayout(path: path, detail: "\(what) sums to \(value), not a count")
    }
    return count
  }

  /// Throws `.unknownArm` unless the file has an arm of that name.
  public func requireArm(_ name: String) throws(AnalysisError) {
    guard armNames.contains(name) else {
      throw .unknownArm(path: path, arm: name, available: armNames)
    }
  }

  /// The group `/arms/<name>`.
  func armGroup(_ name: String) throws(AnalysisError) -> H5Group {
    try requireArm(name)
    do {
      return try file.openGroup("/arms/\(name)")
    } catch {
      throw .invalidLayout(path: path, detail: "the arm '\(name)' has no group /arms/\(name)")
    }
  }

  /// A summary dataset of an arm, shape [realisation, time], as rows of
  /// realisations. Missing datasets are a layout error.
  /// Whether `/arms/<arm>/summary/<name>` exists (datasets added in later versions).
  func hasSummaryDataset(arm: String, dataset name: String) throws(AnalysisError) -> Bool {
    let group = try armGroup(arm)
    return try readingHDF5 { () throws(HDF5Error) in
      guard try group.contains("summary") else { return false }
      return try group.openGroup("summary").contains(name)
    }
  }

  func summaryRows(arm: String, dataset name: String) throws(AnalysisError) -> [[Double]] {
    let group = try armGroup(arm)
    let location = "/arms/\(arm)/summary/\(name)"
    let exists = try readingHDF5 { () throws(HDF5Error) in
      guard try group.contains("summary") else { return false }
      return try group.openGroup("summary").contains(name)
    }
    guard exists else { throw .invalidLayout(path: path, detail: "no dataset \(location)") }
    let (dataset, shape, stored) = try readingHDF5 { () throws(HDF5Error) in
      let dataset = try group.openGroup("summary").openDataset(name, of: Double.self)
      return (dataset, try dataset.shape(), try dataset.storedType())
    }
    guard shape == [realisationCount, timesYears.count] else {
      throw .invalidLayout(
        path: path,
        detail: "\(location) has shape \(shape), expected [\(realisationCount), "
          + "\(timesYears.count)] (realisations, time points)")
    }
    try verifyDigest(dataset, location: location)
    let values = try readingHDF5 { () throws(HDF5Error) in try dataset.read() }
    // Counts and person-time: finite, not negative, and counts small enough that
    // their sums over time points stay exact (at most 2^40 per time point).
    if let bad = values.first(where: {
      !$0.isFinite || $0 < 0 || (stored.isInteger && $0 > Self.largestCount)
    }) {
      throw .invalidLayout(
        path: path, detail: "\(location) holds \(bad), not a count or person-time")
    }
    let columns = timesYears.count
    return (0..<realisationCount).map { Array(values[($0 * columns)..<(($0 + 1) * columns)]) }
  }

  /// The largest count a summary dataset may hold at one time point.
  static let largestCount = Double(1 << 40)

  /// Names of an arm's per-person series: datasets of shape [person, time]
  /// directly under `/arms/<arm>`, in HDF5 name order.
  func seriesNames(arm: String) throws(AnalysisError) -> [String] {
    let group = try armGroup(arm)
    let members = try readingHDF5 { () throws(HDF5Error) in try group.memberNames() }
    let expected = [personCount, timesYears.count]
    return members.filter { name in
      // Groups (events, summary, ...) fail to open as datasets.
      guard let dataset = try? group.openDataset(name, of: Double.self) else { return false }
      return (try? dataset.shape()) == expected
    }
  }

  /// An arm's per-person series, or nil when the arm does not record it.
  func series(arm: String, name: String) throws(AnalysisError) -> PersonSeries? {
    guard try seriesNames(arm: arm).contains(name) else { return nil }
    let group = try armGroup(arm)
    return try readingHDF5 { () throws(HDF5Error) in
      let dataset = try group.openDataset(name, of: Double.self)
      let units = try dataset.hasAttribute("units") ? try dataset.stringAttribute("units") : ""
      let description =
        try dataset.hasAttribute("description") ? try dataset.stringAttribute("description") : ""
      return PersonSeries(name: name, units: units, description: description, dataset: dataset)
    }
  }

  /// Person identifiers (`/person`) of global person indices `range`.
  func personIdentifiers(_ range: Range<Int>) throws(AnalysisError) -> [Int64] {
    try readingHDF5 { () throws(HDF5Error) in
      try root.openDataset("person", of: Int64.self).read(
        offset: [range.lowerBound], count: [range.count])
    }
  }

  /// The attributes of `/persons` (the persons at the start, shape [person])
  /// in the order of `PersonColumn.attributeNames`, then the conditions in the
  /// order of the root attribute `conditions`, then any other dataset of the
  /// group in name order.
  func personColumns() throws(AnalysisError) -> [PersonColumn] {
    let present = try readingHDF5 { () throws(HDF5Error) in try root.contains("persons") }
    guard present else {
      throw .invalidLayout(path: path, detail: "no group /persons (the persons at the start)")
    }
    let group = try readingHDF5 { () throws(HDF5Error) in try root.openGroup("persons") }
    let members = try readingHDF5 { () throws(HDF5Error) in try group.memberNames() }
    for name in PersonColumn.attributeNames where !members.contains(name) {
      throw .invalidLayout(path: path, detail: "no dataset /persons/\(name)")
    }
    let declared = (try RootAttributes(root: root).text("conditions") ?? "")
      .split(separator: ",").map(String.init).filter { members.contains($0) }
    let others = members.filter {
      !PersonColumn.attributeNames.contains($0) && !declared.contains($0)
    }
    return try (PersonColumn.attributeNames + declared + others).map {
      name throws(AnalysisError) in
      let dataset = try readingHDF5 { () throws(HDF5Error) in
        try group.openDataset(name, of: Double.self)
      }
      let shape = try readingHDF5 { () throws(HDF5Error) in try dataset.shape() }
      guard shape == [personCount] else {
        throw .invalidLayout(
          path: path, detail: "/persons/\(name) has shape \(shape), expected [\(personCount)]")
      }
      try verifyDigest(dataset, location: "/persons/\(name)")
      return PersonColumn(name: name, dataset: dataset)
    }
  }
}

/// What `ResultFile.open` checks of `/time`, `/person` and `/realisation`
/// against the root attributes.
private struct LayoutChecks {
  let path: String
  let root: H5Group
  let verify: Bool
  var verified: Set<String> = []

  init(path: String, root: H5Group, verify: Bool) {
    self.path = path
    self.root = root
    self.verify = verify
  }

  /// The most time points, persons and realisations a file may claim (far
  /// beyond any run; a damaged count must not make a reader loop for ages).
  static let largestExtent = 1 << 40

  /// A one-dimensional dataset: its length, after checking its digest.
  func extent<T: HDF5Scalar>(_ name: String, _ type: T.Type) throws(AnalysisError) -> (
    H5Dataset<T>, Int
  ) {
    let present = try readingHDF5 { () throws(HDF5Error) in try root.contains(name) }
    guard present else { throw .invalidLayout(path: path, detail: "no dataset /\(name)") }
    let dataset = try readingHDF5 { () throws(HDF5Error) in try root.openDataset(name, of: type) }
    let shape = try readingHDF5 { () throws(HDF5Error) in try dataset.shape() }
    guard shape.count == 1, shape[0] <= Self.largestExtent else {
      throw .invalidLayout(path: path, detail: "/\(name) has shape \(shape), expected [n]")
    }
    if verify { try ResultFile.checkDigest(dataset, location: "/\(name)", path: path) }
    return (dataset, shape[0])
  }

  /// `/time`: at least one time point, finite, from 0 on, increasing.
  func times() throws(AnalysisError) -> [Double] {
    let (dataset, count) = try extent("time", Double.self)
    guard count >= 1, count <= 1 << 20 else {
      throw .invalidLayout(path: path, detail: "/time holds \(count) time points")
    }
    let times = try readingHDF5 { () throws(HDF5Error) in try dataset.read() }
    let increasing = zip(times, times.dropFirst()).allSatisfy { $0 < $1 }
    guard times.allSatisfy(\.isFinite), times[0] >= 0, increasing else {
      throw .invalidLayout(
        path: path, detail: "/time is not increasing finite years from 0: \(times.prefix(8))...")
    }
    return times
  }

  /// `n_persons`, which must be the length of `/person`.
  func persons(stated: Int64?) throws(AnalysisError) -> Int {
    let (_, count) = try extent("person", Int64.self)
    guard let stated, stated == Int64(count) else {
      throw .invalidLayout(
        path: path,
        detail: "the root attribute n_persons = \(stated.map(String.init) ?? "none") "
          + "disagrees with /person, which holds \(count) persons")
    }
    return count
  }

  /// `realisations`, which must be the length of `/realisation` (at least 1);
  /// files without `/realisation` (written by tests) have the attribute only.
  func realisations(stated: Int64?) throws(AnalysisError) -> Int {
    let present = try readingHDF5 { () throws(HDF5Error) in try root.contains("realisation") }
    let count: Int
    if present {
      count = try extent("realisation", Int32.self).1
    } else {
      guard let stated, stated >= 1, stated <= Int64(1 << 24) else {
        throw .invalidLayout(
          path: path, detail: "no /realisation and no plausible attribute realisations")
      }
      count = Int(stated)
    }
    guard count >= 1 else {
      throw .invalidLayout(path: path, detail: "the file holds no realisation")
    }
    if let stated, stated != Int64(count) {
      throw .invalidLayout(
        path: path,
        detail: "the root attribute realisations = \(stated) disagrees with /realisation, "
          + "which holds \(count) realisations")
    }
    return count
  }
}

/// One attribute of the persons at the start, `/persons/<name>`, shape [person].
struct PersonColumn {
  /// The attributes every file has, in the order of docs/hdf5-layout.md.
  static let attributeNames = [
    "sex", "age", "sbp", "total_cholesterol", "hdl", "bmi", "smoking", "diabetes", "bp_treated",
  ]
  let name: String
  let dataset: H5Dataset<Double>

  /// Values of persons `range`.
  func read(persons range: Range<Int>) throws(AnalysisError) -> [Double] {
    try readingHDF5 { () throws(HDF5Error) in
      try dataset.read(offset: [range.lowerBound], count: [range.count])
    }
  }
}

/// One per-person series `/arms/<arm>/<name>`, shape [person, time].
struct PersonSeries {
  let name: String
  /// The dataset's `units` attribute (`1` for fractions and flags).
  let units: String
  let description: String
  let dataset: H5Dataset<Double>

  /// Values of persons `range` at every time point, row-major [person, time].
  func read(persons range: Range<Int>, timePoints: Int) throws(AnalysisError) -> [Double] {
    try readingHDF5 { () throws(HDF5Error) in
      try dataset.read(offset: [range.lowerBound, 0], count: [range.count, timePoints])
    }
  }
}

/// Reads root attributes whatever their stored type.
private struct RootAttributes {
  let root: H5Group

  /// A string attribute, or a numeric one written as text; nil when absent.
  func text(_ name: String) throws(AnalysisError) -> String? {
    let present = try readingHDF5 { () throws(HDF5Error) in try root.hasAttribute(name) }
    guard present else { return nil }
    if let value = try? root.stringAttribute(name) { return value }
    let numbers = try readingHDF5 { () throws(HDF5Error) in
      try root.numericAttribute(name, as: Double.self)
    }
    return numbers.map { $0 == $0.rounded() ? String(Int64($0)) : String($0) }
      .joined(separator: ",")
  }

  /// An integer attribute (also accepted as a string of digits); nil when absent.
  func integer(_ name: String) throws(AnalysisError) -> Int64? {
    let present = try readingHDF5 { () throws(HDF5Error) in try root.hasAttribute(name) }
    guard present else { return nil }
    if let values = try? root.numericAttribute(name, as: Int64.self), values.count == 1 {
      return values[0]
    }
    return try text(name).flatMap { Int64($0) }
  }
}
