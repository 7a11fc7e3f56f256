import Foundation

/// Rows of a table of individuals (CSV or HDF5), read for a range of rows:
/// the raw columns before mapping to twin-sim's attributes.
public struct PersonTable: Sendable {
  /// A column's values for the rows read.
  public enum Column: Sendable {
    case text([String])
    case numbers([Double])
  }

  /// Where the table came from, for messages (a file path).
  public var source: String
  /// Total data rows in the file.
  public var totalRows: Int
  /// Index of the first row held.
  public var firstRow: Int
  /// Columns by their name in the file.
  public var columns: [String: Column]
  /// For CSV: the file line of each row held (1-based), for messages.
  public var lines: [Int]?

  public init(
    source: String, totalRows: Int, firstRow: Int, columns: [String: Column], lines: [Int]?
  ) {
    self.source = source
    self.totalRows = totalRows
    self.firstRow = firstRow
    self.columns = columns
    self.lines = lines
  }
}

/// A problem with an input table: file, line (CSV) or row, column, expected
/// and found.
public struct TableError: Error, CustomStringConvertible, Sendable {
  public let description: String
  public init(_ description: String) { self.description = description }
}

/// Reads CSV tables (RFC 4180: comma separated, double quotes around fields
/// with commas, quotes or line breaks, `""` for a quote; a header row).
public enum CSVTableReader {
  /// Reads the rows `range` (data rows, 0-based) of the CSV file at `url`;
  /// counts all rows. With `range` nil, reads every row.
  public static func read(url: URL, displayPath: String, rows range: Range<Int>?) throws(TableError)
    -> PersonTable
  {
    let data: Data
    do {
      data = try Data(contentsOf: url)
    } catch {
      throw TableError("\(displayPath): cannot read the table: \(error.localizedDescription)")
    }
    guard let text = String(data: data, encoding: .utf8) else {
      throw TableError("\(displayPath): the table is not UTF-8 text")
    }
    var records = RecordIterator(text: text)
    guard let header = try records.next(displayPath) else {
      throw TableError("\(displayPath):1: the table is empty; expected a header row")
    }
    let names = header.fields.map { $0.trimmingCharacters(in: .whitespaces) }
    var seen = Set<String>()
    for name in names {
      if !seen.insert(name).inserted {
        throw TableError("\(displayPath):1: column '\(name)' appears twice in the header")
      }
    }
    var values = [[String]](repeating: [], count: names.count)
    var lines: [Int] = []
    var row = 0
    while let record = try records.next(displayPath) {
      if record.fields.count == 1 && record.fields[0].isEmpty { continue }  // blank line
      guard record.fields.count == names.count else {
        throw TableError(
          "\(displayPath):\(record.line): expected \(names.count) fields as in the header, "
            + "found \(record.fields.count)")
      }
      if range?.contains(row) ?? true {
        for (index, field) in record.fields.enumerated() {
          values[index].append(field.trimmingCharacters(in: .whitespaces))
        }
        lines.append(record.line)
      }
      row += 1
    }
    var columns: [String: PersonTable.Column] = [:]
    for (index, name) in names.enumerated() { columns[name] = .text(values[index]) }
    return PersonTable(
      source: displayPath, totalRows: row, firstRow: range?.lowerBound ?? 0, columns: columns,
      lines: lines)
  }

  /// Splits CSV text into records, tracking line numbers.
  struct RecordIterator {
    let scalars: [Unicode.Scalar]
    var position = 0
    var line = 1

    init(text: String) { scalars = Array(text.unicodeScalars) }

    mutating func next(_ path: String) throws(TableError) -> (fields: [String], line: Int)? {
      guard position < scalars.count else { return nil }
      let startLine = line
      var fields: [String] = []
      var field = String.UnicodeScalarView()
      var quoted = false
      while position < scalars.count {
        let scalar = scalars[position]
        position += 1
        if quoted {
          if scalar == "\"" {
            if position < scalars.count && scalars[position] == "\"" {
              field.append("\"")
              position += 1
            } else {
              quoted = false
            }
          } else {
            if scalar == "\n" { line += 1 }
            field.append(scalar)
          }
          continue
        }
        switch scalar {
        case "\"" where field.isEmpty:
          quoted = true
        case ",":
          fields.append(String(field))
          field = String.UnicodeScalarView()
        case "\r":
          continue
        case "\n":
          line += 1
          fields.append(String(field))
          return (fields, startLine)
        default:
          field.append(scalar)
        }
      }
      if quoted {
        throw TableError(
          "\(path):\(startLine): a quoted field is not closed before the end of file")
      }
      fields.append(String(field))
      return (fields, startLine)
    }
  }
}

/// Maps a table's columns to persons (`population.table`).
public enum TablePopulationBuilder {
  /// Columns every table must provide (under their own or a mapped name).
  public static let requiredColumns: [TableColumn] = [.sex, .age, .sbp, .totalCholesterol, .hdl]

  /// Persons from the table's rows; `firstPerson` is the global index of the
  /// table's first row held. Conditions start absent unless drawn later.
  public static func block(
    table: PersonTable, spec: TablePopulation, conditionCount: Int
  ) throws(TableError) -> PersonBlock {
    func columnName(_ column: TableColumn) -> String {
      spec.columnNames[column] ?? column.rawValue
    }
    for column in requiredColumns where table.columns[columnName(column)] == nil {
      let mapped = spec.columnNames[column].map { " (mapped from '\($0)')" } ?? ""
      throw TableError(
        "\(table.source): required column '\(columnName(column))'\(mapped) for "
          + "\(column.rawValue) is missing; columns found: "
          + table.columns.keys.sorted().joined(separator: ", "))
    }
    let rowCount: Int =
      switch table.columns[columnName(.sex)]! {
      case .text(let values): values.count
      case .numbers(let values): values.count
      }
    func place(_ row: Int) -> String {
      if let lines = table.lines { return "\(table.source):\(lines[row])" }
      return "\(table.source): row \(table.firstRow + row)"
    }
    func numbers(_ column: TableColumn, default fallback: Double?) throws(TableError) -> [Double] {
      let name = columnName(column)
      guard let raw = table.columns[name] else {
        guard let fallback else {
          throw TableError("\(table.source): column '\(name)' is missing")
        }
        return [Double](repeating: fallback, count: rowCount)
      }
      switch raw {
      case .numbers(let values):
        for (row, value) in values.enumerated() where !value.isFinite {
          throw TableError(
            "\(place(row)): column '\(name)': expected a finite number, found \(value)")
        }
        return values
      case .text(let values):
        var result: [Double] = []
        result.reserveCapacity(values.count)
        for (row, text) in values.enumerated() {
          guard let value = Double(text), value.isFinite else {
            let what = column == .id ? "an integer identifier" : "a number"
            throw TableError(
              "\(place(row)): column '\(name)': expected \(what), found '\(text)'")
          }
          result.append(value)
        }
        return result
      }
    }
    func flags(_ column: TableColumn) throws(TableError) -> [UInt8] {
      let name = columnName(column)
      guard let raw = table.columns[name] else { return [UInt8](repeating: 0, count: rowCount) }
      switch raw {
      case .numbers(let values):
        var result: [UInt8] = []
        for (row, value) in values.enumerated() {
          guard value == 0 || value == 1 else {
            throw TableError("\(place(row)): column '\(name)': expected 0 or 1, found \(value)")
          }
          result.append(UInt8(value))
        }
        return result
      case .text(let values):
        var result: [UInt8] = []
        for (row, text) in values.enumerated() {
          switch text.lowercased() {
          case "1", "true", "yes", "y": result.append(1)
          case "0", "false", "no", "n": result.append(0)
          default:
            throw TableError(
              "\(place(row)): column '\(name)': expected 0/1, true/false or yes/no, found '\(text)'"
            )
          }
        }
        return result
      }
    }

    var block = PersonBlock(
      firstPerson: table.firstRow, capacity: rowCount, conditionCount: conditionCount)
    let sexName = columnName(.sex)
    switch table.columns[sexName]! {
    case .text(let values):
      for (row, text) in values.enumerated() {
        if text == spec.femaleCode {
          block.sex.append(0)
        } else if text == spec.maleCode {
          block.sex.append(1)
        } else {
          throw TableError(
            "\(place(row)): column '\(sexName)': expected '\(spec.femaleCode)' or "
              + "'\(spec.maleCode)' (population.table.sex_values), found '\(text)'")
        }
      }
    case .numbers(let values):
      // Numeric sex codes: the sex_values if they are numbers, else 0 female, 1 male.
      let female = Double(spec.femaleCode) ?? 0
      let male = Double(spec.maleCode) ?? 1
      for (row, value) in values.enumerated() {
        guard value == female || value == male else {
          throw TableError(
            "\(place(row)): column '\(sexName)': expected \(female) (female) or \(male) (male), "
              + "found \(value)")
        }
        block.sex.append(value == female ? 0 : 1)
      }
    }
    block.ageYears = try numbers(.age, default: nil)
    block.sbp = try numbers(.sbp, default: nil)
    block.totalCholesterol = try numbers(.totalCholesterol, default: nil).map {
      spec.totalCholesterolUnit.toMmolPerL($0)
    }
    block.hdl = try numbers(.hdl, default: nil).map { spec.hdlUnit.toMmolPerL($0) }
    block.bmi = try numbers(.bmi, default: .nan)
    block.smoking = try flags(.smoking)
    block.diabetes = try flags(.diabetes)
    block.bpTreated = try flags(.bpTreated)
    if table.columns[columnName(.id)] != nil {
      // Identifiers become the HDF5 dimension `person` (integers): pseudonymise
      // text identifiers to integers before twinning.
      let ids = try numbers(.id, default: nil)
      for (row, id) in ids.enumerated() where id != id.rounded() || abs(id) > 9e15 {
        throw TableError(
          "\(place(row)): column '\(columnName(.id))': expected an integer identifier, found \(id)")
      }
      block.personID = ids.map { Int64($0) }
    } else {
      block.personID = (0..<rowCount).map { Int64(table.firstRow + $0) }
    }
    try checkRanges(block, place: place, spec: spec)
    return block
  }

  /// Physiological ranges of table values (the same as the synthetic
  /// population's ranges in docs/scenario.md), in mmol/L for lipids. A lipid
  /// column is reported in the unit the table declares
  /// (`population.table.units`), with a hint when the value fits the other unit:
  /// `total_cholesterol: expected mmol/L between 1 and 20, found 213 (mg/dL? set
  /// population.table.units.total_cholesterol: mg/dL)`.
  static func checkRanges(
    _ block: PersonBlock, place: (Int) -> String, spec: TablePopulation
  ) throws(TableError) {
    let checks: [(String, [Double], NumberRange, LipidUnit?, String)] = [
      ("age", block.ageYears, .closed(0, 120), nil, "years"),
      ("sbp", block.sbp, .closed(60, 300), nil, "mmHg"),
      (
        "total_cholesterol", block.totalCholesterol, .closed(1, 20), spec.totalCholesterolUnit,
        "mmol/L"
      ),
      ("hdl", block.hdl, .closed(0.1, 5), spec.hdlUnit, "mmol/L"),
    ]
    for (name, values, range, lipidUnit, unit) in checks {
      for (row, value) in values.enumerated() where !range.contains(value) {
        // Lipids back in the file's unit: the value as written, the range converted.
        let fileUnit = lipidUnit?.rawValue ?? unit
        let factor = lipidUnit == .mgPerDL ? LipidUnit.mgPerDLPerMmolPerL : 1
        let fileRange = NumberRange.closed(
          (range.lower ?? 0) * factor, (range.upper ?? 0) * factor)
        let fileValue = value * factor
        var message =
          "\(place(row)): \(name): expected "
          + "\(ValueUnits.expectation(fileRange, unit: fileUnit)), found \(formatNumber(fileValue))"
        if lipidUnit != nil,
          let other = ValueUnits.alternative(for: fileValue, unit: fileUnit, range: fileRange)
        {
          message += " (\(other.name)? set population.table.units.\(name): \(other.name))"
        }
        throw TableError(message)
      }
    }
  }
}
