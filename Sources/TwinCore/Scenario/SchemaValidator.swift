import Foundation
import Yams

/// What a cross-key rule sees (the mapping it belongs to, validated, with
/// defaults) and how it reports problems.
struct RuleContext {
  struct Problem {
    var path: KeyPath
    var position: SourcePosition
    var message: String
  }

  let object: ValidatedObject
  let path: KeyPath
  /// The folder relative paths in the scenario are resolved against.
  let baseDirectory: URL
  private(set) var problems: [Problem] = []

  init(object: ValidatedObject, path: KeyPath, baseDirectory: URL) {
    self.object = object
    self.path = path
    self.baseDirectory = baseDirectory
  }

  /// Reports a problem at an explicit path and position.
  mutating func report(_ message: String, at path: KeyPath, _ position: SourcePosition) {
    problems.append(Problem(path: path, position: position, message: message))
  }

  /// Reports a problem with one key of this rule's mapping.
  mutating func report(_ message: String, key: String) {
    report(message, at: path.appending(key: key), object.position(of: key))
  }

  /// Reports a problem with the rule's mapping as a whole.
  mutating func reportOnObject(_ message: String) {
    report(message, at: path, object.position)
  }
}

/// Walks a YAML node tree against a schema, collecting every problem (it never
/// stops at the first) and building the validated value with defaults applied.
struct SchemaValidator {
  /// The file name shown in diagnostics.
  let file: String
  let positions: YAMLDocument.PositionMap
  let baseDirectory: URL
  private(set) var diagnostics: [Diagnostic] = []

  init(file: String, positions: YAMLDocument.PositionMap, baseDirectory: URL) {
    self.file = file
    self.positions = positions
    self.baseDirectory = baseDirectory
  }

  mutating func report(_ message: String, at path: KeyPath, _ position: SourcePosition) {
    diagnostics.append(
      Diagnostic(file: file, position: position, keyPath: path.description, message: message))
  }

  private func position(of node: Node) -> SourcePosition {
    positions.position(of: node.mark)
  }

  // MARK: Values

  /// Validates one value. `unit` is the unit of the key the value belongs to
  /// (`Field.unit`); range errors name it and hint at another common unit
  /// (`ValueUnits`). Items of sequences, pairs and dictionaries share it.
  mutating func validate(
    _ node: Node, as type: SchemaType, at path: KeyPath, unit: String? = nil
  ) -> ValidatedValue {
    let here = position(of: node)
    switch type {
    case .string(let rule):
      guard let text = scalarText(node, expecting: type, at: path) else {
        return .invalid(at: here)
      }
      if let problem = rule.problem(with: text) {
        report(problem, at: path, here)
        return .invalid(at: here)
      }
      return ValidatedValue(position: here, isDefault: false, kind: .string(text))

    case .choice(let choices):
      guard let text = scalarText(node, expecting: type, at: path) else {
        return .invalid(at: here)
      }
      let values = choices.map(\.value)
      guard values.contains(text) else {
        var message = "expected \(type.expectation), found '\(text)'"
        if let suggestion = NearestName.suggestion(for: text, among: values) {
          message += "; did you mean '\(suggestion)'?"
        }
        report(message, at: path, here)
        return .invalid(at: here)
      }
      return ValidatedValue(position: here, isDefault: false, kind: .string(text))

    case .integer(let range):
      return validateInteger(node, range: range, at: path, unit: unit)

    case .number(let range):
      guard let value = readNumber(node, expecting: type, at: path, unit: unit) else {
        return .invalid(at: here)
      }
      guard range.contains(value) else {
        reportOutOfRange(value, node, range: range, unit: unit, at: path)
        return .invalid(at: here)
      }
      return ValidatedValue(position: here, isDefault: false, kind: .number(value))

    case .uncertain(let range):
      if case .mapping(let mapping) = node {
        return validateDistribution(mapping, range: range, at: path, here, unit: unit)
      }
      guard let value = readNumber(node, expecting: type, at: path, unit: unit) else {
        return .invalid(at: here)
      }
      guard range.contains(value) else {
        reportOutOfRange(value, node, range: range, unit: unit, at: path)
        return .invalid(at: here)
      }
      return ValidatedValue(position: here, isDefault: false, kind: .uncertain(.fixed(value)))

    case .boolean:
      if case .scalar(let scalar) = node, case .boolean(let value) = ScalarReading(scalar) {
        return ValidatedValue(position: here, isDefault: false, kind: .boolean(value))
      }
      report("expected \(type.expectation), found \(found(node))", at: path, here)
      return .invalid(at: here)

    case .numberPair(let range):
      guard case .sequence(let sequence) = node, sequence.count == 2 else {
        report("expected \(type.expectation(unit: unit)), found \(found(node))", at: path, here)
        return .invalid(at: here)
      }
      let low = validate(sequence[0], as: .number(range), at: path.appending(index: 0), unit: unit)
      let high = validate(
        sequence[1], as: .number(range), at: path.appending(index: 1), unit: unit)
      guard let lowValue = low.number, let highValue = high.number else {
        return .invalid(at: here)
      }
      guard lowValue < highValue else {
        report(
          "expected min < max, found [\(sourceText(sequence[0])), \(sourceText(sequence[1]))]",
          at: path, here)
        return .invalid(at: here)
      }
      return ValidatedValue(position: here, isDefault: false, kind: .pair(lowValue, highValue))

    case .object(let schema):
      guard case .mapping(let mapping) = node else {
        report("expected a mapping, found \(found(node))", at: path, here)
        return .invalid(at: here)
      }
      let object = validateObject(Array(mapping), schema: schema, at: path, here)
      return ValidatedValue(position: here, isDefault: false, kind: .object(object))

    case .sequence(let rule):
      guard case .sequence(let sequence) = node else {
        report("expected a sequence of \(rule.itemNoun)s, found \(found(node))", at: path, here)
        return .invalid(at: here)
      }
      if !rule.count.contains(sequence.count) {
        let noun = rule.itemNoun + (rule.count.upperBound == 1 ? "" : "s")
        let expected =
          sequence.count < rule.count.lowerBound
          ? "at least \(rule.count.lowerBound) \(noun)"
          : "at most \(rule.count.upperBound) \(noun)"
        report("expected \(expected), found \(sequence.count)", at: path, here)
      }
      // Items past the allowed count are not validated: the walk then stays
      // bounded by the schema however aliases nest ("billion laughs").
      var items: [ValidatedValue] = []
      for (index, item) in sequence.prefix(rule.count.upperBound).enumerated() {
        items.append(
          validate(item, as: rule.element, at: path.appending(index: index), unit: unit))
      }
      return ValidatedValue(position: here, isDefault: false, kind: .sequence(items))

    case .dictionary(let rule):
      guard case .mapping(let mapping) = node else {
        report("expected a mapping, found \(found(node))", at: path, here)
        return .invalid(at: here)
      }
      var entries: [DictionaryEntry] = []
      var firstSeen: [String: SourcePosition] = [:]
      for (keyNode, valueNode) in mapping {
        guard let key = keyName(keyNode, at: path) else { continue }
        let keyPosition = position(of: keyNode)
        if let first = firstSeen[key] {
          reportDuplicate(key, at: path.appending(key: key), keyPosition, first: first)
          continue
        }
        firstSeen[key] = keyPosition
        let value = validate(valueNode, as: rule.value, at: path.appending(key: key), unit: unit)
        entries.append(DictionaryEntry(key: key, keyPosition: keyPosition, value: value))
      }
      return ValidatedValue(position: here, isDefault: false, kind: .dictionary(entries))

    case .taggedUnion(let union):
      return validateTaggedUnion(node, union, at: path)
    }
  }

  private mutating func validateInteger(
    _ node: Node, range: ClosedRange<Int>, at path: KeyPath, unit: String?
  ) -> ValidatedValue {
    let here = position(of: node)
    let expectation = SchemaType.integer(range).expectation(unit: unit)
    guard case .scalar(let scalar) = node else {
      report("expected \(expectation), found \(found(node))", at: path, here)
      return .invalid(at: here)
    }
    switch ScalarReading(scalar) {
    case .integer(let value?):
      guard range.contains(value) else {
        report("expected \(expectation), found \(scalar.string)", at: path, here)
        return .invalid(at: here)
      }
      return ValidatedValue(position: here, isDefault: false, kind: .integer(value))
    case .integer(nil):
      report("expected \(expectation), found \(scalar.string) (too large)", at: path, here)
    case .float(let value) where value.isFinite && value == value.rounded():
      report(
        "expected \(expectation), found \(scalar.string) (write whole numbers without a "
          + "decimal point or exponent)", at: path, here)
    default:
      report("expected \(expectation), found \(found(node))", at: path, here)
    }
    return .invalid(at: here)
  }

  /// "expected mmol/L between 2 and 15, found 213 (mg/dL? divide by 38.67)": the
  /// value as written, and a hint when it fits another common unit of `unit`.
  private mutating func reportOutOfRange(
    _ value: Double, _ node: Node, range: NumberRange, unit: String?, at path: KeyPath
  ) {
    report(
      "expected \(ValueUnits.expectation(range, unit: unit)), found \(sourceText(node))"
        + ValueUnits.hint(for: value, unit: unit, range: range), at: path, position(of: node))
  }

  /// A finite number from a scalar (integers included), or nil after reporting.
  private mutating func readNumber(
    _ node: Node, expecting type: SchemaType, at path: KeyPath, unit: String?
  ) -> Double? {
    let here = position(of: node)
    if case .scalar(let scalar) = node {
      switch ScalarReading(scalar) {
      case .integer(let value?):
        return Double(value)
      case .integer(nil):
        if let value = Double(scalar.string.replacingOccurrences(of: "_", with: "")) {
          return value
        }
      case .float(let value) where value.isFinite:
        return value
      default:
        break
      }
    }
    report("expected \(type.expectation(unit: unit)), found \(found(node))", at: path, here)
    return nil
  }

  /// The text of a scalar for string-like types. Plain numbers and booleans are
  /// accepted as their text (`name: 2030` is the name "2030").
  private mutating func scalarText(_ node: Node, expecting type: SchemaType, at path: KeyPath)
    -> String?
  {
    if case .scalar(let scalar) = node {
      switch ScalarReading(scalar) {
      case .null, .unsupportedTag: break
      default: return scalar.string
      }
    }
    report("expected \(type.expectation), found \(found(node))", at: path, position(of: node))
    return nil
  }

  // MARK: Mappings

  /// The name of a mapping key, or nil after reporting a key that is not a
  /// plain name (a mapping or sequence used as a key).
  private mutating func keyName(_ node: Node, at path: KeyPath) -> String? {
    if case .scalar(let scalar) = node { return scalar.string }
    report("expected a key name, found \(found(node))", at: path, position(of: node))
    return nil
  }

  private mutating func reportDuplicate(
    _ key: String, at path: KeyPath, _ here: SourcePosition, first: SourcePosition
  ) {
    report(
      "duplicate key '\(key)'; first given at line \(first.line), column \(first.column)",
      at: path, here)
  }

  /// Validates a mapping's keys. `unit` is the unit of keys that name none
  /// themselves: a distribution's parameters take the unit of their U-number.
  mutating func validateObject(
    _ pairs: [(key: Node, value: Node)], schema: ObjectSchema, at path: KeyPath,
    _ here: SourcePosition, unit: String? = nil
  ) -> ValidatedObject {
    var object = ValidatedObject(position: here)
    let knownKeys = schema.fields.map(\.key)
    for (keyNode, valueNode) in pairs {
      guard let key = keyName(keyNode, at: path) else { continue }
      let keyPosition = position(of: keyNode)
      if let first = object.keyPositions[key] {
        reportDuplicate(key, at: path.appending(key: key), keyPosition, first: first)
        continue
      }
      guard let field = schema.field(key) else {
        report(
          "unknown key '\(key)'" + NearestName.hint(for: key, among: knownKeys),
          at: path.appending(key: key), keyPosition)
        continue
      }
      object.keyPositions[key] = keyPosition
      object.values[key] = validate(
        valueNode, as: field.type, at: path.appending(key: key), unit: field.unit ?? unit)
    }
    for field in schema.fields where object.values[field.key] == nil {
      let fieldPath = path.appending(key: field.key)
      switch field.presence {
      case .required:
        report("missing required key '\(field.key)'", at: fieldPath, here)
      case .optional, .derived:
        break
      case .defaulted(let yaml):
        object.values[field.key] = defaultValue(yaml, as: field.type, at: fieldPath, here)
      case .defaultedUnlessGiven(let yaml, let alternative):
        if object.keyPositions[alternative] == nil {
          object.values[field.key] = defaultValue(yaml, as: field.type, at: fieldPath, here)
        }
      case .dependentDefault(let siblingKey, let table):
        guard let sibling = object.values[siblingKey], sibling.isValid else {
          object.values[field.key] = .invalid(at: here)
          continue
        }
        guard let selector = sibling.string, let yaml = table[selector] else {
          preconditionFailure("schema: no default of \(fieldPath) for \(siblingKey) \(sibling)")
        }
        object.values[field.key] = defaultValue(yaml, as: field.type, at: fieldPath, here)
      case .defaultsOfItsKeys:
        guard case .object(let innerSchema) = field.type else {
          preconditionFailure("schema: \(fieldPath) takes its keys' defaults but is no mapping")
        }
        let inner = validateObject([], schema: innerSchema, at: fieldPath, here)
        object.values[field.key] = ValidatedValue(
          position: here, isDefault: true, kind: .object(inner))
      }
    }
    for rule in schema.rules {
      var context = RuleContext(object: object, path: path, baseDirectory: baseDirectory)
      rule.check(&context)
      for problem in context.problems {
        report(problem.message, at: problem.path, problem.position)
      }
    }
    return object
  }

  /// The validated value of a default written in the schema as YAML, placed at
  /// the mapping it fills. A default that fails its own type is a schema bug
  /// (a test validates every default).
  private func defaultValue(
    _ yaml: String, as type: SchemaType, at path: KeyPath, _ here: SourcePosition
  ) -> ValidatedValue {
    let value = Self.parseDefault(yaml, as: type, at: path, baseDirectory: baseDirectory)
    guard case .valid(let validated) = value else {
      preconditionFailure("schema: invalid default '\(yaml)' for \(path): \(value)")
    }
    return validated.relocated(to: here)
  }

  enum DefaultParse {
    case valid(ValidatedValue)
    case invalid([Diagnostic])
  }

  /// Parses and validates a schema default (also used by the schema's tests).
  static func parseDefault(
    _ yaml: String, as type: SchemaType, at path: KeyPath, baseDirectory: URL
  ) -> DefaultParse {
    guard case .document(let node, let map) = YAMLDocument.compose(yaml) else {
      return .invalid([
        Diagnostic(
          file: "(default)", position: .start, keyPath: path.description,
          message: "default '\(yaml)' is not a YAML value")
      ])
    }
    var validator = SchemaValidator(
      file: "(default)", positions: map, baseDirectory: baseDirectory)
    let value = validator.validate(node, as: type, at: path)
    return validator.diagnostics.isEmpty ? .valid(value) : .invalid(validator.diagnostics)
  }

  private mutating func validateTaggedUnion(
    _ node: Node, _ union: TaggedUnionSchema, at path: KeyPath
  ) -> ValidatedValue {
    let here = position(of: node)
    guard case .mapping(let mapping) = node else {
      report("expected a mapping with '\(union.tagKey)', found \(found(node))", at: path, here)
      return .invalid(at: here)
    }
    let tags = union.variants.map(\.tag)
    guard let tagNode = mapping[union.tagKey] else {
      report(
        "missing required key '\(union.tagKey)' (one of \(tags.joined(separator: ", ")))",
        at: path.appending(key: union.tagKey), here)
      return .invalid(at: here)
    }
    let tagPath = path.appending(key: union.tagKey)
    guard let tag = scalarText(tagNode, expecting: .choice([]), at: tagPath) else {
      return .invalid(at: here)
    }
    guard let variant = union.variant(tag) else {
      var message = "expected one of \(tags.joined(separator: ", ")), found '\(tag)'"
      if let suggestion = NearestName.suggestion(for: tag, among: tags) {
        message += "; did you mean '\(suggestion)'?"
      }
      report(message, at: tagPath, position(of: tagNode))
      return .invalid(at: here)
    }
    let object = validateObject(
      Array(mapping), schema: union.objectSchema(for: variant), at: path, here)
    return ValidatedValue(position: here, isDefault: false, kind: .object(object))
  }

  // MARK: U-numbers

  private mutating func validateDistribution(
    _ mapping: Node.Mapping, range: NumberRange, at path: KeyPath, _ here: SourcePosition,
    unit: String?
  ) -> ValidatedValue {
    let names = UncertainSchema.distributions.map(\.name)
    guard let (keyNode, parameters) = mapping.first else {
      report(
        "expected \(SchemaType.uncertain(range).expectation(unit: unit)), found an empty mapping",
        at: path, here)
      return .invalid(at: here)
    }
    for (extraKey, _) in mapping.dropFirst() {
      report(
        "expected exactly one distribution (\(names.joined(separator: ", "))), found also "
          + "'\(extraKey.scalar?.string ?? "?")'", at: path, position(of: extraKey))
    }
    guard let name = keyName(keyNode, at: path) else { return .invalid(at: here) }
    guard let distribution = UncertainSchema.distributions.first(where: { $0.name == name })
    else {
      var message = "unknown distribution '\(name)'"
      if let suggestion = NearestName.suggestion(for: name, among: names) {
        message += "; did you mean '\(suggestion)'?"
      } else {
        message += "; expected a number or one of: " + names.joined(separator: ", ")
      }
      report(message, at: path.appending(key: name), position(of: keyNode))
      return .invalid(at: here)
    }
    let parametersPath = path.appending(key: name)
    guard case .mapping(let parameterMapping) = parameters else {
      report(
        "expected a mapping of the \(name) distribution's parameters, found \(found(parameters))",
        at: parametersPath, position(of: parameters))
      return .invalid(at: here)
    }
    let object = validateObject(
      Array(parameterMapping), schema: distribution.schema, at: parametersPath,
      position(of: parameters), unit: unit)
    let before = diagnostics.count
    let value = distribution.build(object)
    guard let value else { return .invalid(at: here) }
    checkDistribution(value, object: object, range: range, unit: unit, at: parametersPath)
    guard diagnostics.count == before else { return .invalid(at: here) }
    return ValidatedValue(position: here, isDefault: false, kind: .uncertain(value))
  }

  /// The checks that tie a distribution to the range of its key: the point
  /// value and every finite bound must lie in the range, and a normal
  /// distribution's central 99.9 % (mean +- 3.29 sd) too, so that draws almost
  /// never leave the range (use beta for fractions, lognormal for ratios).
  private mutating func checkDistribution(
    _ value: UncertainValue, object: ValidatedObject, range: NumberRange, unit: String?,
    at path: KeyPath
  ) {
    let rangeText = range.phrase
    let qualifier = ValueUnits.qualifier(unit)
    func requireInRange(_ number: Double, _ key: String, _ what: String) {
      guard !range.contains(number) else { return }
      let quantity = qualifier.isEmpty ? what : "\(what) \(qualifier)"
      report(
        "expected \(quantity) \(rangeText) (the range of this parameter), found "
          + formatNumber(number) + ValueUnits.hint(for: number, unit: unit, range: range),
        at: path.appending(key: key), object.position(of: key))
    }
    switch value {
    case .fixed:
      break
    case .normal(let mean, let sd):
      requireInRange(mean, "mean", "a mean")
      if range.contains(mean) {
        let halfWidth = 3.2905267314919255 * sd
        if !range.contains(mean - halfWidth) || !range.contains(mean + halfWidth) {
          report(
            "expected a normal distribution whose central 99.9 % (mean +- 3.29 sd = "
              + "\(formatNumber(mean - halfWidth)) ... \(formatNumber(mean + halfWidth))) lies "
              + "\(rangeText), found sd \(formatNumber(sd)); use a smaller sd, beta for "
              + "fractions or lognormal for ratios",
            at: path.appending(key: "sd"), object.position(of: "sd"))
        }
      }
    case .lognormal(let mean, let low, let high):
      if !(low <= mean && mean <= high) {
        report(
          "expected 0 < low <= mean <= high, found ci95 [\(formatNumber(low)), "
            + "\(formatNumber(high))] with mean \(formatNumber(mean))",
          at: path.appending(key: "ci95"), object.position(of: "ci95"))
      }
      requireInRange(mean, "mean", "a mean")
      requireInRange(low, "ci95", "a lower 95 % limit")
      requireInRange(high, "ci95", "an upper 95 % limit")
    case .uniform(let min, let max):
      requireInRange(min, "min", "a minimum")
      requireInRange(max, "max", "a maximum")
    case .beta(let mean, let sd):
      requireInRange(mean, "mean", "a mean")
      if sd * sd >= mean * (1 - mean) {
        report(
          "expected sd^2 < mean (1 - mean) = \(formatNumber(mean * (1 - mean))), found sd "
            + "\(formatNumber(sd)) (sd^2 = \(formatNumber(sd * sd)))",
          at: path.appending(key: "sd"), object.position(of: "sd"))
      }
    }
  }

  // MARK: Describing what was found

  /// The value as the user wrote it (for numbers).
  private func sourceText(_ node: Node) -> String {
    node.scalar?.string ?? found(node)
  }

  /// A short description of a node for "found ..." in messages.
  private func found(_ node: Node) -> String {
    switch node {
    case .scalar(let scalar):
      switch ScalarReading(scalar) {
      case .null: return "nothing (an empty value)"
      case .boolean: return scalar.string
      case .integer: return scalar.string
      case .float(let value):
        return value.isFinite ? scalar.string : "\(scalar.string) (not a finite number)"
      case .string(let text):
        let shown = text.count > 40 ? String(text.prefix(37)) + "..." : text
        return "the text \"\(shown)\""
      case .unsupportedTag(let tag): return "a value with the unsupported tag '\(tag)'"
      }
    case .mapping: return "a mapping"
    case .sequence: return "a sequence"
    case .alias: return "an alias"
    }
  }
}

extension ValidatedValue {
  /// The same value placed at `position` and marked as a default, recursively.
  func relocated(to position: SourcePosition) -> ValidatedValue {
    var kind = self.kind
    switch kind {
    case .object(var object):
      object.position = position
      object.values = object.values.mapValues { $0.relocated(to: position) }
      object.keyPositions = [:]
      kind = .object(object)
    case .sequence(let items):
      kind = .sequence(items.map { $0.relocated(to: position) })
    case .dictionary(let entries):
      kind = .dictionary(
        entries.map {
          DictionaryEntry(
            key: $0.key, keyPosition: position, value: $0.value.relocated(to: position))
        })
    default:
      break
    }
    return ValidatedValue(position: position, isDefault: true, kind: kind)
  }
}
