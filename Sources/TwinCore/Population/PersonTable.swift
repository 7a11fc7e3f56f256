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
  /// The identifier column of every row of the file (not only the rows held),
  /// when the reader was asked for it: identifiers must be unique across ranks.
  public var allIDs: Column?
  /// For CSV: the file line of every row in `allIDs`.
  public var allIDLines: [Int]?

  public init(
    source: String, totalRows: Int, firstRow: Int, columns: [String: Column], lines: [Int]?,
    allIDs: Column? = nil, allIDLines: [Int]? = nil
  ) {
    self.source = source
    self.totalRows = totalRows
    self.firstRow = firstRow
    self.columns = columns
    self.lines = lines
    self.allIDs = allIDs
    self.allIDLines = allIDLines
  }
}

/// The number grammar of table fields: decimal only, `[+-]digits[.digits][(e|E)[+-]digits]`
/// (digits before or after the point, or both), at most `maximumLength`
/// characters, finite. Hexadecimal (`0x10`), `inf`, `nan`, NUL bytes and other
/// characters are refused, as are values that overflow to infinity (`1e400`).
public enum DecimalNumber {
  /// The longest numeric field read (characters).
  public static let maximumLength = 64

  /// The value of `text` if it follows the grammar and is finite.
  public static func parse(_ text: String) -> Double? {
    let bytes = Array(text.utf8)
    guard !bytes.isEmpty, bytes.count <= maximumLength else { return nil }
    var index = 0
    func digits() -> Int {
      let start = index
      while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 { index += 1 }
      return index - start
    }
    if bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
    var mantissa = digits()
    if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
      index += 1
      mantissa += digits()
    }
    guard mantissa > 0 else { return nil }
    if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
      index += 1
      if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-")
      {
        index += 1
      }
      guard digits() > 0 else { return nil }
    }
    guard index == bytes.count, let value = Double(text), value.isFinite else { return nil }
    return value
  }

  /// Why `text` is not a number, for `expected a number, found ...`: the field
  /// quoted with control characters escaped, shortened when long.
  public static func found(_ text: String) -> String {
    let length = text.unicodeScalars.count
    if length > maximumLength {
      return "\(length) characters (at most \(maximumLength))"
    }
    var shown = ""
    for scalar in text.unicodeScalars {
      if scalar.value < 0x20 || scalar.value == 0x7F {
        shown += scalar.value == 0 ? "\\0" : "\\u{\(String(scalar.value, radix: 16))}"
      } else {
        shown.unicodeScalars.append(scalar)
      }
    }
    var result = "'\(shown)'"
    if parse(text) == nil, Double(text) != nil || text.lowercased().contains("0x") {
      result += " (decimal digits only: no hexadecimal, inf, nan or overflow)"
    }
    return result
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
  /// counts all rows. With `range` nil, reads every row. `requiredColumns`:
  /// names the header must hold at least one of, else the file is not a table
  /// (and its content is not shown). `idColumn`: a column read for every row
  /// (`PersonTable.allIDs`).
  public static func read(
    url: URL, displayPath: String, rows range: Range<Int>?, requiredColumns: [String] = [],
    idColumn: String? = nil
  ) throws(TableError) -> PersonTable {
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
    let first: (fields: [String], line: Int)?
    do {
      first = try records.next(displayPath)
    } catch {
      guard requiredColumns.isEmpty else {
        throw TableError(TablePopulationBuilder.notATable(displayPath, csv: true, requiredColumns))
      }
      throw error
    }
    guard let header = first else {
      throw TableError("\(displayPath):1: the table is empty; expected a header row")
    }
    let names = header.fields.map { $0.trimmingCharacters(in: .whitespaces) }
    if !requiredColumns.isEmpty, !requiredColumns.contains(where: names.contains) {
      throw TableError(TablePopulationBuilder.notATable(displayPath, csv: true, requiredColumns))
    }
    var seen = Set<String>()
    for name in names {
      if !seen.insert(name).inserted {
        throw TableError("\(displayPath):1: column '\(name)' appears twice in the header")
      }
    }
    var values = [[String]](repeating: [], count: names.count)
    var lines: [Int] = []
    let idIndex = idColumn.flatMap { names.firstIndex(of: $0) }
    var ids: [String] = []
    var idLines: [Int] = []
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
      if let idIndex {
        ids.append(record.fields[idIndex].trimmingCharacters(in: .whitespaces))
        idLines.append(record.line)
      }
      row += 1
    }
    var columns: [String: PersonTable.Column] = [:]
    for (index, name) in names.enumerated() { columns[name] = .text(values[index]) }
    return PersonTable(
      source: displayPath, totalRows: row, firstRow: range?.lowerBound ?? 0, columns: columns,
      lines: lines, allIDs: idIndex == nil ? nil : .text(ids),
      allIDLines: idIndex == nil ? nil : idLines)
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

  /// The names of the required columns in the file (mapped or twin-sim's).
  public static func requiredNames(_ spec: TablePopulation) -> [String] {
    requiredColumns.map { spec.columnNames[$0] ?? $0.rawValue }
  }

  /// The name of the identifier column in the file.
  public static func idName(_ spec: TablePopulation) -> String {
    spec.columnNames[.id] ?? TableColumn.id.rawValue
  }

  /// The message for a file that is not a table of the expected shape: what
  /// was expected and where, never the file's content.
  public static func notATable(_ source: String, csv: Bool, _ names: [String]) -> String {
    let list = names.joined(separator: ", ")
    return csv
      ? "\(source):1: not a CSV table with a header row naming the columns \(list) "
        + "(line 1 is not of that shape)"
      : "\(source): not an HDF5 table with one dataset per column named \(list) "
        + "(population.table.group)"
  }

  /// Refuses a table without data rows.
  public static func checkNotEmpty(_ table: PersonTable) throws(TableError) {
    guard table.totalRows == 0 else { return }
    if table.lines != nil {
      throw TableError(
        "\(table.source):2: expected at least one person (a data row after the header row), "
          + "found none")
    }
    throw TableError(
      "\(table.source): expected at least one person (datasets of at least one row), "
        + "found 0 rows")
  }

  /// Refuses repeated identifiers among the first `count` rows of the file
  /// (`table.allIDs`, read by every rank: one column, cheap beside the run):
  /// `cohort.csv:3: column 'id': expected unique identifiers; id 5 at line 3
  /// repeats line 2`.
  public static func checkUniqueIDs(
    _ table: PersonTable, spec: TablePopulation, count: Int
  ) throws(TableError) {
    guard let column = table.allIDs else { return }
    let name = idName(spec)
    func place(_ row: Int) -> (String, String) {
      if let lines = table.allIDLines {
        return ("\(table.source):\(lines[row])", "line \(lines[row])")
      }
      return ("\(table.source): row \(row)", "row \(row)")
    }
    var ids: [Int64] = []
    switch column {
    case .text(let values):
      ids.reserveCapacity(min(count, values.count))
      for (row, text) in values.prefix(count).enumerated() {
        guard let value = DecimalNumber.parse(text), value == value.rounded(), abs(value) <= 9e15
        else {
          throw TableError(
            "\(place(row).0): column '\(name)': expected an integer identifier, found "
              + DecimalNumber.found(text))
        }
        ids.append(Int64(value))
      }
    case .numbers(let values):
      ids.reserveCapacity(min(count, values.count))
      for (row, value) in values.prefix(count).enumerated() {
        guard value.isFinite, value == value.rounded(), abs(value) <= 9e15 else {
          throw TableError(
            "\(place(row).0): column '\(name)': expected an integer identifier, found "
              + formatNumber(value))
        }
        ids.append(Int64(value))
      }
    }
    let order = ids.indices.sorted { ids[$0] < ids[$1] || (ids[$0] == ids[$1] && $0 < $1) }
    var repeated: (row: Int, first: Int)?
    var groupStart = 0
    for position in order.indices.dropFirst() {
      if ids[order[position]] != ids[order[position - 1]] {
        groupStart = position
        continue
      }
      let row = order[position]
      if repeated == nil || row < repeated!.row { repeated = (row, order[groupStart]) }
    }
    if let (row, first) = repeated {
      throw TableError(
        "\(place(row).0): column '\(name)': expected unique identifiers; id \(ids[row]) at "
          + "\(place(row).1) repeats \(place(first).1)")
    }
  }

  /// Persons from the table's rows; `firstPerson` is the global index of the
  /// table's first row held. Conditions start absent unless drawn later.
  public static func block(
    table: PersonTable, spec: TablePopulation, conditionCount: Int
  ) throws(TableError) -> PersonBlock {
    func columnName(_ column: TableColumn) -> String {
      spec.columnNames[column] ?? column.rawValue
    }
    if !requiredColumns.contains(where: { table.columns[columnName($0)] != nil }) {
      throw TableError(notATable(table.source, csv: table.lines != nil, requiredNames(spec)))
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
          guard let value = DecimalNumber.parse(text) else {
            let what = column == .id ? "an integer identifier" : "a number"
            throw TableError(
              "\(place(row)): column '\(name)': expected \(what), found "
                + DecimalNumber.found(text))
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
              "\(place(row)): column '\(name)': expected 0/1, true/false or yes/no, found "
                + DecimalNumber.found(text))
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
              + "'\(spec.maleCode)' (population.table.sex_values), found "
              + DecimalNumber.found(text))
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
    try checkRanges(
      block, place: place, spec: spec, hasBMI: table.columns[columnName(.bmi)] != nil)
    return block
  }

  /// Physiological ranges of table values: the synthetic population's
  /// (ScenarioSchema: the allowed range of each attribute's `mean`, documented in
  /// docs/scenario.md), in mmol/L for lipids. A lipid column is reported in the
  /// unit the table declares (`population.table.units`), with a hint when the
  /// value fits the other unit: `total_cholesterol: expected mmol/L between 2
  /// and 15, found 213 (mg/dL? set population.table.units.total_cholesterol:
  /// mg/dL)`.
  static let ageRange = NumberRange.closed(0, 120)
  static let sbpRange = NumberRange.closed(70, 250)
  static let totalCholesterolRange = NumberRange.closed(2, 15)
  static let hdlRange = NumberRange.closed(0.3, 4)
  static let bmiRange = NumberRange.closed(12, 60)

  static func checkRanges(
    _ block: PersonBlock, place: (Int) -> String, spec: TablePopulation, hasBMI: Bool
  ) throws(TableError) {
    var checks: [(String, [Double], NumberRange, LipidUnit?, String)] = [
      ("age", block.ageYears, ageRange, nil, "years"),
      ("sbp", block.sbp, sbpRange, nil, "mmHg"),
      (
        "total_cholesterol", block.totalCholesterol, totalCholesterolRange,
        spec.totalCholesterolUnit, "mmol/L"
      ),
      ("hdl", block.hdl, hdlRange, spec.hdlUnit, "mmol/L"),
    ]
    if hasBMI { checks.append(("bmi", block.bmi, bmiRange, nil, "kg/m^2")) }
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
