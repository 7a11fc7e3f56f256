import Foundation

/// The `@graph` of an RO-Crate 1.1 being built: entities by `@id`, the
/// metadata descriptor and root data entity added last.
struct CrateGraph {
  private(set) var entities: [String: JSONValue] = [:]
  private var order: [String] = []

  mutating func add(_ entity: JSONValue) {
    guard let id = entity["@id"]?.stringValue else { return }
    if entities[id] == nil { order.append(id) }
    entities[id] = entity
  }

  /// Adds a File with its SHA-256 and size; returns its `@id` (a path relative
  /// to the crate root when inside it, else an absolute `file://` URI).
  mutating func addFile(_ url: URL, crateRoot: URL, name: String, format: String) throws -> String {
    let file = url.standardizedFileURL.resolvingSymlinksInPath()
    let root = crateRoot.standardizedFileURL.resolvingSymlinksInPath().path + "/"
    let id =
      file.path.hasPrefix(root) ? String(file.path.dropFirst(root.count)) : file.absoluteString
    let size: Int64
    let digest: String
    do {
      let attributes = try FileManager.default.attributesOfItem(atPath: file.path)
      size = (attributes[.size] as? NSNumber)?.int64Value ?? 0
      digest = try SHA256.hexDigest(ofFile: file)
    } catch {
      throw ProvenanceError("\(file.path): cannot read it for its checksum: \(error)")
    }
    add(
      .object([
        "@id": .string(id), "@type": "File", "name": .string(name),
        "encodingFormat": .string(format), "sha256": .string(digest),
        "contentSize": .string(String(size)),
      ]))
    return id
  }

  /// Adds an environment PropertyValue; returns its `@id`.
  /// Writes `README.md` into the crate folder unless one exists, and
  /// describes it (about the crate, Markdown); returns its `@id`.
  mutating func addReadme(campaign: URL, text: String) throws -> String {
    let url = campaign.appendingPathComponent("README.md")
    if !FileManager.default.fileExists(atPath: url.path) {
      try Data(text.utf8).write(to: url, options: .atomic)
    }
    let id = try addFile(url, crateRoot: campaign, name: "README", format: "text/markdown")
    if var entity = entities[id]?.objectValue {
      entity["about"] = .reference("./")
      add(.object(entity))
    }
    return id
  }

  mutating func addPropertyValue(name: String, value: JSONValue, idPrefix: String = "") -> String {
    let id = "#\(idPrefix)env-\(name.lowercased().replacingOccurrences(of: "_", with: "-"))"
    add(
      .object(["@id": .string(id), "@type": "PropertyValue", "name": .string(name), "value": value])
    )
    return id
  }

  mutating func addSoftware(_ software: SoftwareIdentity) {
    add(
      .object([
        "@id": .string(software.identifier), "@type": "SoftwareApplication",
        "name": .string(software.name), "softwareVersion": .string(software.version),
        "url": .string(software.url),
      ]))
  }

  mutating func addAgent(_ agent: Agent) {
    add(
      .object(["@id": .string(agent.identifier), "@type": "Person", "name": .string(agent.name)]))
    if let affiliation = agent.affiliation {
      addPublisher(affiliation)
      if var person = entities[agent.identifier]?.objectValue {
        person["affiliation"] = .reference(affiliation.url)
        add(.object(person))
      }
    }
  }

  mutating func addPublisher(_ publisher: Organization) {
    add(
      .object([
        "@id": .string(publisher.url), "@type": "Organization", "name": .string(publisher.name),
        "url": .string(publisher.url),
      ]))
  }

  mutating func addProfile(_ id: String, name: String, version: String) {
    add(
      .object([
        "@id": .string(id), "@type": "CreativeWork", "name": .string(name),
        "version": .string(version),
      ]))
  }

  mutating func addRoot(
    name: String, description: String, datePublished: String, license: CrateLicense,
    profiles: [String], parts: [String], mentions: [String], extra: [String: JSONValue] = [:],
    descriptorProfiles: [String] = []
  ) {
    add(
      .object([
        "@id": "ro-crate-metadata.json", "@type": "CreativeWork",
        "conformsTo": .references(["https://w3id.org/ro/crate/1.1"] + descriptorProfiles),
        "about": .reference("./"),
      ]))
    var root: [String: JSONValue] = [
      "@id": "./", "@type": "Dataset", "name": .string(name),
      "description": .string(description), "datePublished": .string(datePublished),
      "conformsTo": .references(profiles), "hasPart": .array(parts.map { .reference($0) }),
      "mentions": .references(mentions),
    ]
    switch license {
    case .url(let url):
      root["license"] = .reference(url)
      add(.object(["@id": .string(url), "@type": "CreativeWork", "name": .string(url)]))
    case .text(let text):
      root["license"] = .reference("#license")
      add(
        .object([
          "@id": "#license", "@type": "CreativeWork", "name": "Terms of use",
          "description": .string(text),
        ]))
    }
    for (key, value) in extra { root[key] = value }
    add(.object(root))
  }

  /// The document: contexts and the graph, descriptor and root first.
  func document() -> JSONValue {
    let first = ["ro-crate-metadata.json", "./"]
    let ids = first.filter { entities[$0] != nil } + order.filter { !first.contains($0) }
    return .object([
      "@context": .array([
        "https://w3id.org/ro/crate/1.1/context", "https://w3id.org/ro/terms/workflow-run/context",
      ]),
      "@graph": .array(ids.compactMap { entities[$0] }),
    ])
  }
}

/// The licence of a crate's data (RO-Crate 1.1 requires one on the root).
public enum CrateLicense: Sendable, Hashable {
  /// A licence document, e.g. `https://spdx.org/licenses/CC-BY-4.0`.
  case url(String)
  /// How the data may be used, in words.
  case text(String)

  /// Data of a run are not licensed by default: the DMP governs their use.
  public static let governedByDMP = CrateLicense.text(
    "No licence is granted by this crate: use of the data is governed by the project's data"
      + " management plan; ask its contact.")

  /// A URL (`http://`, `https://`) becomes `.url`, anything else `.text`.
  public init(_ value: String) {
    if value.hasPrefix("https://") || value.hasPrefix("http://") {
      self = .url(value)
    } else {
      self = .text(value)
    }
  }
}

extension JSONValue {
  /// One `{"@id"}` for one id, an array for several (RO-Crate 1.1 prefers
  /// single values to singleton arrays).
  static func references(_ ids: [String]) -> JSONValue {
    ids.count == 1 ? .reference(ids[0]) : .array(ids.map { .reference($0) })
  }
}
