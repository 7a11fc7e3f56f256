/// The key reference of docs/scenario.md, generated from `ScenarioSchema` so
/// that the documentation cannot drift from what validation accepts.
///
/// Key paths are written as in diagnostics, with `[i]`, `[j]` standing for any
/// sequence index and `<name>` for a user-chosen key.
public enum SchemaReference {
  /// The line before the generated part of docs/scenario.md.
  public static let beginMarker =
    "<!-- BEGIN GENERATED KEY REFERENCE (twin-sim validate --print-reference) -->"
  /// The line after the generated part of docs/scenario.md.
  public static let endMarker = "<!-- END GENERATED KEY REFERENCE -->"

  /// Every key path of the scenario schema (U-number distribution keys are
  /// listed as `<U-number>.normal.mean` and so on).
  public static func keyPaths() -> [String] {
    var paths: [String] = []
    collectPaths(ScenarioSchema.root.fields, prefix: "", depth: 0, into: &paths)
    for distribution in UncertainSchema.distributions {
      for field in distribution.schema.fields {
        paths.append("<U-number>.\(distribution.name).\(field.key)")
      }
    }
    return paths
  }

  private static let indexNames = ["i", "j", "k", "l"]

  private static func collectPaths(
    _ fields: [Field], prefix: String, depth: Int, into paths: inout [String]
  ) {
    for field in fields {
      let path = prefix + field.key
      if !paths.contains(path) { paths.append(path) }
      collectChildPaths(field.type, path: path, depth: depth, into: &paths)
    }
  }

  private static func collectChildPaths(
    _ type: SchemaType, path: String, depth: Int, into paths: inout [String]
  ) {
    switch type {
    case .object(let schema):
      collectPaths(schema.fields, prefix: path + ".", depth: depth, into: &paths)
    case .sequence(let rule):
      let indexed = "\(path)[\(indexNames[min(depth, indexNames.count - 1)])]"
      collectChildPaths(rule.element, path: indexed, depth: depth + 1, into: &paths)
    case .dictionary:
      paths.append(path + ".<name>")
    case .taggedUnion(let union):
      for variant in union.variants {
        let schema = union.objectSchema(for: variant)
        collectPaths(schema.fields, prefix: path + ".", depth: depth, into: &paths)
      }
    default:
      break
    }
  }

  // MARK: Markdown

  /// The generated Markdown: one table per mapping, then the U-number keys.
  public static func markdown() -> String {
    var sections: [String] = []
    appendSection(
      title: "Top level", path: "", schema: ScenarioSchema.root, depth: 0, into: &sections)
    sections.append(uncertainSection())
    return beginMarker + "\n\n" + sections.joined(separator: "\n") + "\n" + endMarker + "\n"
  }

  private struct Row {
    var path: String
    var field: Field
    var siblings: [Field]
  }

  /// A section for a mapping: its rows (small nested mappings inline) and
  /// rules, followed by sections for the larger mappings inside it.
  private static func appendSection(
    title: String, path: String, schema: ObjectSchema, depth: Int, into sections: inout [String],
    extraRules: [CrossRule] = []
  ) {
    var rows: [Row] = []
    var rules = (schema.rules + extraRules).map(\.doc)
    var children: [(title: String, path: String, schema: ObjectSchema, depth: Int)] = []
    var unions: [(path: String, union: TaggedUnionSchema, depth: Int)] = []

    func addRows(_ fields: [Field], prefix: String, depth: Int) {
      for field in fields {
        let fieldPath = prefix + field.key
        rows.append(Row(path: fieldPath, field: field, siblings: fields))
        switch field.type {
        case .object(let inner) where inner.doc.isEmpty:
          addRows(inner.fields, prefix: fieldPath + ".", depth: depth)
          rules += inner.rules.map { "`\(fieldPath)`: \($0.doc)" }
        case .object(let inner):
          children.append((fieldPath, fieldPath, inner, depth))
        case .sequence(let rule):
          let indexed = "\(fieldPath)[\(indexNames[min(depth, indexNames.count - 1)])]"
          switch rule.element {
          case .object(let inner):
            children.append((indexed, indexed, inner, depth + 1))
          case .taggedUnion(let union):
            unions.append((indexed, union, depth + 1))
          default:
            break
          }
        case .dictionary(let rule):
          rows.append(
            Row(
              path: fieldPath + ".<name>",
              field: Field("<name>", rule.value, .optional, unit: field.unit, doc: rule.keyDoc),
              siblings: []))
        default:
          break
        }
      }
    }
    addRows(schema.fields, prefix: path.isEmpty ? "" : path + ".", depth: depth)

    var text = "### \(title)\n\n"
    if !schema.doc.isEmpty { text += schema.doc + "\n\n" }
    text += table(rows)
    if !rules.isEmpty {
      text += "\nRules:\n"
      for rule in rules { text += "- \(rule)\n" }
    }
    sections.append(text)
    for child in children {
      appendSection(
        title: "`\(child.title)`", path: child.path, schema: child.schema, depth: child.depth,
        into: &sections)
    }
    for entry in unions {
      let common = ObjectSchema(
        fields: [
          Field(
            entry.union.tagKey,
            .choice(entry.union.variants.map { SchemaChoice($0.tag, $0.doc) }), .required,
            doc: "Which kind of \(entry.union.doc); selects the keys below.")
        ] + entry.union.commonFields, rules: entry.union.commonRules,
        doc: "Keys every \(entry.union.doc) accepts.")
      appendSection(
        title: "`\(entry.path)` (every type)", path: entry.path, schema: common,
        depth: entry.depth, into: &sections)
      for variant in entry.union.variants {
        let own = ObjectSchema(
          fields: variant.fields, rules: variant.rules,
          doc: "The keys of `type: \(variant.tag)` (\(variant.doc)), besides the common ones.")
        appendSection(
          title: "`\(entry.path)` with `type: \(variant.tag)`", path: entry.path, schema: own,
          depth: entry.depth, into: &sections)
      }
    }
  }

  private static func uncertainSection() -> String {
    var rows: [Row] = []
    for distribution in UncertainSchema.distributions {
      for field in distribution.schema.fields {
        rows.append(
          Row(
            path: "<U-number>.\(distribution.name).\(field.key)", field: field,
            siblings: distribution.schema.fields))
      }
    }
    var text = "### U-number distributions\n\n"
    text += "A U-number is a plain number or a mapping with exactly one of these keys:\n\n"
    for distribution in UncertainSchema.distributions {
      text += "- `\(distribution.name)`: \(distribution.doc)\n"
    }
    text += "\n" + table(rows)
    text += "\nRules:\n"
    text += "- the point value and every finite bound (uniform min and max, lognormal ci95) "
    text += "lie in the key's range\n"
    text += "- a normal distribution's central 99.9 % (mean +- 3.29 sd) lies in the key's range\n"
    for distribution in UncertainSchema.distributions {
      for rule in distribution.schema.rules { text += "- \(distribution.name): \(rule.doc)\n" }
    }
    return text
  }

  private static func table(_ rows: [Row]) -> String {
    var text = "| key | type | unit | default | range / values | meaning |\n"
    text += "|---|---|---|---|---|---|\n"
    for row in rows {
      let cells = [
        "`\(row.path)`",
        typeName(row.field.type),
        row.field.unit ?? "",
        defaultText(row.field, siblings: row.siblings),
        rangeText(row.field.type),
        meaning(row.field),
      ]
      text += "| " + cells.map(escape).joined(separator: " | ") + " |\n"
    }
    return text
  }

  private static func escape(_ cell: String) -> String {
    cell.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
  }

  private static func typeName(_ type: SchemaType) -> String {
    switch type {
    case .string, .choice: return "string"
    case .integer: return "integer"
    case .number: return "number"
    case .uncertain: return "U-number"
    case .boolean: return "true/false"
    case .numberPair: return "[min, max]"
    case .object: return "mapping"
    case .sequence(let rule):
      switch rule.element {
      case .object, .taggedUnion: return "sequence of mappings"
      default: return "sequence of \(typeName(rule.element))s"
      }
    case .dictionary(let rule): return "mapping name -> \(typeName(rule.value))"
    case .taggedUnion(let union): return "mapping with `\(union.tagKey)`"
    }
  }

  private static func defaultText(_ field: Field, siblings: [Field]) -> String {
    switch field.presence {
    case .required: return "required"
    case .optional: return "-"
    case .defaulted(let yaml): return "`\(yaml)`"
    case .defaultedUnlessGiven(let yaml, let other):
      return "`\(yaml)` unless `\(other)` is given"
    case .dependentDefault(let key, let table):
      var order = table.keys.sorted()
      if case .choice(let choices)? = siblings.first(where: { $0.key == key })?.type {
        order = choices.map(\.value).filter { table[$0] != nil }
      }
      return "by `\(key)`: " + order.map { "\($0) `\(table[$0]!)`" }.joined(separator: "; ")
    case .defaultsOfItsKeys: return "see its keys"
    case .derived(let text): return text
    }
  }

  private static func rangeText(_ type: SchemaType) -> String {
    switch type {
    case .string(let rule): return rule.notation
    case .choice(let choices): return choices.map { "`\($0.value)`" }.joined(separator: ", ")
    case .integer(let range):
      let upper = range.upperBound == Int.max ? "2^63-1" : "\(range.upperBound)"
      return "\(range.lowerBound) ... \(upper)"
    case .number(let range), .uncertain(let range): return range.notation
    case .numberPair(let range): return "each \(range.notation), min < max"
    case .boolean: return "`true`, `false`"
    case .sequence(let rule):
      var text =
        rule.count.lowerBound == 0
        ? "<= \(rule.count.upperBound) items"
        : "\(rule.count.lowerBound) ... \(rule.count.upperBound) items"
      switch rule.element {
      case .number(let range), .uncertain(let range):
        text += ", each \(range.notation)"
      case .string(let stringRule):
        text += ", each \(stringRule.notation)"
      default:
        break
      }
      return text
    case .dictionary(let rule): return "values " + rangeText(rule.value)
    case .object, .taggedUnion: return ""
    }
  }

  private static func meaning(_ field: Field) -> String {
    var text = field.doc
    if case .choice(let choices) = field.type, choices.contains(where: { !$0.doc.isEmpty }) {
      let explained = choices.filter { !$0.doc.isEmpty }.map { "`\($0.value)`: \($0.doc)" }
      if let last = text.last, last != "." { text += "." }
      text += (text.isEmpty ? "" : " ") + explained.joined(separator: "; ") + "."
    }
    return text
  }
}
