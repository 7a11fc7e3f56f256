import Foundation

extension DataManagementPlan {
  /// Reads and validates a maDMP file (1.1 or 1.2). Throws
  /// `DMPValidationFailure` listing every problem found, each with its JSON
  /// pointer, or the reading/syntax error.
  public static func load(path: String) throws -> DataManagementPlan {
    let url = URL(fileURLWithPath: path)
    let data: Data
    do {
      data = try Data(contentsOf: url)
    } catch {
      throw DMPValidationFailure(
        file: path,
        errors: [
          DMPValidationError(
            pointer: .root, expected: "a readable maDMP JSON file",
            found: "an unreadable file (\(error.localizedDescription))")
        ])
    }
    let document: JSONValue
    do {
      document = try JSONValue.parse(data)
    } catch {
      throw DMPValidationFailure(
        file: path,
        errors: [
          DMPValidationError(
            pointer: .root, expected: "JSON text", found: "invalid JSON (\(error))")
        ])
    }
    var reader = DMPReader()
    let plan = reader.read(
      document, baseDirectory: url.deletingLastPathComponent().standardizedFileURL)
    guard let plan, reader.errors.isEmpty else {
      throw DMPValidationFailure(file: path, errors: reader.errors)
    }
    return plan
  }

  /// Validates a parsed document; returns the plan or every problem found.
  public static func validate(
    _ document: JSONValue, baseDirectory: URL
  ) -> Result<DataManagementPlan, DMPValidationFailure> {
    var reader = DMPReader()
    if let plan = reader.read(document, baseDirectory: baseDirectory), reader.errors.isEmpty {
      return .success(plan)
    }
    return .failure(DMPValidationFailure(file: "DMP", errors: reader.errors))
  }
}

/// Walks a maDMP document, checking the required keys, types, enumerations
/// and formats of the standard's parts twin-sim uses and of twin-sim's own
/// keys, and collecting every problem instead of stopping at the first.
struct DMPReader {
  var errors: [DMPValidationError] = []
  /// Identifiers of every dataset, also of those with other problems, so that
  /// one bad value does not make the steps naming the dataset wrong as well.
  private var declaredDatasetIdentifiers: Set<String> = []

  /// RFC 3339 date-time, as JSON Schema's `date-time` format requires
  /// (an offset or `Z` is mandatory).
  static func isDateTime(_ text: String) -> Bool {
    text.wholeMatch(of: #/\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})/#)
      != nil
  }

  /// ISO 3166-1 alpha-2 shape (two capitals); the schema's enumeration is stricter.
  static func isCountryCode(_ text: String) -> Bool {
    text.wholeMatch(of: #/[A-Z]{2}/#) != nil
  }

  /// ISO 639-3 shape (three lower-case letters).
  static func isLanguageCode(_ text: String) -> Bool {
    text.wholeMatch(of: #/[a-z]{3}/#) != nil
  }

  mutating func read(_ document: JSONValue, baseDirectory: URL) -> DataManagementPlan? {
    guard let dmp = object(document, "dmp", at: .root) else { return nil }
    let at = JSONPointer(["dmp"])
    let title = string(dmp, "title", at: at)
    for key in ["created", "modified"] {
      if let text = string(dmp, key, at: at), !Self.isDateTime(text) {
        fail(
          at.appending(key), "an RFC 3339 date-time with offset, e.g. 2025-01-15T10:00:00Z",
          JSONValue.string(text).summary)
      }
    }
    if let language = string(dmp, "language", at: at),
      !Self.isLanguageCode(language)
    {
      fail(at.appending("language"), "an ISO 639-3 code such as eng", "\"\(language)\"")
    }
    _ = enumeration(dmp, "ethical_issues_exist", Booleanish.self, at: at)
    let identifier = object(dmp, "dmp_id", at: at).flatMap {
      idObject($0, at: at.appending("dmp_id"))
    }
    if let contact = object(dmp, "contact", at: at) {
      let contactAt = at.appending("contact")
      _ = string(contact, "name", at: contactAt)
      _ = string(contact, "mbox", at: contactAt)
      if let contactID = contact["contact_id"] {
        // 1.2 also allows an array of identifiers.
        if case .array(let items) = contactID {
          for (index, item) in items.enumerated() {
            _ = idObject(item, at: contactAt.appending("contact_id").appending(index))
          }
        } else {
          _ = idObject(contactID, at: contactAt.appending("contact_id"))
        }
      } else {
        missing("contact_id", in: contactAt, expected: "an identifier object")
      }
    }
    var datasets: [DMPDataset] = []
    if let items = array(dmp, "dataset", at: at) {
      for (index, item) in items.enumerated() {
        if let dataset = readDataset(item, at: at.appending("dataset").appending(index)) {
          datasets.append(dataset)
        }
      }
      var seen: Set<String> = []
      for dataset in datasets where !seen.insert(dataset.identifier).inserted {
        fail(
          dataset.pointer.appending("dataset_id").appending("identifier"),
          "an identifier no other dataset has", "\"\(dataset.identifier)\" again")
      }
    }
    let allowed = readAllowedGeoLocations(dmp, at: at)
    let steps = readWorkflow(dmp, at: at)
    guard let title, let identifier else { return nil }
    return DataManagementPlan(
      title: title, identifier: identifier, datasets: datasets, steps: steps,
      allowedGeoLocations: allowed, baseDirectory: baseDirectory, document: document)
  }

  private mutating func readDataset(_ value: JSONValue, at: JSONPointer) -> DMPDataset? {
    guard case .object = value else {
      fail(at, "a dataset object", value.summary)
      return nil
    }
    let title = string(value, "title", at: at)
    let identifier = object(value, "dataset_id", at: at).flatMap {
      idObject($0, at: at.appending("dataset_id"))
    }
    if let identifier { declaredDatasetIdentifiers.insert(identifier) }
    let personal = enumeration(value, "personal_data", Booleanish.self, at: at)
    let sensitive = enumeration(value, "sensitive_data", Booleanish.self, at: at)
    var distributions: [DMPDistribution] = []
    if value["distribution"] != nil, let items = array(value, "distribution", at: at) {
      for (index, item) in items.enumerated() {
        if let distribution = readDistribution(
          item, at: at.appending("distribution").appending(index))
        {
          distributions.append(distribution)
        }
      }
    }
    let io = value[DMPDataset.ioIntensityKey].flatMap {
      readIOIntensity($0, at: at.appending(DMPDataset.ioIntensityKey))
    }
    let retention = value[DMPDataset.retentionKey].flatMap {
      readRetention($0, at: at.appending(DMPDataset.retentionKey))
    }
    guard let title, let identifier, let personal, let sensitive else { return nil }
    return DMPDataset(
      pointer: at, title: title, identifier: identifier, personalData: personal,
      sensitiveData: sensitive, distributions: distributions, ioIntensity: io,
      retention: retention)
  }

  private mutating func readDistribution(_ value: JSONValue, at: JSONPointer) -> DMPDistribution? {
    guard case .object = value else {
      fail(at, "a distribution object", value.summary)
      return nil
    }
    let title = string(value, "title", at: at)
    let access = enumeration(value, "data_access", DataAccess.self, at: at)
    if let size = value["byte_size"], size.integerValue.map({ $0 < 0 }) ?? true {
      fail(at.appending("byte_size"), "a whole number of bytes >= 0", size.summary)
    }
    var pattern: String?
    if value[DMPDistribution.pathKey] != nil {
      pattern = string(value, DMPDistribution.pathKey, at: at)
      if pattern?.isEmpty == true {
        fail(at.appending(DMPDistribution.pathKey), "a non-empty path pattern", "\"\"")
      }
    }
    var geoLocation: String?
    if let host = value["host"] {
      let hostAt = at.appending("host")
      if case .object = host {
        _ = string(host, "title", at: hostAt)
        _ = string(host, "url", at: hostAt)
        if host["geo_location"] != nil, let code = string(host, "geo_location", at: hostAt) {
          if !Self.isCountryCode(code) {
            fail(
              hostAt.appending("geo_location"), "an ISO 3166-1 alpha-2 country code such as DE",
              "\"\(code)\"")
          }
          geoLocation = code
        }
      } else {
        fail(hostAt, "a host object", host.summary)
      }
    }
    guard let title, let access else { return nil }
    return DMPDistribution(
      pointer: at, title: title, dataAccess: access, pathPattern: pattern,
      hostGeoLocation: geoLocation)
  }

  private mutating func readIOIntensity(_ value: JSONValue, at: JSONPointer) -> IOIntensity? {
    guard case .object = value else {
      fail(at, "an object with level, read_bytes_per_run, write_bytes_per_run", value.summary)
      return nil
    }
    let level = enumeration(value, "level", IOIntensity.Level.self, at: at)
    let reads = optionalCount(value, "read_bytes_per_run", at: at)
    let writes = optionalCount(value, "write_bytes_per_run", at: at)
    return level.map { IOIntensity(level: $0, readBytesPerRun: reads, writeBytesPerRun: writes) }
  }

  private mutating func readRetention(_ value: JSONValue, at: JSONPointer) -> RetentionRule? {
    guard case .object = value else {
      fail(at, "an object with keep_days and after_expiry", value.summary)
      return nil
    }
    var days: Int?
    if let raw = value["keep_days"] {
      if let whole = raw.integerValue, (1...36_500).contains(whole) {
        days = Int(whole)
      } else {
        fail(at.appending("keep_days"), "a whole number of days between 1 and 36500", raw.summary)
      }
    } else {
      missing("keep_days", in: at, expected: "a whole number of days between 1 and 36500")
    }
    let action = enumeration(value, "after_expiry", RetentionRule.Action.self, at: at)
    var archive: String?
    if value["archive_location"] != nil {
      archive = string(value, "archive_location", at: at)
    } else if action == .archive {
      missing("archive_location", in: at, expected: "the folder archived files move to")
    }
    guard let days, let action else { return nil }
    return RetentionRule(keepDays: days, afterExpiry: action, archiveLocation: archive)
  }

  private mutating func readAllowedGeoLocations(_ dmp: JSONValue, at: JSONPointer) -> [String] {
    let key = DataManagementPlan.allowedGeoLocationsKey
    guard let raw = dmp[key] else { return [] }
    guard case .array(let items) = raw, !items.isEmpty else {
      fail(at.appending(key), "a non-empty array of ISO 3166-1 alpha-2 codes", raw.summary)
      return []
    }
    var codes: [String] = []
    for (index, item) in items.enumerated() {
      if let code = item.stringValue, Self.isCountryCode(code) {
        codes.append(code)
      } else {
        fail(
          at.appending(key).appending(index), "an ISO 3166-1 alpha-2 code such as DE",
          item.summary)
      }
    }
    return codes
  }

  private mutating func readWorkflow(_ dmp: JSONValue, at: JSONPointer) -> [WorkflowStep] {
    let key = DataManagementPlan.workflowKey
    guard let workflow = dmp[key] else { return [] }
    let workflowAt = at.appending(key)
    guard case .object = workflow else {
      fail(workflowAt, "an object with steps", workflow.summary)
      return []
    }
    if dmp[DataManagementPlan.allowedGeoLocationsKey] == nil {
      missing(
        DataManagementPlan.allowedGeoLocationsKey, in: at,
        expected: "the allow-list of locations (required with \(key))")
    }
    guard let items = array(workflow, "steps", at: workflowAt) else { return [] }
    let known = declaredDatasetIdentifiers
    var steps: [WorkflowStep] = []
    var names: Set<String> = []
    for (index, item) in items.enumerated() {
      let stepAt = workflowAt.appending("steps").appending(index)
      guard case .object = item else {
        fail(stepAt, "a step object", item.summary)
        continue
      }
      guard let name = string(item, "name", at: stepAt) else { continue }
      if name.isEmpty || !names.insert(name).inserted {
        fail(stepAt.appending("name"), "a unique, non-empty step name", "\"\(name)\"")
      }
      var description: String?
      if item["description"] != nil { description = string(item, "description", at: stepAt) }
      var lists: [String: [String]] = [:]
      for listKey in ["reads", "writes"] {
        guard item[listKey] != nil, let entries = array(item, listKey, at: stepAt) else {
          lists[listKey] = []
          continue
        }
        var identifiers: [String] = []
        for (entryIndex, entry) in entries.enumerated() {
          let entryAt = stepAt.appending(listKey).appending(entryIndex)
          if let identifier = entry.stringValue, known.contains(identifier) {
            identifiers.append(identifier)
          } else {
            fail(
              entryAt, "the dataset_id.identifier of a dataset of this DMP",
              entry.summary)
          }
        }
        lists[listKey] = identifiers
      }
      steps.append(
        WorkflowStep(
          pointer: stepAt, name: name, description: description, reads: lists["reads"] ?? [],
          writes: lists["writes"] ?? []))
    }
    return steps
  }

  // MARK: typed access with messages

  private mutating func fail(_ pointer: JSONPointer, _ expected: String, _ found: String) {
    errors.append(DMPValidationError(pointer: pointer, expected: expected, found: found))
  }

  private mutating func missing(_ key: String, in at: JSONPointer, expected: String) {
    fail(at.appending(key), expected, "nothing (the key is missing)")
  }

  private mutating func object(_ parent: JSONValue, _ key: String, at: JSONPointer) -> JSONValue? {
    guard let value = parent[key] else {
      missing(key, in: at, expected: "an object")
      return nil
    }
    guard case .object = value else {
      fail(at.appending(key), "an object", value.summary)
      return nil
    }
    return value
  }

  private mutating func array(_ parent: JSONValue, _ key: String, at: JSONPointer) -> [JSONValue]? {
    guard let value = parent[key] else {
      missing(key, in: at, expected: "an array")
      return nil
    }
    guard case .array(let items) = value else {
      fail(at.appending(key), "an array", value.summary)
      return nil
    }
    return items
  }

  private mutating func string(_ parent: JSONValue, _ key: String, at: JSONPointer) -> String? {
    guard let value = parent[key] else {
      missing(key, in: at, expected: "a string")
      return nil
    }
    guard let text = value.stringValue else {
      fail(at.appending(key), "a string", value.summary)
      return nil
    }
    return text
  }

  private mutating func enumeration<Value: RawRepresentable & CaseIterable>(
    _ parent: JSONValue, _ key: String, _ type: Value.Type, at: JSONPointer
  ) -> Value? where Value.RawValue == String {
    let allowed = "one of " + Value.allCases.map(\.rawValue).joined(separator: ", ")
    guard let value = parent[key] else {
      missing(key, in: at, expected: allowed)
      return nil
    }
    guard let text = value.stringValue, let result = Value(rawValue: text) else {
      fail(at.appending(key), allowed, value.summary)
      return nil
    }
    return result
  }

  private mutating func optionalCount(
    _ parent: JSONValue, _ key: String, at: JSONPointer
  ) -> Int64? {
    guard let value = parent[key] else { return nil }
    guard let whole = value.integerValue, whole >= 0 else {
      fail(at.appending(key), "a whole number >= 0", value.summary)
      return nil
    }
    return whole
  }

  /// `{identifier, type}` objects (dmp_id, dataset_id, contact_id): returns the identifier.
  private mutating func idObject(_ value: JSONValue, at: JSONPointer) -> String? {
    guard case .object = value else {
      fail(at, "an object with identifier and type", value.summary)
      return nil
    }
    let identifier = string(value, "identifier", at: at)
    _ = string(value, "type", at: at)
    return identifier
  }
}
