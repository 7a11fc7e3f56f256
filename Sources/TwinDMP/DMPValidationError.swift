/// One problem in a maDMP document: where (JSON pointer), what was expected,
/// what was found. Printed as `FILE: /dmp/dataset/0/personal_data: expected ...`.
public struct DMPValidationError: Error, Sendable, Hashable, CustomStringConvertible {
  /// The offending value (or the object missing a key).
  public var pointer: JSONPointer
  /// What the standard or twin-sim's extension requires there.
  public var expected: String
  /// What the document holds there (`nothing` when the key is missing).
  public var found: String

  public init(pointer: JSONPointer, expected: String, found: String) {
    self.pointer = pointer
    self.expected = expected
    self.found = found
  }

  public var description: String {
    let location = pointer.description.isEmpty ? "/" : pointer.description
    return "\(location): expected \(expected), found \(found)"
  }
}

/// All problems of one DMP file at once.
public struct DMPValidationFailure: Error, Sendable, CustomStringConvertible {
  public var file: String
  public var errors: [DMPValidationError]

  public var description: String {
    errors.map { "\(file): \($0)" }.joined(separator: "\n")
  }
}
