import HDF5Kit
import TwinCore

/// Reads a table of individuals from an HDF5 file: one-dimensional numeric
/// datasets of equal length in one group, one per column (sex coded as
/// numbers, see docs/scenario.md). `requiredColumns`: dataset names the group
/// must hold at least one of, else it is not a table; `idColumn`: a dataset
/// read whole (`PersonTable.allIDs`, for the uniqueness check).
enum HDF5TableReader {
  static func read(
    path: String, displayPath: String, group groupPath: String, rows: Range<Int>?,
    requiredColumns: [String] = [], idColumn: String? = nil
  ) throws -> PersonTable {
    let file: H5File
    do {
      file = try H5File.open(path: path)
    } catch {
      throw TableError("\(displayPath): cannot open the HDF5 table: \(error)")
    }
    defer { try? file.close() }
    let group: H5Group
    do {
      group = groupPath == "/" ? try file.root() : try file.openGroup(groupPath)
    } catch {
      throw TableError("\(displayPath): group '\(groupPath)' not found (population.table.group)")
    }
    var columns: [String: PersonTable.Column] = [:]
    var allIDs: PersonTable.Column?
    var length: Int?
    let members = try group.memberNames()
    if !requiredColumns.isEmpty, !requiredColumns.contains(where: members.contains) {
      throw TableError(
        TablePopulationBuilder.notATable(displayPath, csv: false, requiredColumns))
    }
    for name in members {
      guard let dataset = try? group.openDataset(name, of: Double.self) else { continue }
      let shape = try dataset.shape()
      guard shape.count == 1 else {
        throw TableError(
          "\(displayPath): dataset '\(groupPath)/\(name)' has shape \(shape); "
            + "expected one dimension (one value per person)")
      }
      if let length, length != shape[0] {
        throw TableError(
          "\(displayPath): dataset '\(name)' has \(shape[0]) rows, others have \(length)")
      }
      length = shape[0]
      let range = rows.map { $0.clamped(to: 0..<shape[0]) } ?? 0..<shape[0]
      do {
        columns[name] = .numbers(try dataset.read(offset: [range.lowerBound], count: [range.count]))
        if name == idColumn {
          allIDs = .numbers(try dataset.read(offset: [0], count: [shape[0]]))
        }
      } catch {
        throw TableError(
          "\(displayPath): dataset '\(name)' cannot be read as numbers: \(error)")
      }
    }
    guard let length else {
      throw TableError("\(displayPath): group '\(groupPath)' holds no datasets")
    }
    return PersonTable(
      source: displayPath, totalRows: length, firstRow: rows?.lowerBound ?? 0, columns: columns,
      lines: nil, allIDs: allIDs)
  }
}
