import Foundation
import Testing
import TwinRandom

@testable import TwinCore

/// Deterministic mutations of the example scenarios and tables: every mutated
/// input must give either a scenario or diagnostics, never a crash or a trap
/// (a trap ends the test process, which fails the suite). The `run` side is
/// fuzzed through the binary in Tests/python/test_hostile_input.py.
enum Mutator {
  /// Replacement values for a scalar: wrong types, huge and tiny numbers,
  /// NaN, negative sizes, very long strings.
  static let hostileScalars = [
    "-1", "0", "1e308", "-1e308", ".nan", ".inf", "-.inf", "NaN", "abc", "''", "~", "true",
    "[1, 2]", "{a: 1}", "99999999999999999999999", "0x7fffffffffffffff", "-0", "1e-320",
    String(repeating: "x", count: 100_000), "\"\\u0000\"", "&anchor 1", "*missing",
  ]

  /// One mutation of `text`, chosen by the uniform draws of case `index`.
  static func mutate(_ text: String, index: Int, stream: RandomStream) -> String {
    var lines = text.components(separatedBy: "\n")
    let (u1, u2) = stream.uniformPair(person: UInt64(index), step: 0, draw: 0)
    let (u3, u4) = stream.uniformPair(person: UInt64(index), step: 0, draw: 1)
    let line = min(Int(u2 * Double(lines.count)), lines.count - 1)
    switch Int(u1 * 8) {
    case 0:  // random bytes flipped
      var bytes = Array(text.utf8)
      for draw in 0..<4 {
        let (a, b) = stream.uniformPair(person: UInt64(index), step: 1, draw: UInt32(draw))
        bytes[min(Int(a * Double(bytes.count)), bytes.count - 1)] = UInt8(b * 256)
      }
      return String(decoding: bytes, as: UTF8.self)
    case 1:  // a line deleted
      lines.remove(at: line)
    case 2:  // a line duplicated (duplicate keys)
      lines.insert(lines[line], at: line)
    case 3:  // a scalar value replaced by something hostile
      if let colon = lines[line].firstIndex(of: ":") {
        let value = hostileScalars[
          min(Int(u3 * Double(hostileScalars.count)), hostileScalars.count - 1)]
        lines[line] = String(lines[line][...colon]) + " " + value
      }
    case 4:  // deep nesting
      let depth = 1 + Int(u3 * 5000)
      lines.insert(
        "deep: " + String(repeating: "[", count: depth) + String(repeating: "]", count: depth),
        at: line)
    case 5:  // indentation broken
      lines[line] = String(repeating: " ", count: Int(u3 * 7)) + lines[line]
    case 6:  // truncated file
      return String(text.prefix(Int(u3 * Double(text.count))))
    default:  // a very long key or value
      lines.insert(String(repeating: u4 < 0.5 ? "k" : "v", count: 50_000) + ": 1", at: line)
    }
    return lines.joined(separator: "\n")
  }
}

@Suite struct HostileInputTests {
  @Test func mutatedScenariosNeverCrashValidation() throws {
    let folder = ScenarioTestSupport.scenariosFolder
    let files = try FileManager.default.contentsOfDirectory(atPath: folder.path)
      .filter { $0.hasSuffix(".yaml") }.sorted()
    #expect(files.count >= 4)
    let stream = RandomStream(seed: 2024, name: "fuzz-scenarios")
    var invalid = 0
    var cases = 0
    for (fileIndex, file) in files.enumerated() {
      let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
      for index in 0..<600 {
        let mutated = Mutator.mutate(text, index: fileIndex * 10_000 + index, stream: stream)
        let result = ScenarioLoader.check(
          yaml: mutated, fileName: file, directoryURL: folder)
        cases += 1
        if result.scenario == nil {
          invalid += 1
          // Every problem names the file and a position.
          #expect(!result.diagnostics.isEmpty)
          #expect(result.diagnostics.allSatisfy { $0.description.hasPrefix("\(file):") })
        }
      }
    }
    #expect(cases >= 2400)
    #expect(invalid > cases / 4)  // the mutations do break most files
  }

  @Test func mutatedTablesNeverCrashTheTableReader() throws {
    let folder = ScenarioTestSupport.scenariosFolder
    let scenario = try ScenarioLoader.load(
      path: folder.appendingPathComponent("table-cohort.yaml").path)
    guard case .table(let spec) = scenario.population.source else {
      Issue.record("table-cohort.yaml has no table")
      return
    }
    let text = try String(contentsOf: spec.url, encoding: .utf8)
    let stream = RandomStream(seed: 2024, name: "fuzz-tables")
    let temporary = FileManager.default.temporaryDirectory
      .appendingPathComponent("twin-sim-fuzz-\(getpid()).csv")
    defer { try? FileManager.default.removeItem(at: temporary) }
    var rejected = 0
    for index in 0..<1500 {
      let mutated = Mutator.mutate(text, index: index, stream: stream)
      try Data(mutated.utf8).write(to: temporary)
      do {
        let table = try CSVTableReader.read(url: temporary, displayPath: "cohort.csv", rows: nil)
        _ = try TablePopulationBuilder.block(table: table, spec: spec, conditionCount: 1)
      } catch {
        rejected += 1
        #expect(error.description.hasPrefix("cohort.csv"))
      }
    }
    #expect(rejected > 300)
  }
}
