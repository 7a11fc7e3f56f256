import Foundation

@testable import TwinCore

/// Locations and helpers shared by the scenario tests.
enum ScenarioTestSupport {
  /// The repository root (this file is Tests/TwinCoreTests/ScenarioTestSupport.swift).
  static let repositoryRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

  static let scenariosFolder = repositoryRoot.appendingPathComponent("scenarios")

  /// The diagnostics of a scenario given as text, as the CLI prints them.
  static func diagnostics(_ yaml: String, fileName: String = "test.yaml") -> [String] {
    ScenarioLoader.validate(yaml: yaml, fileName: fileName, directoryURL: scenariosFolder)
      .map(\.description)
  }

  /// A scenario from text that must be valid.
  static func load(_ yaml: String) throws(ScenarioError) -> Scenario {
    try ScenarioLoader.load(yaml: yaml, fileName: "test.yaml", directoryURL: scenariosFolder)
  }
}
