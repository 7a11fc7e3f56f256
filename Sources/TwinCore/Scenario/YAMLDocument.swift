import Foundation
import Yams

/// A YAML text composed into a `Yams.Node` tree, keeping every mapping key
/// (duplicates included) so that validation can report all problems at once.
///
/// Yams (6.2.2) throws at the first duplicated mapping key and stops. To go on,
/// the first occurrence of the duplicated key is given a private local tag
/// (`!twin-sim-first-occurrence-N `) in a copy of the text, which makes the two
/// keys differ for Yams, and composing is repeated. The validator then sees both
/// keys and reports the later one as a duplicate, with both positions. Each round
/// re-reads the whole text, so a round per duplicate made a file of 3,000
/// duplicated keys take 29 s: at most `maximumRounds` rounds are made (linear in
/// the size of the file), and a duplicated key beyond them ends reading there, as
/// a syntax error. `positions` maps marks in the edited copy back to the line and
/// column of the user's file.
struct YAMLDocument {
  /// The result of composing a YAML text.
  enum Outcome {
    /// A single document.
    case document(Node, PositionMap)
    /// The text holds no document (empty or only comments).
    case empty
    /// The text is not valid YAML; position and message in the user's file.
    case syntaxError(SourcePosition, String)
  }

  /// Maps positions in the edited copy back to the original text: undoes the
  /// inserted tags in reverse order of insertion.
  struct PositionMap {
    fileprivate struct Insertion {
      var line: Int
      var column: Int
      var length: Int
    }

    fileprivate var insertions: [Insertion] = []

    func position(of mark: Mark?) -> SourcePosition {
      guard let mark else { return .start }
      var column = mark.column
      for insertion in insertions.reversed()
      where insertion.line == mark.line && column > insertion.column {
        column -= insertion.length
      }
      return SourcePosition(line: mark.line, column: column)
    }
  }

  /// The prefix of the private tags; never a valid key or value of the schema.
  static let firstOccurrenceTagPrefix = "!twin-sim-first-occurrence-"

  /// Composing rounds at most: up to two duplicated keys are reported by the validator with
  /// both positions, a third as a syntax error (1 MB of duplicated keys: 0.7 s).
  static let maximumRounds = 3

  static func compose(_ text: String) -> Outcome {
    var edited = text
    var map = PositionMap()
    for round in 0..<maximumRounds {
      do {
        guard let node = try Yams.compose(yaml: edited, .basic) else { return .empty }
        return .document(node, map)
      } catch YamlError.duplicatedKeysInMapping(let duplicates, let context) {
        let mark = context.mark
        let tag = "\(firstOccurrenceTagPrefix)\(round) "
        guard round + 1 < maximumRounds,
          let tagged = insert(tag, into: edited, line: mark.line, column: mark.column)
        else {
          let names = duplicates.map { "'\($0)'" }.joined(separator: ", ")
          return .syntaxError(
            map.position(of: mark),
            "duplicate mapping key \(names) (given more than once; each key may appear once "
              + "in a mapping)")
        }
        edited = tagged
        map.insertions.append(
          .init(line: mark.line, column: mark.column, length: tag.unicodeScalars.count))
      } catch let error as YamlError {
        return syntaxError(error, map: map, text: edited)
      } catch {
        return .syntaxError(.start, "cannot parse the YAML: \(error)")
      }
    }
    preconditionFailure("the last round returns")
  }

  /// Inserts `tag` before the key that starts at (line, column), both 1-based
  /// and counted in Unicode scalars; nil when the key already carries a tag (a
  /// second tag would be a syntax error of our making).
  private static func insert(_ tag: String, into text: String, line: Int, column: Int)
    -> String?
  {
    var scalars = Array(text.unicodeScalars)
    var currentLine = 1
    var currentColumn = 1
    var index = 0
    while index < scalars.count, currentLine < line || currentColumn < column {
      let scalar = scalars[index]
      if scalar == "\n"
        || (scalar == "\r" && (index + 1 == scalars.count || scalars[index + 1] != "\n"))
      {
        currentLine += 1
        currentColumn = 1
      } else if scalar != "\r" {
        currentColumn += 1
      }
      index += 1
    }
    guard currentLine == line, currentColumn == column, index < scalars.count,
      scalars[index] != "!"
    else { return nil }
    scalars.insert(contentsOf: tag.unicodeScalars, at: index)
    var result = String.UnicodeScalarView()
    result.append(contentsOf: scalars)
    return String(result)
  }

  private static func syntaxError(_ error: YamlError, map: PositionMap, text: String) -> Outcome {
    func describe(_ context: YamlError.Context?, _ problem: String) -> String {
      guard let context else { return problem }
      let where_ = map.position(of: context.mark)
      return "\(problem) (\(context.text) at line \(where_.line), column \(where_.column))"
    }
    switch error {
    case .composer(_, "but found another document", let mark, _):
      return .syntaxError(
        map.position(of: mark),
        "expected a single YAML document, found a second one (after '---')")
    case .scanner(let context, let problem, let mark, _),
      .parser(let context, let problem, let mark, _),
      .composer(let context, let problem, let mark, _):
      return .syntaxError(
        map.position(of: mark), "invalid YAML: " + describe(context, problem))
    case .reader(let problem, let offset, _, _):
      var position = SourcePosition.start
      if let offset {
        let prefix = text.prefix(offset)
        let lines = prefix.split(separator: "\n", omittingEmptySubsequences: false)
        position = SourcePosition(
          line: lines.count, column: (lines.last?.unicodeScalars.count ?? 0) + 1)
      }
      return .syntaxError(position, "cannot read the text: \(problem)")
    default:
      return .syntaxError(.start, "invalid YAML: \(error)")
    }
  }
}

/// A plain YAML scalar read by the rules of YAML 1.2's core schema, stricter
/// than Yams' YAML 1.1 resolver: `yes`, `no`, `on`, `off` are text, not
/// booleans, and `1:30` is text, not the sexagesimal number 90. Underscores
/// may group digits (`100_000`).
enum ScalarReading {
  case null
  case boolean(Bool)
  /// A whole number; nil when it does not fit a 64-bit integer.
  case integer(Int?)
  /// A number with a decimal point or exponent, or `.inf`/`.nan`.
  case float(Double)
  case string(String)
  /// A tag twin-sim does not read (e.g. `!!binary`, `!custom`).
  case unsupportedTag(String)

  private static let coreTag = "tag:yaml.org,2002:"

  init(_ scalar: Node.Scalar) {
    let text = scalar.string
    let tag = scalar.tag.description
    switch tag {
    case "":
      self = Self.resolvePlain(text)
    case "!", Self.coreTag + "str":
      self = .string(text)
    case Self.coreTag + "int":
      if case .integer(let value) = Self.resolvePlain(text) {
        self = .integer(value)
      } else {
        self = .string(text)
      }
    case Self.coreTag + "float":
      switch Self.resolvePlain(text) {
      case .float(let value): self = .float(value)
      case .integer(let value?): self = .float(Double(value))
      default: self = .string(text)
      }
    case Self.coreTag + "bool":
      if case .boolean(let value) = Self.resolvePlain(text) {
        self = .boolean(value)
      } else {
        self = .string(text)
      }
    case Self.coreTag + "null":
      self = .null
    default:
      if tag.hasPrefix(YAMLDocument.firstOccurrenceTagPrefix) {
        self = Self.resolvePlain(text)
      } else {
        self = .unsupportedTag(tag)
      }
    }
  }

  private static func resolvePlain(_ text: String) -> ScalarReading {
    switch text {
    case "", "~", "null", "Null", "NULL": return .null
    case "true", "True", "TRUE": return .boolean(true)
    case "false", "False", "FALSE": return .boolean(false)
    case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": return .float(.infinity)
    case "-.inf", "-.Inf", "-.INF": return .float(-.infinity)
    case ".nan", ".NaN", ".NAN": return .float(.nan)
    default: break
    }
    let scalars = Array(text.unicodeScalars)
    var index = 0
    if index < scalars.count, scalars[index] == "+" || scalars[index] == "-" { index += 1 }
    func isDigit(_ scalar: Unicode.Scalar) -> Bool { scalar >= "0" && scalar <= "9" }
    let integerStart = index
    while index < scalars.count,
      isDigit(scalars[index]) || (index > integerStart && scalars[index] == "_")
    {
      index += 1
    }
    let integerDigits = index - integerStart
    if index == scalars.count {
      guard integerDigits > 0 else { return .string(text) }
      return .integer(Int(text.replacingOccurrences(of: "_", with: "")))
    }
    var fractionDigits = 0
    if scalars[index] == "." {
      index += 1
      while index < scalars.count, isDigit(scalars[index]) || scalars[index] == "_" {
        fractionDigits += 1
        index += 1
      }
    }
    guard integerDigits + fractionDigits > 0 else { return .string(text) }
    if index < scalars.count, scalars[index] == "e" || scalars[index] == "E" {
      index += 1
      if index < scalars.count, scalars[index] == "+" || scalars[index] == "-" { index += 1 }
      let exponentStart = index
      while index < scalars.count, isDigit(scalars[index]) { index += 1 }
      guard index > exponentStart else { return .string(text) }
    }
    guard index == scalars.count,
      let value = Double(text.replacingOccurrences(of: "_", with: ""))
    else { return .string(text) }
    return .float(value)
  }
}
