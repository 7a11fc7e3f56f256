/// The result of validating a YAML node against a `SchemaType`: the value in
/// typed form, with every default filled in, and where it came from in the file
/// (defaults carry the position of the mapping they were filled into).
struct ValidatedValue: Sendable {
  indirect enum Kind: Sendable {
    /// The value had a problem (already reported); rules skip it.
    case invalid
    case string(String)
    case integer(Int)
    case number(Double)
    case boolean(Bool)
    case uncertain(UncertainValue)
    case pair(Double, Double)
    case object(ValidatedObject)
    case sequence([ValidatedValue])
    case dictionary([DictionaryEntry])
  }

  var position: SourcePosition
  var isDefault: Bool
  var kind: Kind

  static func invalid(at position: SourcePosition) -> ValidatedValue {
    ValidatedValue(position: position, isDefault: false, kind: .invalid)
  }

  var isValid: Bool {
    if case .invalid = kind { return false }
    return true
  }

  var string: String? {
    if case .string(let value) = kind { return value }
    return nil
  }

  var integer: Int? {
    if case .integer(let value) = kind { return value }
    return nil
  }

  var number: Double? {
    switch kind {
    case .number(let value): return value
    case .integer(let value): return Double(value)
    default: return nil
    }
  }

  var boolean: Bool? {
    if case .boolean(let value) = kind { return value }
    return nil
  }

  var uncertain: UncertainValue? {
    if case .uncertain(let value) = kind { return value }
    return nil
  }

  var pair: (Double, Double)? {
    if case .pair(let low, let high) = kind { return (low, high) }
    return nil
  }

  var object: ValidatedObject? {
    if case .object(let value) = kind { return value }
    return nil
  }

  var sequence: [ValidatedValue]? {
    if case .sequence(let value) = kind { return value }
    return nil
  }

  var dictionary: [DictionaryEntry]? {
    if case .dictionary(let value) = kind { return value }
    return nil
  }
}

/// One entry of a user-keyed mapping (`relative_risks`), in file order.
struct DictionaryEntry: Sendable {
  var key: String
  var keyPosition: SourcePosition
  var value: ValidatedValue
}

/// A validated mapping with known keys: the values given or defaulted, and the
/// positions of the keys as written.
struct ValidatedObject: Sendable {
  var position: SourcePosition
  var values: [String: ValidatedValue] = [:]
  var keyPositions: [String: SourcePosition] = [:]

  subscript(key: String) -> ValidatedValue? {
    values[key]
  }

  /// Whether the key was written in the file (not defaulted, not left out).
  func isGiven(_ key: String) -> Bool {
    keyPositions[key] != nil
  }

  /// The position to report a problem with `key` at: its value if present,
  /// the key as written, or the mapping itself.
  func position(of key: String) -> SourcePosition {
    if let value = values[key], !value.isDefault { return value.position }
    return keyPositions[key] ?? position
  }

  /// The valid value at a path of keys below this mapping, if every step exists.
  func value(at keys: [String]) -> ValidatedValue? {
    guard let first = keys.first, let value = values[first], value.isValid else { return nil }
    if keys.count == 1 { return value }
    return value.object?.value(at: Array(keys.dropFirst()))
  }

  // Accessors for decoding, which runs only after a validation without
  // problems: a mismatch between schema and decoder is a programming error.

  func requiredString(_ key: String) -> String {
    guard let value = values[key]?.string else { missing(key, "string") }
    return value
  }

  func optionalString(_ key: String) -> String? {
    values[key]?.string
  }

  func requiredInteger(_ key: String) -> Int {
    guard let value = values[key]?.integer else { missing(key, "integer") }
    return value
  }

  func optionalInteger(_ key: String) -> Int? {
    values[key]?.integer
  }

  func requiredNumber(_ key: String) -> Double {
    guard let value = values[key]?.number else { missing(key, "number") }
    return value
  }

  func optionalNumber(_ key: String) -> Double? {
    values[key]?.number
  }

  func requiredBoolean(_ key: String) -> Bool {
    guard let value = values[key]?.boolean else { missing(key, "boolean") }
    return value
  }

  func requiredUncertain(_ key: String) -> UncertainValue {
    guard let value = values[key]?.uncertain else { missing(key, "U-number") }
    return value
  }

  func requiredPair(_ key: String) -> (Double, Double) {
    guard let value = values[key]?.pair else { missing(key, "pair") }
    return value
  }

  func requiredObject(_ key: String) -> ValidatedObject {
    guard let value = values[key]?.object else { missing(key, "mapping") }
    return value
  }

  func optionalObject(_ key: String) -> ValidatedObject? {
    values[key]?.object
  }

  func requiredSequence(_ key: String) -> [ValidatedValue] {
    guard let value = values[key]?.sequence else { missing(key, "sequence") }
    return value
  }

  func requiredDictionary(_ key: String) -> [DictionaryEntry] {
    guard let value = values[key]?.dictionary else { missing(key, "mapping") }
    return value
  }

  private func missing(_ key: String, _ type: String) -> Never {
    preconditionFailure("scenario schema and decoder disagree: no valid \(type) '\(key)'")
  }
}
