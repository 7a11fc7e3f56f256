import Foundation

/// A small declarative description of a YAML document's shape. One description
/// serves three purposes: validation (`SchemaValidator`), the defaults of the
/// typed decoding (defaults are applied by the validator, so decoding never
/// repeats them) and the documentation (`SchemaReference` renders the key
/// reference in docs/scenario.md).

/// A set of real numbers bounded below and/or above, each end inclusive or not.
public struct NumberRange: Sendable, Hashable {
  public var lower: Double?
  public var lowerInclusive: Bool
  public var upper: Double?
  public var upperInclusive: Bool

  public init(
    lower: Double?, lowerInclusive: Bool = true, upper: Double?, upperInclusive: Bool = true
  ) {
    self.lower = lower
    self.lowerInclusive = lowerInclusive
    self.upper = upper
    self.upperInclusive = upperInclusive
  }

  /// Every finite number.
  public static let any = NumberRange(lower: nil, upper: nil)

  /// [lower, upper].
  public static func closed(_ lower: Double, _ upper: Double) -> NumberRange {
    NumberRange(lower: lower, upper: upper)
  }

  /// [lower, upper).
  public static func closedOpen(_ lower: Double, _ upper: Double) -> NumberRange {
    NumberRange(lower: lower, upper: upper, upperInclusive: false)
  }

  /// (lower, upper].
  public static func openClosed(_ lower: Double, _ upper: Double) -> NumberRange {
    NumberRange(lower: lower, lowerInclusive: false, upper: upper)
  }

  /// [lower, infinity).
  public static func atLeast(_ lower: Double) -> NumberRange {
    NumberRange(lower: lower, upper: nil)
  }

  /// (lower, infinity).
  public static func greaterThan(_ lower: Double) -> NumberRange {
    NumberRange(lower: lower, lowerInclusive: false, upper: nil)
  }

  public func contains(_ value: Double) -> Bool {
    guard value.isFinite else { return false }
    if let lower {
      if lowerInclusive ? value < lower : value <= lower { return false }
    }
    if let upper {
      if upperInclusive ? value > upper : value >= upper { return false }
    }
    return true
  }

  /// The range in words for messages: "between 0 and 1", "greater than 0",
  /// "at least 0 and less than 1"; empty for an unbounded range.
  public var phrase: String {
    switch (lower, upper) {
    case (nil, nil):
      return ""
    case (let lower?, nil):
      return lowerInclusive
        ? "of at least \(formatNumber(lower))" : "greater than \(formatNumber(lower))"
    case (nil, let upper?):
      return upperInclusive
        ? "of at most \(formatNumber(upper))" : "less than \(formatNumber(upper))"
    case (let lower?, let upper?):
      if lowerInclusive && upperInclusive {
        return "between \(formatNumber(lower)) and \(formatNumber(upper))"
      }
      let low =
        lowerInclusive ? "at least \(formatNumber(lower))" : "greater than \(formatNumber(lower))"
      let high =
        upperInclusive ? "at most \(formatNumber(upper))" : "less than \(formatNumber(upper))"
      return "\(low) and \(high)"
    }
  }

  /// The range in the documentation's notation: `0 ... 1`, `> 0`, `0 ... <1`.
  public var notation: String {
    switch (lower, upper) {
    case (nil, nil):
      return "any"
    case (let lower?, nil):
      return (lowerInclusive ? ">= " : "> ") + formatNumber(lower)
    case (nil, let upper?):
      return (upperInclusive ? "<= " : "< ") + formatNumber(upper)
    case (let lower?, let upper?):
      let low = (lowerInclusive ? "" : ">") + formatNumber(lower)
      let high = (upperInclusive ? "" : "<") + formatNumber(upper)
      return "\(low) ... \(high)"
    }
  }
}

/// Formats a number for messages and documentation: integral values without a
/// decimal point, others with up to 6 significant digits (`0.097`, `-0.0790527`).
func formatNumber(_ value: Double) -> String {
  if value.isFinite, value == value.rounded(), abs(value) < 1e15 {
    return String(Int64(value))
  }
  return String(format: "%.6g", value)
}

/// The characters and length allowed in a free-form string value.
public struct StringRule: Sendable {
  /// Characters allowed as the first character (nil: any allowed character).
  public var firstCharacters: Set<Character>?
  /// Characters allowed anywhere (nil: any character).
  public var characters: Set<Character>?
  /// Allowed length in characters.
  public var length: ClosedRange<Int>
  /// The rule as users read it, e.g. `[A-Za-z0-9_-]{1,64}`.
  public var notation: String

  public init(
    firstCharacters: Set<Character>? = nil, characters: Set<Character>? = nil,
    length: ClosedRange<Int>, notation: String
  ) {
    self.firstCharacters = firstCharacters
    self.characters = characters
    self.length = length
    self.notation = notation
  }

  /// Any text up to `maximum` characters (at least `minimum`).
  public static func text(minimum: Int = 0, maximum: Int) -> StringRule {
    StringRule(
      length: minimum...maximum,
      notation: minimum > 0 ? "non-empty, <= \(maximum) characters" : "<= \(maximum) characters")
  }

  /// The problem with `value`, or nil when the value follows the rule.
  func problem(with value: String) -> String? {
    if !length.contains(value.count) {
      if value.isEmpty { return "expected a non-empty string, found an empty string" }
      return "expected \(length.lowerBound) to \(length.upperBound) characters, "
        + "found \(value.count)"
    }
    if let characters, let bad = value.first(where: { !characters.contains($0) }) {
      return "expected a name matching \(notation), found '\(value)' (the character "
        + "'\(bad)' is not allowed)"
    }
    if let firstCharacters, let first = value.first, !firstCharacters.contains(first) {
      return "expected a name matching \(notation), found '\(value)' (it may not start "
        + "with '\(first)')"
    }
    return nil
  }
}

/// One allowed value of a choice, with its meaning for the documentation.
public struct SchemaChoice: Sendable {
  public var value: String
  public var doc: String

  public init(_ value: String, _ doc: String = "") {
    self.value = value
    self.doc = doc
  }
}

/// How many items a sequence may hold and what one item is called in messages.
public struct SequenceRule: Sendable {
  public var element: SchemaType
  public var count: ClosedRange<Int>
  /// The singular noun for one item ("arm", "condition").
  public var itemNoun: String

  public init(of element: SchemaType, count: ClosedRange<Int>, itemNoun: String) {
    self.element = element
    self.count = count
    self.itemNoun = itemNoun
  }
}

/// A mapping whose keys are names chosen by the user (e.g. risk factor or
/// condition names), all with values of one type.
public struct DictionaryRule: Sendable {
  /// What a key names, for the documentation (`<name>` in key paths).
  public var keyDoc: String
  public var value: SchemaType

  public init(keyDoc: String, value: SchemaType) {
    self.keyDoc = keyDoc
    self.value = value
  }
}

/// A value type in a schema.
public indirect enum SchemaType: Sendable {
  /// A string following a character/length rule.
  case string(StringRule)
  /// One string out of a fixed set.
  case choice([SchemaChoice])
  /// A whole number in a range (no decimal point, no exponent).
  case integer(ClosedRange<Int>)
  /// A finite number in a range.
  case number(NumberRange)
  /// A "U-number": a number in a range, or a distribution mapping whose point
  /// value and bounds lie in the range (see `UncertainValue`).
  case uncertain(NumberRange)
  /// `true` or `false`.
  case boolean
  /// A two-item sequence `[min, max]` of numbers in a range, min < max.
  case numberPair(NumberRange)
  /// A mapping with known keys.
  case object(ObjectSchema)
  /// A sequence of items of one type.
  case sequence(SequenceRule)
  /// A mapping from user-chosen names to values of one type.
  case dictionary(DictionaryRule)
  /// A mapping whose `type` key selects which other keys are allowed.
  case taggedUnion(TaggedUnionSchema)
}

/// When a key may be left out, and what it then means.
public enum Presence: Sendable {
  /// The key must be given.
  case required
  /// The key may be left out; it then has no value (an absent optional).
  case optional
  /// Left out, the key takes this value, written in YAML (e.g. `"{mean: 128, sd: 16}"`).
  case defaulted(String)
  /// Like `defaulted`, except when the alternative key `otherKey` is given
  /// (then the key stays absent): `age` versus `birth_cohort`.
  case defaultedUnlessGiven(String, otherKey: String)
  /// Left out, the key's default (YAML) depends on the value of a sibling key.
  case dependentDefault(on: String, [String: String])
  /// A mapping that, left out, counts as `{}`: each of its keys takes its default.
  case defaultsOfItsKeys
  /// Left out, the value is derived from other keys by the decoder; the text
  /// says how (for the documentation).
  case derived(String)
}

/// One key of a mapping.
public struct Field: Sendable {
  public var key: String
  public var type: SchemaType
  public var presence: Presence
  /// The unit of the value, if it has one ("mmHg", "years", "mmol/L").
  public var unit: String?
  /// What the key means (one or two sentences, Markdown).
  public var doc: String

  public init(
    _ key: String, _ type: SchemaType, _ presence: Presence, unit: String? = nil,
    doc: String
  ) {
    self.key = key
    self.type = type
    self.presence = presence
    self.unit = unit
    self.doc = doc
  }
}

/// A rule that involves more than one key, checked after the keys themselves.
public struct CrossRule: Sendable {
  /// The rule in words, for the documentation.
  public var doc: String
  let check: @Sendable (inout RuleContext) -> Void

  init(doc: String, check: @escaping @Sendable (inout RuleContext) -> Void) {
    self.doc = doc
    self.check = check
  }
}

/// A mapping with known keys.
public struct ObjectSchema: Sendable {
  public var fields: [Field]
  public var rules: [CrossRule]
  /// A sentence or two about the mapping, for the documentation.
  public var doc: String

  public init(fields: [Field], rules: [CrossRule] = [], doc: String = "") {
    self.fields = fields
    self.rules = rules
    self.doc = doc
  }

  public func field(_ key: String) -> Field? {
    fields.first { $0.key == key }
  }
}

/// A mapping whose `tagKey` (e.g. `type`) selects one of several variants; the
/// common fields are allowed in every variant.
public struct TaggedUnionSchema: Sendable {
  /// One variant: the value of the tag key and the keys it adds.
  public struct Variant: Sendable {
    public var tag: String
    public var doc: String
    public var fields: [Field]
    public var rules: [CrossRule]

    public init(tag: String, doc: String, fields: [Field], rules: [CrossRule] = []) {
      self.tag = tag
      self.doc = doc
      self.fields = fields
      self.rules = rules
    }
  }

  public var tagKey: String
  public var commonFields: [Field]
  public var commonRules: [CrossRule]
  public var variants: [Variant]
  public var doc: String

  public init(
    tagKey: String, commonFields: [Field], commonRules: [CrossRule] = [],
    variants: [Variant], doc: String
  ) {
    self.tagKey = tagKey
    self.commonFields = commonFields
    self.commonRules = commonRules
    self.variants = variants
    self.doc = doc
  }

  public func variant(_ tag: String) -> Variant? {
    variants.first { $0.tag == tag }
  }

  /// The mapping schema of one variant: the tag key, the common keys and the
  /// variant's own keys, with both sets of rules.
  func objectSchema(for variant: Variant) -> ObjectSchema {
    let tagField = Field(
      tagKey, .choice(variants.map { SchemaChoice($0.tag, $0.doc) }), .required,
      doc: "which kind of \(doc)")
    return ObjectSchema(
      fields: [tagField] + commonFields + variant.fields,
      rules: commonRules + variant.rules, doc: variant.doc)
  }
}

extension SchemaType {
  /// The type in words for messages ("an integer between 1 and 120").
  var expectation: String { expectation(unit: nil) }

  /// The type in words for messages, naming the unit of a value that has one
  /// ("mmol/L between 2 and 15", "an integer number of years between 1 and 120";
  /// `ValueUnits`).
  func expectation(unit: String?) -> String {
    switch self {
    case .string: return "a string"
    case .choice(let choices):
      return "one of " + choices.map(\.value).joined(separator: ", ")
    case .integer(let range):
      return ValueUnits.integerExpectation(range, unit: unit)
    case .number(let range):
      return ValueUnits.expectation(range, unit: unit)
    case .uncertain(let range):
      return ValueUnits.expectation(range, unit: unit)
        + " or a distribution mapping (normal, lognormal, uniform, beta)"
    case .boolean: return "true or false"
    case .numberPair(let range):
      let inRange = range.phrase.isEmpty ? "" : " \(range.phrase)"
      let items = ValueUnits.pluralNoun(unit)
      return "a pair [min, max] of \(items)\(inRange)"
    case .object: return "a mapping"
    case .sequence: return "a sequence"
    case .dictionary: return "a mapping"
    case .taggedUnion(let union): return "a mapping with '\(union.tagKey)'"
    }
  }
}
