import Foundation

/// A JSON document as a tree, for reading a maDMP with JSON pointers in its
/// messages and for writing RO-Crate metadata. Numbers are `Double`: every
/// integer a DMP or crate holds (byte sizes up to 2^53) is exact in it.
public enum JSONValue: Sendable, Hashable {
  case null
  case bool(Bool)
  case number(Double)
  case string(String)
  case array([JSONValue])
  case object([String: JSONValue])

  /// The member `key` of an object; nil for a missing key or a non-object.
  public subscript(key: String) -> JSONValue? {
    if case .object(let members) = self { return members[key] }
    return nil
  }

  public var stringValue: String? {
    if case .string(let text) = self { return text }
    return nil
  }

  public var arrayValue: [JSONValue]? {
    if case .array(let items) = self { return items }
    return nil
  }

  public var objectValue: [String: JSONValue]? {
    if case .object(let members) = self { return members }
    return nil
  }

  /// The number when it is a whole number (no fraction), else nil.
  public var integerValue: Int64? {
    if case .number(let value) = self, value.rounded() == value, abs(value) < 9.0e15 {
      return Int64(value)
    }
    return nil
  }

  /// A short description of the value for "found ..." in messages.
  public var summary: String {
    switch self {
    case .null: return "null"
    case .bool(let flag): return flag ? "true" : "false"
    case .number(let value):
      return integerValue.map { String($0) } ?? String(value)
    case .string(let text):
      return text.count > 60 ? "\"\(text.prefix(57))...\"" : "\"\(text)\""
    case .array(let items): return "an array of \(items.count)"
    case .object: return "an object"
    }
  }

  /// Parses JSON text; throws `DecodingError` with the position on bad syntax.
  public static func parse(_ data: Data) throws -> JSONValue {
    try JSONDecoder().decode(JSONValue.self, from: data)
  }

  /// Serialises with sorted keys, two-space indentation and unescaped slashes.
  public func serialized() throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    var data = try encoder.encode(self)
    data.append(0x0A)
    return data
  }
}

extension JSONValue: Codable {
  public init(from decoder: Decoder) throws {
    let container = try decoder.singleValueContainer()
    if container.decodeNil() {
      self = .null
    } else if let flag = try? container.decode(Bool.self) {
      self = .bool(flag)
    } else if let number = try? container.decode(Double.self) {
      self = .number(number)
    } else if let text = try? container.decode(String.self) {
      self = .string(text)
    } else if let items = try? container.decode([JSONValue].self) {
      self = .array(items)
    } else {
      self = .object(try container.decode([String: JSONValue].self))
    }
  }

  public func encode(to encoder: Encoder) throws {
    var container = encoder.singleValueContainer()
    switch self {
    case .null: try container.encodeNil()
    case .bool(let flag): try container.encode(flag)
    case .number(let value):
      if let whole = integerValue {
        try container.encode(whole)
      } else {
        try container.encode(value)
      }
    case .string(let text): try container.encode(text)
    case .array(let items): try container.encode(items)
    case .object(let members): try container.encode(members)
    }
  }
}

/// A JSON pointer (RFC 6901), e.g. `/dmp/dataset/0/personal_data`.
public struct JSONPointer: Sendable, Hashable, CustomStringConvertible {
  /// The tokens from the root, unescaped.
  public var tokens: [String]

  public init(_ tokens: [String] = []) { self.tokens = tokens }

  public static let root = JSONPointer()

  public func appending(_ key: String) -> JSONPointer { JSONPointer(tokens + [key]) }
  public func appending(_ index: Int) -> JSONPointer { JSONPointer(tokens + [String(index)]) }

  /// The pointer text; `~` and `/` in tokens escaped as `~0` and `~1`.
  public var description: String {
    if tokens.isEmpty { return "" }
    return tokens.map {
      "/" + $0.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
    }.joined()
  }
}
