import Foundation
import Testing
import TwinRandom

/// One line of Random123's `kat_vectors` for philox4x32.
private struct KnownAnswerVector {
  let line: Int
  let rounds: Int
  let counter: [UInt32]
  let key: [UInt32]
  let expected: [UInt32]
}

private struct KnownAnswerFileError: Error, CustomStringConvertible {
  let description: String
}

/// Random123's known-answer file, copied into the repository
/// (`Tests/fixtures/standards/random123`; this file is `Tests/TwinRandomTests/<file>.swift`).
private let knownAnswerFile = URL(fileURLWithPath: #filePath)
  .deletingLastPathComponent().deletingLastPathComponent()
  .appendingPathComponent("fixtures/standards/random123/philox4x32-kat.txt")

private func knownAnswerText() throws -> String {
  guard let data = FileManager.default.contents(atPath: knownAnswerFile.path) else {
    throw KnownAnswerFileError(description: "\(knownAnswerFile.path) cannot be read")
  }
  return String(decoding: data, as: UTF8.self)
}

private func parseHexWord(_ text: Substring, line: Int) throws -> UInt32 {
  guard let word = UInt32(text, radix: 16) else {
    throw KnownAnswerFileError(description: "line \(line): '\(text)' is not a 32-bit hex word")
  }
  return word
}

/// Parses `philox4x32 R c0 c1 c2 c3 k0 k1 o0 o1 o2 o3` lines; `#` starts a comment line.
private func parseKnownAnswerVectors(_ text: String) throws -> [KnownAnswerVector] {
  var vectors: [KnownAnswerVector] = []
  for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false)
    .enumerated()
  {
    let lineNumber = index + 1
    let line = rawLine.trimmingCharacters(in: .whitespaces)
    if line.isEmpty || line.hasPrefix("#") { continue }
    let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
    guard fields.count == 12, fields[0] == "philox4x32", let rounds = Int(fields[1]) else {
      throw KnownAnswerFileError(
        description: "line \(lineNumber): expected 'philox4x32 R' and 10 hex words, found '\(line)'"
      )
    }
    let words = try fields[2...].map { try parseHexWord($0, line: lineNumber) }
    vectors.append(
      KnownAnswerVector(
        line: lineNumber, rounds: rounds, counter: Array(words[0..<4]), key: Array(words[4..<6]),
        expected: Array(words[6..<10])))
  }
  return vectors
}

@Test func philoxMatchesEveryRandom123KnownAnswerVector() throws {
  let vectors = try parseKnownAnswerVectors(try knownAnswerText())
  // The file holds 3 vectors for each of 7 and 10 rounds; an empty parse must not pass.
  #expect(vectors.count >= 6)
  #expect(Set(vectors.map(\.rounds)) == [7, 10])
  for vector in vectors {
    let output = Philox4x32.block(
      counter: (vector.counter[0], vector.counter[1], vector.counter[2], vector.counter[3]),
      key: (vector.key[0], vector.key[1]), rounds: vector.rounds)
    let words = [output.0, output.1, output.2, output.3]
    #expect(words == vector.expected, "known-answer line \(vector.line)")
  }
}

@Test func defaultRoundsArePhilox4x32Ten() {
  // Random123 kat_vectors: philox4x32 10, counter pi digits, key pi digits.
  let output = Philox4x32.block(
    counter: (0x243F_6A88, 0x85A3_08D3, 0x1319_8A2E, 0x0370_7344), key: (0xA409_3822, 0x299F_31D0))
  #expect(Philox4x32.defaultRounds == 10)
  #expect(
    [output.0, output.1, output.2, output.3] == [
      0xD16C_FE09, 0x94FD_CCEB, 0x5001_E420, 0x2412_6EA1,
    ])
}
