import Foundation

@testable import TwinDMP

/// The repository root (this file is Tests/TwinDMPTests/DMPTestSupport.swift).
let repositoryRoot = URL(fileURLWithPath: #filePath)
  .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The example DMP of docs/dmp.md.
let examplePlanPath = repositoryRoot.appendingPathComponent("scenarios/dmp/plan.json").path

/// Parses the example plan and applies `edit` to its JSON before validation.
func examplePlanDocument() throws -> JSONValue {
  try JSONValue.parse(Data(contentsOf: URL(fileURLWithPath: examplePlanPath)))
}

/// `value` with the member at `path` (object keys or array indices) replaced,
/// or removed when `newValue` is nil.
func replacing(_ value: JSONValue, at path: [String], with newValue: JSONValue?) -> JSONValue {
  guard let head = path.first else { return newValue ?? .null }
  let rest = Array(path.dropFirst())
  switch value {
  case .object(var members):
    if rest.isEmpty && newValue == nil {
      members[head] = nil
    } else {
      members[head] = replacing(members[head] ?? .null, at: rest, with: newValue)
    }
    return .object(members)
  case .array(var items):
    let index = Int(head)!
    items[index] = replacing(items[index], at: rest, with: newValue)
    return .array(items)
  default:
    return value
  }
}

func validationErrors(_ document: JSONValue) -> [DMPValidationError] {
  let base = URL(fileURLWithPath: examplePlanPath).deletingLastPathComponent()
  switch DataManagementPlan.validate(document, baseDirectory: base) {
  case .success: return []
  case .failure(let failure): return failure.errors
  }
}
