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

  /// The horizon: the last time point, in years.
  public var horizonYears: Double { timesYears.last ?? 0 }

  /// Whether the run finished (`status` = `complete`).
  public var isComplete: Bool { provenance.status == "complete" }

  private init(
    path: String, file: H5File, root: H5Group, provenance: RunProvenance, armNames: [String],
    baselineArm: String, timesYears: [Double], personCount: Int, realisationCount: Int
  ) {
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
  /// - Throws: `.fileNotFound`, `.notAResultFile`, `.incomplete`, or
  ///   `.invalidLayout` when `/time` or the arms are inconsistent.
  public static func open(
    path: String, allowIncomplete: Bool = false
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
    let personCount = Int(try attributes.integer("n_persons") ?? 0)
    let times: [Double] = try readingHDF5 { () throws(HDF5Error) in
      try root.openDataset("time", of: Double.self).read()
    }
    guard !times.isEmpty else {
      throw .invalidLayout(path: path, detail: "/time holds no time point")
    }
    let realisations: Int
    if let stored = try attributes.integer("realisations") {
      realisations = Int(stored)
    } else {
      realisations = try readingHDF5 { () throws(HDF5Error) in
        try root.openDataset("realisation", of: Int32.self).shape().first ?? 0
      }
    }
    guard realisations >= 1 else {
      throw .invalidLayout(path: path, detail: "the file holds no realisation")
    }
    return ResultFile(
      path: path, file: file, root: root, provenance: provenance, armNames: armNames,
      baselineArm: baselineArm, timesYears: times, personCount: personCount,
      realisationCount: realisations)
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
    let (shape, values) = try readingHDF5 { () throws(HDF5Error) in
      let dataset = try group.openGroup("summary").openDataset(name, of: Double.self)
      return (try dataset.shape(), try dataset.read())
    }
    guard shape == [realisationCount, timesYears.count] else {
      throw .invalidLayout(
        path: path,
        detail: "\(location) has shape \(shape), expected [\(realisationCount), "
          + "\(timesYears.count)] (realisations, time points)")
    }
    let columns = timesYears.count
    return (0..<realisationCount).map { Array(values[($0 * columns)..<(($0 + 1) * columns)]) }
  }

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
      return PersonColumn(name: name, dataset: dataset)
    }
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
