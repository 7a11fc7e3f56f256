/// A position in a scenario file: 1-based line and column, columns counted in
/// Unicode scalars (as libyaml counts them).
public struct SourcePosition: Sendable, Hashable, Comparable, CustomStringConvertible {
  public var line: Int
  public var column: Int

  public init(line: Int, column: Int) {
    self.line = line
    self.column = column
  }

  /// The start of a file, used for problems that concern the whole file.
  public static let start = SourcePosition(line: 1, column: 1)

  public static func < (lhs: SourcePosition, rhs: SourcePosition) -> Bool {
    (lhs.line, lhs.column) < (rhs.line, rhs.column)
  }

  public var description: String { "\(line):\(column)" }
}

/// The path of a key inside a scenario, as users write it in messages and docs:
/// dots between mapping keys and `[i]` for sequence items
/// (`arms[2].interventions[0].fraction`), 0-based like the YAML items' order.
public struct KeyPath: Sendable, Hashable, CustomStringConvertible {
  /// One step of a key path.
  public enum Component: Sendable, Hashable {
    case key(String)
    case index(Int)
  }

  public var components: [Component]

  public init(_ components: [Component] = []) {
    self.components = components
  }

  /// The path of the document itself, shown as `(document)` in messages.
  public static let root = KeyPath()

  public func appending(key: String) -> KeyPath {
    KeyPath(components + [.key(key)])
  }

  public func appending(index: Int) -> KeyPath {
    KeyPath(components + [.index(index)])
  }

  /// The last mapping key of the path, if the path ends in one.
  public var lastKey: String? {
    if case .key(let key)? = components.last { return key }
    return nil
  }

  public var description: String {
    if components.isEmpty { return "(document)" }
    var text = ""
    for component in components {
      switch component {
      case .key(let key):
        if !text.isEmpty { text += "." }
        text += key
      case .index(let index):
        text += "[\(index)]"
      }
    }
    return text
  }
}

/// One problem found in a scenario file. Its `description` is the line users
/// see, exactly `FILE:LINE:COLUMN: key.path: message`, the format compilers use so
/// editors and terminals can jump to the place.
///
/// Special key paths: `(document)` for the file as a whole, `(syntax)` for YAML
/// syntax errors, `(file)` when the file cannot be read.
public struct Diagnostic: Sendable, Hashable, CustomStringConvertible, Error {
  /// The file name as given by the user (not made absolute).
  public var file: String
  public var position: SourcePosition
  /// The key path as text, e.g. `arms[2].interventions[0].fraction`.
  public var keyPath: String
  /// What was expected and what was found.
  public var message: String

  public init(file: String, position: SourcePosition, keyPath: String, message: String) {
    self.file = file
    self.position = position
    self.keyPath = keyPath
    self.message = message
  }

  public var description: String {
    "\(file):\(position.line):\(position.column): \(keyPath): \(message)"
  }
}

/// Why a scenario could not be loaded.
public enum ScenarioError: Error, Sendable, CustomStringConvertible {
  /// The file is unreadable or invalid; every problem found, in file order.
  case invalid([Diagnostic])

  public var diagnostics: [Diagnostic] {
    switch self {
    case .invalid(let diagnostics): return diagnostics
    }
  }

  public var description: String {
    diagnostics.map(\.description).joined(separator: "\n")
  }
}
