import Foundation
import Yams

/// Reads, validates and decodes scenario files.
///
/// Validation collects every problem in a file before giving up, each as a
/// `Diagnostic` (`FILE:LINE:COLUMN: key.path: message`), sorted by position.
/// A scenario is decoded only when there are none.
public enum ScenarioLoader {
  /// Loads the scenario file at `path` (relative to the current directory or
  /// absolute). Table paths in it are resolved against the file's folder.
  ///
  /// - Throws: `ScenarioError.invalid` with every problem found.
  public static func load(path: String) throws(ScenarioError) -> Scenario {
    let (scenario, diagnostics) = check(path: path)
    guard let scenario else { throw ScenarioError.invalid(diagnostics) }
    return scenario
  }

  /// Every problem in the scenario file at `path`; empty when it is valid.
  public static func validate(path: String) -> [Diagnostic] {
    check(path: path).diagnostics
  }

  /// Loads a scenario from text; `fileName` is shown in diagnostics and
  /// `directoryURL` is where relative table paths are resolved.
  public static func load(yaml: String, fileName: String, directoryURL: URL) throws(ScenarioError)
    -> Scenario
  {
    let (scenario, diagnostics) = check(yaml: yaml, fileName: fileName, directoryURL: directoryURL)
    guard let scenario else { throw ScenarioError.invalid(diagnostics) }
    return scenario
  }

  /// Every problem in a scenario given as text; empty when it is valid.
  public static func validate(yaml: String, fileName: String, directoryURL: URL) -> [Diagnostic] {
    check(yaml: yaml, fileName: fileName, directoryURL: directoryURL).diagnostics
  }

  /// Validates and, when valid, decodes the file at `path`.
  public static func check(path: String) -> (scenario: Scenario?, diagnostics: [Diagnostic]) {
    let url = URL(fileURLWithPath: path).standardizedFileURL
    func fileProblem(_ message: String) -> (Scenario?, [Diagnostic]) {
      (nil, [Diagnostic(file: path, position: .start, keyPath: "(file)", message: message)])
    }
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
      return fileProblem("cannot read the file: it does not exist")
    }
    guard !isDirectory.boolValue else {
      return fileProblem("cannot read the file: it is a folder")
    }
    let data: Data
    do {
      data = try Data(contentsOf: url)
    } catch {
      return fileProblem("cannot read the file: \(error.localizedDescription)")
    }
    guard let text = String(data: data, encoding: .utf8) else {
      return fileProblem("cannot read the file: it is not UTF-8 text")
    }
    return check(yaml: text, fileName: path, directoryURL: url.deletingLastPathComponent())
  }

  /// Validates and, when valid, decodes a scenario given as text.
  public static func check(yaml: String, fileName: String, directoryURL: URL)
    -> (scenario: Scenario?, diagnostics: [Diagnostic])
  {
    func documentProblem(_ position: SourcePosition, _ path: String, _ message: String)
      -> (Scenario?, [Diagnostic])
    {
      (nil, [Diagnostic(file: fileName, position: position, keyPath: path, message: message)])
    }
    let node: Node
    let positions: YAMLDocument.PositionMap
    switch YAMLDocument.compose(yaml) {
    case .empty:
      return documentProblem(
        .start, KeyPath.root.description,
        "expected a mapping of scenario keys (at least 'name' and 'population'), found an "
          + "empty document")
    case .syntaxError(let position, let message):
      return documentProblem(position, "(syntax)", message)
    case .document(let document, let map):
      node = document
      positions = map
    }
    guard case .mapping = node else {
      let found: String
      switch node {
      case .sequence: found = "a sequence"
      default: found = "a single value"
      }
      return documentProblem(
        positions.position(of: node.mark), KeyPath.root.description,
        "expected a mapping of scenario keys (at least 'name' and 'population'), found \(found)")
    }
    var validator = SchemaValidator(
      file: fileName, positions: positions, baseDirectory: directoryURL)
    let root = validator.validate(node, as: .object(ScenarioSchema.root), at: .root)
    let diagnostics = validator.diagnostics.enumerated()
      .sorted { ($0.element.position, $0.offset) < ($1.element.position, $1.offset) }
      .map(\.element)
    guard diagnostics.isEmpty, let object = root.object else { return (nil, diagnostics) }
    let scenario = Scenario(
      validated: object, sourceYAML: yaml, sourcePath: fileName, directoryURL: directoryURL)
    return (scenario, [])
  }
}
