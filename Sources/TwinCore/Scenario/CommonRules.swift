/// Cross-key rules that recur in schemas: alternatives and unique names.
extension CrossRule {
  /// Exactly one of two keys must be given.
  static func exactlyOne(of first: String, or second: String) -> CrossRule {
    CrossRule(doc: "exactly one of `\(first)` or `\(second)`") { context in
      let object = context.object
      switch (object.isGiven(first), object.isGiven(second)) {
      case (false, false):
        context.reportOnObject(
          "expected exactly one of '\(first)' or '\(second)', found neither")
      case (true, true):
        let later = laterKey(first, second, in: object)
        context.report(
          "expected exactly one of '\(first)' or '\(second)', found both", at: context.path,
          object.keyPositions[later] ?? object.position)
      default:
        break
      }
    }
  }

  /// At most one of two alternative keys may be given.
  static func atMostOne(of first: String, or second: String) -> CrossRule {
    CrossRule(doc: "`\(first)` and `\(second)` are alternatives: give at most one") { context in
      let object = context.object
      guard object.isGiven(first), object.isGiven(second) else { return }
      let later = laterKey(first, second, in: object)
      context.report(
        "expected either '\(first)' or '\(second)', found both",
        at: context.path.appending(key: later),
        object.keyPositions[later] ?? object.position)
    }
  }

  /// The items of the sequence under `sequenceKey` have unique values of `nameKey`.
  static func uniqueNames(in sequenceKey: String, nameKey: String, noun: String) -> CrossRule {
    CrossRule(doc: "\(noun) names (`\(sequenceKey)[i].\(nameKey)`) are unique") { context in
      guard let items = context.object[sequenceKey]?.sequence else { return }
      var firstIndex: [String: (index: Int, line: Int)] = [:]
      for (index, item) in items.enumerated() {
        guard let object = item.object, let name = object[nameKey]?.string else { continue }
        if let first = firstIndex[name] {
          context.report(
            "duplicate \(noun) name '\(name)'; \(sequenceKey)[\(first.index)] at line "
              + "\(first.line) has the same name",
            at: context.path.appending(key: sequenceKey).appending(index: index)
              .appending(key: nameKey),
            object.position(of: nameKey))
        } else {
          firstIndex[name] = (index, object.position(of: nameKey).line)
        }
      }
    }
  }

  /// Of two given keys, the one written later in the file.
  private static func laterKey(_ first: String, _ second: String, in object: ValidatedObject)
    -> String
  {
    let firstPosition = object.keyPositions[first] ?? .start
    let secondPosition = object.keyPositions[second] ?? .start
    return secondPosition < firstPosition ? first : second
  }
}
