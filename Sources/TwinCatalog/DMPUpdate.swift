import Foundation
import TwinDMP

/// Writes what the catalog knows back into the DMP (docs/dmp.md, "Back into
/// the plan"): a new version whose distributions carry their files' total
/// size, formats and checksums, whose datasets carry their issue date, and
/// whose `modified` is now. The previous version is kept beside it.
public enum DMPUpdate {
  /// The updated document. Only present products count; a distribution no
  /// product belongs to is left as it is.
  public static func updated(
    plan: DataManagementPlan, products: [DataProduct], now: Date
  ) -> JSONValue {
    var document = plan.document
    let present = products.filter { $0.state == "present" }
    for (datasetIndex, dataset) in plan.datasets.enumerated() {
      var datasetFiles: [DataProduct] = []
      for (distributionIndex, distribution) in dataset.distributions.enumerated() {
        let files = present.filter { product in
          plan.files(matching: product.path).contains {
            $0.distribution.pointer == distribution.pointer
          }
        }.sorted { $0.path < $1.path }
        guard !files.isEmpty else { continue }
        datasetFiles += files
        let path = [
          "dmp", "dataset", String(datasetIndex), "distribution", String(distributionIndex),
        ]
        var entry = value(at: path, in: document)?.objectValue ?? [:]
        entry["byte_size"] = .number(Double(files.reduce(Int64(0)) { $0 + $1.sizeBytes }))
        var formats = entry["format"]?.arrayValue?.compactMap(\.stringValue) ?? []
        for file in files {
          let type = RunCrate.mediaType(of: URL(fileURLWithPath: file.path))
          if !formats.contains(type) { formats.append(type) }
        }
        entry["format"] = .array(formats.map { .string($0) })
        entry[filesKey] = .array(
          files.map { file in
            var record: [String: JSONValue] = [
              "path": .string(file.path), "sha256": .string(file.sha256),
              "byte_size": .number(Double(file.sizeBytes)),
              "created": .string(CrateTime.string(file.created)),
            ]
            if let job = file.slurmJob { record["slurm_job"] = .string(job) }
            return .object(record)
          })
        document = replacing(document, at: path, with: .object(entry))
      }
      guard !datasetFiles.isEmpty else { continue }
      let path = ["dmp", "dataset", String(datasetIndex)]
      var entry = value(at: path, in: document)?.objectValue ?? [:]
      if entry["issued"] == nil, let first = datasetFiles.map(\.created).min() {
        entry["issued"] = .string(String(CrateTime.string(first).prefix(10)))
      }
      if entry[checksumIdentifiersKey] == .bool(true) {
        var identifiers = (entry["alternate_identifier"]?.arrayValue ?? []).filter {
          !($0["identifier"]?.stringValue?.hasPrefix("sha256:") ?? false)
        }
        for file in datasetFiles {
          identifiers.append(
            .object(["identifier": .string("sha256:\(file.sha256)"), "type": "other"]))
        }
        entry["alternate_identifier"] = .array(identifiers)
      }
      document = replacing(document, at: path, with: .object(entry))
    }
    let stamp = CrateTime.string(now).replacingOccurrences(of: "+00:00", with: "Z")
    document = replacing(document, at: ["dmp", "modified"], with: .string(stamp))
    return document
  }

  /// `twin_sim:files` of a distribution: its files with path, SHA-256, size,
  /// creation time and Slurm job, from the catalog.
  public static let filesKey = "twin_sim:files"
  /// `twin_sim:checksum_identifiers: true` on a dataset asks for its files'
  /// checksums as `alternate_identifier`s (`sha256:<hex>`, type `other`).
  public static let checksumIdentifiersKey = "twin_sim:checksum_identifiers"

  /// Updates the DMP file in place after keeping the previous version as
  /// `FILE.vN` (the next free N). The new version is validated before it is
  /// written. Returns the path of the kept previous version.
  public static func write(planFile: String, catalog: Catalog, now: Date = Date()) throws -> String
  {
    let plan = try DataManagementPlan.load(path: planFile)
    let document = updated(plan: plan, products: try catalog.products(), now: now)
    if case .failure(let failure) = DataManagementPlan.validate(
      document, baseDirectory: plan.baseDirectory)
    {
      throw CatalogError("the updated DMP would be invalid: \(failure)")
    }
    var version = 1
    while FileManager.default.fileExists(atPath: "\(planFile).v\(version)") { version += 1 }
    let previous = "\(planFile).v\(version)"
    try FileManager.default.copyItem(atPath: planFile, toPath: previous)
    try document.serialized().write(to: URL(fileURLWithPath: planFile), options: .atomic)
    return previous
  }

  private static func value(at path: [String], in document: JSONValue) -> JSONValue? {
    var current: JSONValue? = document
    for key in path {
      if let index = Int(key), let items = current?.arrayValue {
        current = index < items.count ? items[index] : nil
      } else {
        current = current?[key]
      }
    }
    return current
  }

  private static func replacing(
    _ value: JSONValue, at path: [String], with newValue: JSONValue
  ) -> JSONValue {
    guard let head = path.first else { return newValue }
    let rest = Array(path.dropFirst())
    switch value {
    case .object(var members):
      members[head] = replacing(members[head] ?? .object([:]), at: rest, with: newValue)
      return .object(members)
    case .array(var items):
      guard let index = Int(head), index < items.count else { return value }
      items[index] = replacing(items[index], at: rest, with: newValue)
      return .array(items)
    default:
      return value
    }
  }
}
