import Foundation
import Testing

@testable import TwinCore

/// The strict checks of population tables (docs/scenario.md, "Table checks");
/// the attacks through the binary are in Tests/python/test_hostile_tables.py.
@Suite struct TableChecksTests {
  @Test func decimalGrammar() {
    for text in ["0", "-12", "+3", "5.", ".5", "1.25", "1e3", "1.2E-3", "007"] {
      #expect(DecimalNumber.parse(text) == Double(text), "\(text)")
    }
    let refused = [
      "", "0x10", "0X10", "inf", "nan", "-Infinity", "1e400", "0x1p3", "1_0", "5e", ".", "+",
      "1.2.3", "10\u{0} 03", " 1", "1 ", "\u{661}\u{660}", String(repeating: "1", count: 65),
    ]
    for text in refused { #expect(DecimalNumber.parse(text) == nil, "\(text)") }
    #expect(DecimalNumber.parse(String(repeating: "1", count: 64)) != nil)
  }

  @Test func foundValuesAreEscapedAndShortened() {
    #expect(DecimalNumber.found("abc") == "'abc'")
    #expect(DecimalNumber.found("10\u{0} 03").hasPrefix("'10\\0 03'"))
    #expect(
      DecimalNumber.found("0x10")
        == "'0x10' (decimal digits only: no hexadecimal, inf, nan or overflow)")
    #expect(
      DecimalNumber.found(String(repeating: "0", count: 1_000_000))
        == "1000000 characters (at most 64)")
  }

  private var spec: TablePopulation {
    TablePopulation(
      path: "t.csv", url: URL(fileURLWithPath: "t.csv"), format: .csv, group: "/",
      columnNames: [:], femaleCode: "female", maleCode: "male",
      totalCholesterolUnit: .mmolPerL, hdlUnit: .mmolPerL)
  }

  @Test func repeatedIdentifiersNameBothLines() {
    let table = PersonTable(
      source: "t.csv", totalRows: 4, firstRow: 0, columns: [:], lines: [],
      allIDs: .text(["7", "5", "9", "5"]), allIDLines: [2, 3, 4, 5])
    #expect(throws: (any Error).self) {
      try TablePopulationBuilder.checkUniqueIDs(table, spec: spec, count: 4)
    }
    do {
      try TablePopulationBuilder.checkUniqueIDs(table, spec: spec, count: 4)
    } catch {
      #expect(
        error.description
          == "t.csv:5: column 'id': expected unique identifiers; id 5 at line 5 repeats line 3")
    }
    // Only the rows simulated count (population.size 3).
    #expect(throws: Never.self) {
      try TablePopulationBuilder.checkUniqueIDs(table, spec: spec, count: 3)
    }
  }

  @Test func bmiHasTheSyntheticRange() {
    for (bmi, refused) in [(25.0, false), (12, false), (60, false), (-5, true), (1e308, true)] {
      let table = PersonTable(
        source: "t.csv", totalRows: 1, firstRow: 0,
        columns: [
          "sex": .text(["female"]), "age": .numbers([50]), "sbp": .numbers([120]),
          "total_cholesterol": .numbers([5]), "hdl": .numbers([1.3]), "bmi": .numbers([bmi]),
        ], lines: [2])
      let result = Result { () throws(TableError) in
        try TablePopulationBuilder.block(table: table, spec: spec, conditionCount: 0)
      }
      if case .failure(let error) = result {
        #expect(refused, "\(bmi)")
        #expect(error.description.hasPrefix("t.csv:2: bmi: expected kg/m^2 between 12 and 60"))
      } else {
        #expect(!refused, "\(bmi)")
      }
    }
  }

  @Test func aTableWithoutRequiredColumnsIsNotEchoed() {
    let table = PersonTable(
      source: "t.csv", totalRows: 1, firstRow: 0, columns: ["root:SECRET:0:0": .text(["x"])],
      lines: [2])
    do {
      _ = try TablePopulationBuilder.block(table: table, spec: spec, conditionCount: 0)
      Issue.record("accepted")
    } catch {
      #expect(!error.description.contains("SECRET"))
      #expect(error.description.hasPrefix("t.csv:1: not a CSV table with a header row naming"))
    }
  }
}
