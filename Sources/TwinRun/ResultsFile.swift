import Crypto
import Foundation
import HDF5Kit
import MPIKit
import TwinCore

/// What a result file holds, known before the simulation starts.
public struct ResultLayout: Sendable {
  public var personCount: Int
  /// Time points 0 ... steps, in years since the start.
  public var times: [Double]
  public var armNames: [String]
  public var recorded: [RecordedVariable]
  /// Floating-point series stored as Float64 (else Float32).
  public var doublePrecision: Bool
  /// Replicates x parameter draws.
  public var realisations: Int
  public var conditionNames: [String]
  /// Filter of the datasets (`output.compression`).
  public var compression: OutputCompression

  public init(
    personCount: Int, times: [Double], armNames: [String], recorded: [RecordedVariable],
    doublePrecision: Bool, realisations: Int, conditionNames: [String],
    compression: OutputCompression
  ) {
    self.personCount = personCount
    self.times = times
    self.armNames = armNames
    self.recorded = recorded
    self.doublePrecision = doublePrecision
    self.realisations = realisations
    self.conditionNames = conditionNames
    self.compression = compression
  }

  /// Chunks of the per-person series [person, time].
  ///
  /// Without a filter: one time point of up to `largestSeriesPersonChunk`
  /// persons, so that the column a step writes is one contiguous run of the
  /// file per chunk whatever the horizon (chunks of several time points are
  /// written one person's row at a time where a buffered write covers only
  /// part of their width, e.g. the last 15 of 31 time points: 700,000 write
  /// calls on 2 ranks in scripts/bench/io).
  ///
  /// With deflate: [up to 4096 persons, `timeChunk` time points], buffered by
  /// `BufferedSeriesRecorder`: a person's values along time compress to about
  /// 40 % (float64, level 1), values of many persons at one time point only to
  /// about 80 %.
  var seriesChunk: [Int] {
    if compression.deflateLevel != nil { return [personChunk, timeChunk] }
    // As many equal chunks as needed to stay within the largest, so that the
    // last chunk of a time point is not mostly padding (stored whole).
    let chunks = max(
      1, (personCount + Self.largestSeriesPersonChunk - 1) / Self.largestSeriesPersonChunk)
    return [max(1, (personCount + chunks - 1) / chunks), 1]
  }
  /// Time points per chunk of the deflate-compressed series, buffered before
  /// each collective write.
  var timeChunk: Int { min(times.count, 16) }
  /// At most this many persons per chunk of the series: 256 kB of float32,
  /// 512 kB of float64.
  static let largestSeriesPersonChunk = 65_536
  /// Persons per chunk of the deflate-compressed datasets.
  var personChunk: Int { max(1, min(personCount, 4096)) }
  /// Chunks of the one-dimensional per-person datasets: contiguous (nil)
  /// without a filter, as the deflate filter needs chunks.
  var personColumnChunk: [Int]? { compression.deflateLevel == nil ? nil : [personChunk] }
}

/// Root attributes of a result file.
public struct ResultMetadata: Sendable {
  public var softwareVersion: String
  public var scenarioYAML: String
  public var scenarioName: String
  public var seed: Int64
  public var runID: String
  public var created: String
  public var mpiRanks: Int
  public var extra: [(String, String)]

  public init(
    softwareVersion: String, scenarioYAML: String, scenarioName: String, seed: Int64,
    runID: String, created: String, mpiRanks: Int, extra: [(String, String)] = []
  ) {
    self.softwareVersion = softwareVersion
    self.scenarioYAML = scenarioYAML
    self.scenarioName = scenarioName
    self.seed = seed
    self.runID = runID
    self.created = created
    self.mpiRanks = mpiRanks
    self.extra = extra
  }
}

/// The result file, written collectively by all ranks (layout in
/// docs/hdf5-layout.md). Every method is a collective call.
final class ResultsFile {
  let file: H5File
  let layout: ResultLayout
  let range: Range<Int>
  let root: H5Group
  /// The ranks writing the file (the digests are computed on rank 0, `storeDigests`).
  let communicator: Communicator

  /// Creates the file and everything that does not depend on the simulation.
  init(
    path: String, layout: ResultLayout, metadata: ResultMetadata, block: PersonBlock,
    communicator: Communicator
  ) throws {
    self.layout = layout
    self.range = block.firstPerson..<(block.firstPerson + block.count)
    self.communicator = communicator
    file = try H5File.create(path: path, communicator: communicator)
    root = try file.root()
    try root.setAttribute("status", "running")
    try root.setAttribute("software_version", metadata.softwareVersion)
    try root.setAttribute("scenario_yaml", metadata.scenarioYAML)
    try root.setAttribute("scenario_name", metadata.scenarioName)
    try root.setAttribute("seed", metadata.seed)
    try root.setAttribute("n_persons", Int64(layout.personCount))
    try root.setAttribute("run_id", metadata.runID)
    try root.setAttribute("created", metadata.created)
    try root.setAttribute("mpi_ranks", Int64(metadata.mpiRanks))
    try root.setAttribute("realisations", Int64(layout.realisations))
    try root.setAttribute("arms", layout.armNames.joined(separator: ","))
    for (name, value) in metadata.extra { try root.setAttribute(name, value) }

    let time = try root.createDataset("time", of: Double.self, shape: [layout.times.count])
    try time.write(
      range.isEmpty ? [] : layout.times, offset: [0],
      count: [range.isEmpty ? 0 : layout.times.count])
    try describe(time, units: "years", "time since the simulation start (time points)")
    try time.makeDimensionScale(name: "time")
    self.timeScale = time

    let person = try root.createDataset(
      "person", of: Int64.self, shape: [layout.personCount], chunk: layout.personColumnChunk,
      deflateLevel: layout.compression.deflateLevel)
    try person.write(block.personID, offset: [range.lowerBound], count: [block.count])
    try describe(person, units: "1", "person identifier (table id or global index)")
    try person.makeDimensionScale(name: "person")
    self.personScale = person

    let realisation = try root.createDataset(
      "realisation", of: Int32.self, shape: [layout.realisations])
    let isRoot = communicator.isRoot
    isRootRank = isRoot
    try realisation.write(
      isRoot ? (0..<layout.realisations).map { Int32($0) } : [], offset: [0],
      count: [isRoot ? layout.realisations : 0])
    try describe(
      realisation, units: "1", "realisation index: replicate * parameter_draws + draw")
    try realisation.makeDimensionScale(name: "realisation")
    self.realisationScale = realisation

    try writePersons(block)
    armsGroup = try root.createGroup("arms")
  }

  /// Reopens a result file written up to a checkpoint (collective), to go on
  /// writing it.
  init(
    reopening path: String, layout: ResultLayout, range: Range<Int>, communicator: Communicator
  ) throws {
    self.layout = layout
    self.range = range
    self.communicator = communicator
    file = try H5File.open(path: path, writable: true, communicator: communicator)
    root = try file.root()
    isRootRank = communicator.isRoot
    timeScale = try root.openDataset("time", of: Double.self)
    personScale = try root.openDataset("person", of: Int64.self)
    realisationScale = try root.openDataset("realisation", of: Int32.self)
    armsGroup = try root.openGroup("arms")
  }

  /// `/arms`, one group per arm below it.
  private var armsGroup: H5Group!

  /// Whether this is rank 0, which writes data every rank holds alike.
  private var isRootRank = true
  let timeScale: H5Dataset<Double>
  let personScale: H5Dataset<Int64>
  let realisationScale: H5Dataset<Int32>

  /// Static per-person attributes at the start, under `/persons`.
  private func writePersons(_ block: PersonBlock) throws {
    let group = try root.createGroup("persons")
    func column<T: HDF5Scalar>(
      _ name: String, _ values: [T], units: String, _ description: String
    ) throws {
      let dataset = try group.createDataset(
        name, of: T.self, shape: [layout.personCount], chunk: layout.personColumnChunk,
        deflateLevel: layout.compression.deflateLevel)
      try dataset.write(values, offset: [range.lowerBound], count: [values.count])
      try describe(dataset, units: units, description)
      try dataset.attachScale(personScale, dimension: 0)
    }
    try column("sex", block.sex, units: "1", "0 female, 1 male")
    try column("age", block.ageYears, units: "years", "age at the simulation start")
    try column("sbp", block.sbp, units: "mmHg", "systolic blood pressure at the start")
    try column(
      "total_cholesterol", block.totalCholesterol, units: "mmol/L",
      "total cholesterol at the start")
    try column("hdl", block.hdl, units: "mmol/L", "HDL cholesterol at the start")
    try column("bmi", block.bmi, units: "kg/m2", "body-mass index at the start")
    try column("smoking", block.smoking, units: "1", "1 if a current smoker at the start")
    try column("diabetes", block.diabetes, units: "1", "1 if diabetes at the start")
    try column(
      "bp_treated", block.bpTreated, units: "1", "1 if on antihypertensives at the start")
    for (index, name) in layout.conditionNames.enumerated() {
      try column(name, block.conditions[index], units: "1", "1 if \(name) at the start")
    }
  }

  /// Creates `/arms/<arm>` with its series and summary datasets.
  func createArm(_ name: String) throws -> ArmDatasets {
    let group = try armsGroup.createGroup(name)
    try group.setAttribute("description", "what-if arm \(name)")
    let arm = ArmDatasets(group: group)
    let shape = [layout.personCount, layout.times.count]
    let chunk = layout.seriesChunk
    let level = layout.compression.deflateLevel
    for variable in layout.recorded {
      if variable.isFlag {
        let dataset = try group.createDataset(
          variable.name, of: UInt8.self, shape: shape, chunk: chunk, deflateLevel: level,
          chunkCache: level != nil)
        try describeSeries(dataset, variable)
        arm.flagSeries.append((variable, dataset))
      } else if layout.doublePrecision {
        let dataset = try group.createDataset(
          variable.name, of: Double.self, shape: shape, chunk: chunk, deflateLevel: level,
          chunkCache: level != nil)
        try describeSeries(dataset, variable)
        arm.doubleSeries.append((variable, dataset))
      } else {
        let dataset = try group.createDataset(
          variable.name, of: Float.self, shape: shape, chunk: chunk, deflateLevel: level,
          chunkCache: level != nil)
        try describeSeries(dataset, variable)
        arm.floatSeries.append((variable, dataset))
      }
    }
    let summary = try group.createGroup("summary")
    let summaryShape = [layout.realisations, layout.times.count]
    for (name, units, text) in SummaryColumns.columns(conditionNames: layout.conditionNames) {
      if SummaryColumns.personTimeNames.contains(name) {
        let dataset = try summary.createDataset(name, of: Double.self, shape: summaryShape)
        try describe(dataset, units: units, text)
        try attachSummaryScales(dataset)
        arm.personTime.append(dataset)
      } else {
        let dataset = try summary.createDataset(name, of: Int64.self, shape: summaryShape)
        try describe(dataset, units: units, text)
        try attachSummaryScales(dataset)
        arm.counts.append(dataset)
      }
    }
    return arm
  }

  /// Opens the datasets of an arm created before (after reopening the file).
  func openArm(_ name: String) throws -> ArmDatasets {
    let group = try armsGroup.openGroup(name)
    let arm = ArmDatasets(group: group)
    // Unfiltered series chunks are written whole, each step: no cache needed.
    let cache = layout.compression != .none
    for variable in layout.recorded {
      if variable.isFlag {
        arm.flagSeries.append(
          (variable, try group.openDataset(variable.name, of: UInt8.self, chunkCache: cache)))
      } else if layout.doublePrecision {
        arm.doubleSeries.append(
          (variable, try group.openDataset(variable.name, of: Double.self, chunkCache: cache)))
      } else {
        arm.floatSeries.append(
          (variable, try group.openDataset(variable.name, of: Float.self, chunkCache: cache)))
      }
    }
    let summary = try group.openGroup("summary")
    for (name, _, _) in SummaryColumns.columns(conditionNames: layout.conditionNames) {
      if SummaryColumns.personTimeNames.contains(name) {
        arm.personTime.append(try summary.openDataset(name, of: Double.self))
      } else {
        arm.counts.append(try summary.openDataset(name, of: Int64.self))
      }
    }
    return arm
  }

  private func describeSeries<T: HDF5Scalar>(
    _ dataset: H5Dataset<T>, _ variable: RecordedVariable
  ) throws {
    try describe(dataset, units: variable.units, variable.description)
    try dataset.attachScale(personScale, dimension: 0)
    try dataset.attachScale(timeScale, dimension: 1)
  }

  private func attachSummaryScales<T: HDF5Scalar>(_ dataset: H5Dataset<T>) throws {
    try dataset.attachScale(realisationScale, dimension: 0)
    try dataset.attachScale(timeScale, dimension: 1)
  }

  /// Writes one realisation's summed counts (collective; rank 0 holds the data).
  func writeSummary(
    _ arm: ArmDatasets, realisation: Int, counts: StepCounts, isRoot: Bool
  ) throws {
    let columns = SummaryColumns.integerColumns(counts)
    let timePoints = layout.times.count
    for (dataset, values) in zip(arm.counts, columns) {
      try dataset.write(
        isRoot ? values : [], offset: [realisation, 0], count: [isRoot ? 1 : 0, timePoints])
    }
    for (dataset, years) in zip(arm.personTime, SummaryColumns.personTimeColumns(counts)) {
      try dataset.write(
        isRoot ? years : [], offset: [realisation, 0], count: [isRoot ? 1 : 0, timePoints])
    }
  }

  /// Writes, for every summary dataset, its mean, 95 % interval (2.5 and 97.5
  /// percentiles, linear interpolation) and Monte Carlo standard error (sd /
  /// sqrt(R)) over the realisations, per time point, under
  /// `/arms/<arm>/summary_statistics/` (`<name>_mean`, `_lower95`, `_upper95`,
  /// `_mcse`). Rank 0 holds the counts of every realisation.
  func writeSummaryStatistics(_ arm: ArmDatasets, realisations: [StepCounts], isRoot: Bool) throws {
    let group = try arm.group.createGroup("summary_statistics")
    try group.setAttribute(
      "description",
      "statistics over realisations of each summary dataset: mean, 2.5 and 97.5 percentiles, "
        + "Monte Carlo standard error (NaN with one realisation)")
    let timePoints = layout.times.count
    let names = SummaryColumns.columns(conditionNames: layout.conditionNames)
    // Columns per realisation, in the order of `names`.
    let perRealisation: [[[Double]]] = realisations.map { counts in
      SummaryColumns.integerColumns(counts).map { $0.map(Double.init) }
        + SummaryColumns.personTimeColumns(counts)
    }
    for (column, (name, units, text)) in names.enumerated() {
      var statistics: [[Double]] = [[], [], [], []]
      if isRoot {
        for time in 0..<timePoints {
          let values = perRealisation.map { $0[column][time] }
          let summary = RealisationStatistics(values)
          statistics[0].append(summary.mean)
          statistics[1].append(summary.lower95)
          statistics[2].append(summary.upper95)
          statistics[3].append(summary.standardError)
        }
      }
      for (index, suffix) in ["mean", "lower95", "upper95", "mcse"].enumerated() {
        let dataset = try group.createDataset(
          "\(name)_\(suffix)", of: Double.self, shape: [timePoints])
        try dataset.write(
          isRoot ? statistics[index] : [], offset: [0], count: [isRoot ? timePoints : 0])
        try describe(dataset, units: units, "\(suffix) over realisations: \(text)")
        try dataset.attachScale(timeScale, dimension: 0)
      }
    }
  }

  /// Writes the events table of an arm, each rank its own events after those
  /// of lower ranks (so the table is in person, then time order).
  func writeEvents(_ arm: ArmDatasets, events: EventLog, communicator: Communicator) throws {
    let counts = try communicator.allgather(Int64(events.count))
    let total = Int(counts.reduce(0, +))
    let offset = Int(counts.prefix(communicator.rank).reduce(0, +))
    let group = try arm.group.createGroup("events")
    try group.setAttribute(
      "description", "events in person, then time order: one row per event")
    // Without a filter the columns are contiguous; deflate needs chunks (and an
    // empty dataset cannot have any).
    let level = total > 0 ? layout.compression.deflateLevel : nil
    let chunk = level != nil ? [min(total, 65_536)] : nil
    let person = try group.createDataset(
      "person", of: Int64.self, shape: [total], chunk: chunk, deflateLevel: level)
    try person.write(events.person, offset: [offset], count: [events.count])
    try describe(person, units: "1", "global person index (row of /person)")
    let time = try group.createDataset(
      "time", of: Double.self, shape: [total], chunk: chunk, deflateLevel: level)
    try time.write(events.time, offset: [offset], count: [events.count])
    try describe(time, units: "years", "time of the event since the simulation start")
    let kind = try group.createDataset(
      "kind", of: UInt8.self, shape: [total], chunk: chunk, deflateLevel: level)
    try kind.write(events.kind, offset: [offset], count: [events.count])
    let meanings = EventKind.meanings(conditionNames: layout.conditionNames)
    try describe(kind, units: "1", "event kind; see flag_values and flag_meanings")
    try kind.setAttribute("flag_values", meanings.map(\.code))
    try kind.setAttribute("flag_meanings", meanings.map(\.name).joined(separator: " "))
    // The row index as a dimension scale, so that netCDF readers see a named
    // dimension `event`.
    let index = try group.createDataset(
      "event", of: Int64.self, shape: [total], chunk: chunk, deflateLevel: level)
    try index.write(
      (offset..<(offset + events.count)).map { Int64($0) }, offset: [offset],
      count: [events.count])
    try describe(index, units: "1", "event row index")
    try index.makeDimensionScale(name: "event")
    try person.attachScale(index, dimension: 0)
    try time.attachScale(index, dimension: 0)
    try kind.attachScale(index, dimension: 0)
  }

  /// Writes the value of every scenario parameter in each realisation:
  /// `/parameters/values` [realisation, parameter], with dimension scales on
  /// both dimensions (`/realisation` and `/parameters/parameter`, the names
  /// as fixed-length UTF-8 strings), so that netCDF readers (xarray's
  /// `open_datatree`) see named dimensions with coordinates. The attribute
  /// `names` lists the same names, comma-separated.
  func writeParameters(names: [String], values: [[Double]]) throws {
    let group = try root.createGroup("parameters")
    try group.setAttribute(
      "description",
      "value of every scenario parameter in each realisation (point values without draws)")
    let isRoot = isRootRank
    let parameter = try group.createStringDataset(
      "parameter", length: H5StringDataset.length(toHold: names), shape: [names.count])
    try parameter.write(
      isRoot ? names : [], offset: [0], count: [isRoot ? names.count : 0])
    try parameter.setAttribute("units", "1")
    try parameter.setAttribute(
      "description", "parameter name, the column of /parameters/values (dimension parameter)")
    // netCDF's attribute for text stored as bytes: xarray decodes the names to str.
    try parameter.setAttribute("_Encoding", "utf-8")
    try parameter.makeDimensionScale(name: "parameter")
    let dataset = try group.createDataset(
      "values", of: Double.self, shape: [values.count, names.count])
    try dataset.write(
      isRoot ? values.flatMap { $0 } : [], offset: [0, 0],
      count: [isRoot ? values.count : 0, names.count])
    try describe(dataset, units: "1", "parameter values; columns named by the attribute names")
    try dataset.setAttribute("names", names.joined(separator: ","))
    try dataset.attachScale(realisationScale, dimension: 0)
    try dataset.attachScale(parameter, dimension: 1)
  }

  /// Marks the file complete and closes it (collective).
  func finish() throws {
    try root.setAttribute("status", "complete")
    try file.close()
  }

  /// Closes the file without marking it complete (collective), for a checkpoint.
  func close() throws {
    try file.close()
  }

  /// Marks the file complete and removes what only a checkpoint needed
  /// (collective); records the rank count of the run that finished it.
  func finish(mpiRanks: Int) throws {
    if try root.contains(CheckpointFile.groupName) {
      try root.removeMember(CheckpointFile.groupName)
    }
    try root.setAttribute("mpi_ranks", Int64(mpiRanks))
    try storeDigests()
    try finish()
  }

  /// Stores on every dataset except the per-person series (the [person, time]
  /// datasets directly in an arm's group) the attribute `sha256`: the SHA-256
  /// of its values as stored (row-major, the file's byte order; lowercase
  /// hex), which readers check when they read the dataset whole
  /// (docs/hdf5-layout.md, "Checksums"). Collective: after the last write the
  /// file is flushed, rank 0 reads the datasets back and hashes them, and
  /// broadcasts the digests, which every rank then writes. The digest is of
  /// the finished values, so it does not depend on the number of ranks.
  func storeDigests() throws {
    try file.flush()
    try communicator.barrier()
    let names = try digestedDatasets(root, path: "")
    var lines = ""
    if communicator.isRoot {
      for name in names {
        var hasher = SHA256()
        try root.openDataset(name, of: UInt8.self, chunkCache: true).forEachStoredBlock {
          hasher.update(bufferPointer: $0)
        }
        lines += hasher.finalize().map { String(format: "%02x", $0) }.joined() + "\n"
      }
    }
    let digests = try communicator.broadcast(lines).split(separator: "\n").map(String.init)
    guard digests.count == names.count else {
      throw RunFailure.failed(
        "cannot store the datasets' digests in '\(file.filePath)': "
          + "\(digests.count) digests for \(names.count) datasets")
    }
    for (name, digest) in zip(names, digests) {
      try root.openDataset(name, of: UInt8.self).setAttribute("sha256", digest)
    }
  }

  /// Paths (from the root, without the leading slash) of the datasets that get
  /// a digest, in name order: all but the per-person series.
  private func digestedDatasets(_ group: H5Group, path: String) throws -> [String] {
    var names: [String] = []
    let inArm = path.hasPrefix("arms/") && !path.dropFirst(5).contains("/")
    for member in try group.memberNames() {
      let target = path.isEmpty ? member : path + "/" + member
      if try group.isGroup(member) {
        names += try digestedDatasets(try group.openGroup(member), path: target)
      } else if !inArm {
        names.append(target)
      }
    }
    return names
  }
}

/// The datasets of one arm.
final class ArmDatasets {
  private(set) var group: H5Group
  var floatSeries: [(RecordedVariable, H5Dataset<Float>)] = []
  var doubleSeries: [(RecordedVariable, H5Dataset<Double>)] = []
  var flagSeries: [(RecordedVariable, H5Dataset<UInt8>)] = []
  var counts: [H5Dataset<Int64>] = []
  /// `person_years` and `person_years_risk_held`.
  var personTime: [H5Dataset<Double>] = []

  init(group: H5Group) { self.group = group }

  /// Takes over the handles of `other` (the same arm, reopened after a checkpoint).
  func replace(with other: ArmDatasets) {
    group = other.group
    floatSeries = other.floatSeries
    doubleSeries = other.doubleSeries
    flagSeries = other.flagSeries
    counts = other.counts
    personTime = other.personTime
  }
}

/// The per-step summary datasets under `/arms/<arm>/summary`.
enum SummaryColumns {
  /// Name, units and description of every summary dataset: the integer counts first (in
  /// the order of `integerColumns`), then the person-time datasets (float64 years, in the
  /// order of `personTimeColumns`).
  static func columns(conditionNames: [String]) -> [(String, String, String)] {
    var list: [(String, String, String)] = [
      ("alive", "1", "persons alive at the time point"),
      ("deaths", "1", "deaths in the step ending at the time point"),
      (
        "cvd_events", "1",
        "cardiovascular events (fatal and non-fatal) in the step ending at the time point"
      ),
      ("cvd_deaths", "1", "cardiovascular deaths in the step ending at the time point"),
      ("other_deaths", "1", "deaths from other causes in the step ending at the time point"),
    ]
    for name in conditionNames {
      list.append(("\(name)_onsets", "1", "onsets of \(name) in the step ending at the time point"))
      list.append(
        ("\(name)_deaths", "1", "deaths from \(name) in the step ending at the time point"))
    }
    list.append(
      (
        "treatment_starts", "1",
        "persons on whom one of the arm's interventions acts for the first time at the time "
          + "point (summed over time: the persons treated)"
      ))
    list.append(("person_years", "years", "person-time lived in the step ending at the time point"))
    list.append(
      (
        "person_years_risk_held", "years",
        "the part of person_years whose cardiovascular risk was evaluated at an age held inside "
          + "the risk equation's valid range (models.outside_validity: hold)"
      ))
    return list
  }

  /// Names of the person-time datasets (float64 years), the last entries of `columns`.
  static let personTimeNames: Set<String> = ["person_years", "person_years_risk_held"]

  /// The integer columns in the order of `columns`.
  static func integerColumns(_ counts: StepCounts) -> [[Int64]] {
    var list = [
      counts.alive, counts.deaths, counts.cvdEvents, counts.cvdDeaths, counts.otherDeaths,
    ]
    for index in counts.conditionOnsets.indices {
      list.append(counts.conditionOnsets[index])
      list.append(counts.conditionDeaths[index])
    }
    list.append(counts.treatmentStarts)
    return list
  }

  /// The person-time columns in years, in the order of `columns`.
  static func personTimeColumns(_ counts: StepCounts) -> [[Double]] {
    [counts.personNanoyears, counts.riskHeldNanoyears].map { column in
      column.map { Double($0) / StepCounts.nanoyearsPerYear }
    }
  }
}

/// Sets the `units` and `description` attributes every dataset carries.
private func describe<T: HDF5Scalar>(
  _ dataset: H5Dataset<T>, units: String, _ description: String
) throws {
  try dataset.setAttribute("units", units)
  try dataset.setAttribute("description", description)
}

/// Mean, 95 % interval and Monte Carlo standard error of one quantity over
/// realisations.
struct RealisationStatistics {
  let mean: Double
  let lower95: Double
  let upper95: Double
  let standardError: Double

  init(_ values: [Double]) {
    let count = Double(values.count)
    let average = values.reduce(0, +) / count
    mean = average
    let sorted = values.sorted()
    lower95 = Self.percentile(sorted, 0.025)
    upper95 = Self.percentile(sorted, 0.975)
    if values.count > 1 {
      let variance = values.reduce(0) { $0 + ($1 - average) * ($1 - average) } / (count - 1)
      standardError = (variance / count).squareRoot()
    } else {
      standardError = .nan
    }
  }

  /// Percentile with linear interpolation between order statistics (numpy's default).
  static func percentile(_ sorted: [Double], _ fraction: Double) -> Double {
    let position = fraction * Double(sorted.count - 1)
    let below = Int(position.rounded(.down))
    let above = min(below + 1, sorted.count - 1)
    let weight = position - Double(below)
    return sorted[below] * (1 - weight) + sorted[above] * weight
  }
}
