import Foundation
import HDF5Kit

/// A file written by `CSVExport`.
public struct ExportedTable: Sendable {
  /// Path of the CSV file.
  public var path: String
  /// Data rows (without the header).
  public var rows: Int
}

/// `twin-sim export --format csv`: an arm's datasets as tidy long-format CSV
/// (RFC 4180, header line, `.` decimal point, empty field for a missing
/// value) for tools that do not read HDF5. Streams in blocks of persons and
/// event rows (`ChunkLimits`); output is buffered 1 MiB at a time.
///
/// Files, in `directory`:
/// - `<arm>_series.csv`: `person,time,variable,value`, one row per person,
///   time point and recorded series (realisation 0), in that order; `person`
///   is the identifier of `/person`, `time` years since the start; values of
///   float series are NaN after death and written empty.
/// - `<arm>_events.csv`: `person,time,kind`, one row per event (realisation
///   0), `kind` by name (`cvd_event`, `cvd_death`, `other_death`,
///   `<condition>_onset`, `<condition>_death`).
/// - `<arm>_summary.csv`: `realisation,time,variable,value`, every summary
///   dataset of every realisation.
/// - `persons.csv`: the persons at the start (`/persons/*`, the same in every
///   arm), one row per person: `person` (the identifier of `/person`), `sex`
///   (`female` or `male`), `age`, `sbp`, `total_cholesterol`, `hdl`, `bmi`,
///   the flags `smoking`, `diabetes`, `bp_treated` (0/1), then one 0/1 column
///   per condition (present at the start), in scenario order.
public enum CSVExport {
  public static func export(
    file: ResultFile, arm: String, directory: String, limits: ChunkLimits = ChunkLimits()
  ) throws(AnalysisError) -> [ExportedTable] {
    try file.requireArm(arm)
    // The file names below are made of the arm name: never a path.
    guard ResultFile.isArmName(arm) else {
      throw .invalidLayout(path: file.path, detail: "the arm name \(arm.debugDescription)")
    }
    let personColumns = try file.personColumns()
    do {
      try FileManager.default.createDirectory(
        atPath: directory, withIntermediateDirectories: true)
    } catch {
      throw .cannotWrite(path: directory, reason: error.localizedDescription)
    }
    let folder = URL(fileURLWithPath: directory)
    return [
      try series(file, arm, folder.appendingPathComponent("\(arm)_series.csv").path, limits),
      try events(file, arm, folder.appendingPathComponent("\(arm)_events.csv").path, limits),
      try summary(file, arm, folder.appendingPathComponent("\(arm)_summary.csv").path),
      try persons(
        file, personColumns, folder.appendingPathComponent("persons.csv").path, limits),
    ]
  }

  /// `persons.csv`, read and written in blocks of persons.
  private static func persons(
    _ file: ResultFile, _ columns: [PersonColumn], _ path: String, _ limits: ChunkLimits
  ) throws(AnalysisError) -> ExportedTable {
    let header = ["person"] + columns.map { Formatting.csvField($0.name) }
    var writer = try CSVWriter(path: path, header: header.joined(separator: ","))
    let names = columns.map(\.name)
    let blockPersons = limits.personsPerBlock(timePoints: 1, variables: columns.count + 1)
    var start = 0
    while start < file.personCount {
      let persons = start..<Swift.min(file.personCount, start + blockPersons)
      let identifiers = try file.personIdentifiers(persons)
      let values = try columns.map { column throws(AnalysisError) in
        try column.read(persons: persons)
      }
      for person in 0..<persons.count {
        var fields = [String(identifiers[person])]
        for (column, name) in zip(values, names) {
          let value = column[person]
          if name == "sex" {
            guard let sex = sexNames[value] else {
              throw .invalidLayout(
                path: file.path,
                detail: "/persons/sex holds \(Formatting.shortest(value)) for person "
                  + "\(persons.lowerBound + person); expected 0 (female) or 1 (male)")
            }
            fields.append(sex)
          } else {
            fields.append(Formatting.shortest(value))
          }
        }
        try writer.row(fields.joined(separator: ","))
      }
      start = persons.upperBound
    }
    return try writer.finish()
  }

  /// `/persons/sex` codes (docs/hdf5-layout.md) and their names in `persons.csv`.
  private static let sexNames: [Double: String] = [0: "female", 1: "male"]

  private static func series(
    _ file: ResultFile, _ arm: String, _ path: String, _ limits: ChunkLimits
  ) throws(AnalysisError) -> ExportedTable {
    var writer = try CSVWriter(path: path, header: "person,time,variable,value")
    let names = try file.seriesNames(arm: arm)
    var columns: [PersonSeries] = []
    for name in names {
      if let column = try file.series(arm: arm, name: name) { columns.append(column) }
    }
    let timePoints = file.timesYears.count
    let times = file.timesYears.map(Formatting.shortest)
    let blockPersons = limits.personsPerBlock(
      timePoints: timePoints, variables: Swift.max(1, columns.count))
    var start = 0
    while start < file.personCount && !columns.isEmpty {
      let persons = start..<Swift.min(file.personCount, start + blockPersons)
      let identifiers = try file.personIdentifiers(persons)
      let values = try columns.map { column throws(AnalysisError) in
        try column.read(persons: persons, timePoints: timePoints)
      }
      for person in 0..<persons.count {
        let identifier = String(identifiers[person])
        for time in 0..<timePoints {
          for (column, name) in names.enumerated() {
            let value = Formatting.shortest(values[column][person * timePoints + time])
            try writer.row("\(identifier),\(times[time]),\(name),\(value)")
          }
        }
      }
      start = persons.upperBound
    }
    return try writer.finish()
  }

  private static func events(
    _ file: ResultFile, _ arm: String, _ path: String, _ limits: ChunkLimits
  ) throws(AnalysisError) -> ExportedTable {
    var writer = try CSVWriter(path: path, header: "person,time,kind")
    let table = try EventTable(file: file, arm: arm)
    var identifiers = PersonIdentifierWindow(file: file, width: limits.persons)
    var start = 0
    while start < table.rowCount {
      let rows = try table.rows(start..<Swift.min(table.rowCount, start + limits.persons))
      for index in rows.person.indices {
        let identifier = try identifiers.identifier(ofPerson: Int(rows.person[index]))
        try writer.row(
          "\(identifier),\(Formatting.shortest(rows.timeYears[index])),"
            + table.kinds.name(of: rows.kind[index]))
      }
      start += rows.person.count
    }
    return try writer.finish()
  }

  private static func summary(
    _ file: ResultFile, _ arm: String, _ path: String
  ) throws(AnalysisError) -> ExportedTable {
    var writer = try CSVWriter(path: path, header: "realisation,time,variable,value")
    let group = try file.armGroup(arm)
    let names = try readingHDF5 { () throws(HDF5Error) in
      try group.openGroup("summary").memberNames()
    }
    let tables = try names.map { name throws(AnalysisError) in
      try file.summaryRows(arm: arm, dataset: name)
    }
    let times = file.timesYears.map(Formatting.shortest)
    for realisation in 0..<file.realisationCount {
      for time in times.indices {
        for (name, rows) in zip(names, tables) {
          try writer.row(
            "\(realisation),\(times[time]),\(name),\(Formatting.shortest(rows[realisation][time]))")
        }
      }
    }
    return try writer.finish()
  }
}

/// Person identifiers (`/person`) of global person indices that arrive in
/// increasing order, read a window at a time.
private struct PersonIdentifierWindow {
  let file: ResultFile
  let width: Int
  var start = 0
  var identifiers: [Int64] = []

  init(file: ResultFile, width: Int) {
    self.file = file
    self.width = width
  }

  mutating func identifier(ofPerson person: Int) throws(AnalysisError) -> Int64 {
    guard person >= 0, person < file.personCount else {
      throw .invalidLayout(
        path: file.path, detail: "an event names person \(person) of \(file.personCount)")
    }
    if person < start || person >= start + identifiers.count {
      start = person
      identifiers = try file.personIdentifiers(
        person..<Swift.min(file.personCount, person + width))
    }
    return identifiers[person - start]
  }
}

/// Writes lines to a file through a 1 MiB buffer.
private struct CSVWriter {
  let path: String
  let handle: FileHandle
  var buffer: [UInt8] = []
  var rows = 0
  static let flushBytes = 1 << 20

  init(path: String, header: String) throws(AnalysisError) {
    self.path = path
    guard FileManager.default.createFile(atPath: path, contents: nil) else {
      throw .cannotWrite(path: path, reason: "cannot create the file")
    }
    do {
      handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
    } catch {
      throw .cannotWrite(path: path, reason: error.localizedDescription)
    }
    buffer.reserveCapacity(Self.flushBytes + 4096)
    buffer.append(contentsOf: header.utf8)
    buffer.append(UInt8(ascii: "\n"))
  }

  mutating func row(_ line: String) throws(AnalysisError) {
    buffer.append(contentsOf: line.utf8)
    buffer.append(UInt8(ascii: "\n"))
    rows += 1
    if buffer.count >= Self.flushBytes { try flush() }
  }

  private mutating func flush() throws(AnalysisError) {
    do {
      try handle.write(contentsOf: buffer)
    } catch {
      throw .cannotWrite(path: path, reason: error.localizedDescription)
    }
    buffer.removeAll(keepingCapacity: true)
  }

  mutating func finish() throws(AnalysisError) -> ExportedTable {
    try flush()
    do {
      try handle.close()
    } catch {
      throw .cannotWrite(path: path, reason: error.localizedDescription)
    }
    return ExportedTable(path: path, rows: rows)
  }
}
