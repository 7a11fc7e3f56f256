import Foundation
import Testing

@testable import TwinCore

/// docs/scenario.md documents every key of the schema, and the schema's
/// defaults satisfy the schema.
@Suite struct ScenarioDocumentationTests {
  static let documentURL = ScenarioTestSupport.repositoryRoot
    .appendingPathComponent("docs/scenario.md")

  @Test func scenarioDocumentationNamesEveryKeyPath() throws {
    let document = try String(contentsOf: Self.documentURL, encoding: .utf8)
    let paths = SchemaReference.keyPaths()
    #expect(paths.count > 100)
    // Spot checks that the walk reaches nested, sequence and variant keys.
    for path in [
      "time.horizon_years", "population.synthetic.groups[i].sbp.mean",
      "models.conditions[i].incidence.gompertz.female.a",
      "models.conditions[i].relative_risks.<name>", "arms[i].interventions[j].fraction",
      "arms[i].interventions[j].eligibility.min_sbp", "<U-number>.lognormal.ci95",
    ] {
      #expect(paths.contains(path), "\(path)")
    }
    for path in paths {
      #expect(document.contains("`\(path)`"), "docs/scenario.md does not document `\(path)`")
    }
  }

  /// The generated key reference in docs/scenario.md is the current one. To
  /// refresh it, run `twin-sim validate --print-reference` and replace the part
  /// between the markers, or run this test with UPDATE_SCENARIO_REFERENCE=1.
  @Test func scenarioDocumentationHoldsTheCurrentGeneratedReference() throws {
    var document = try String(contentsOf: Self.documentURL, encoding: .utf8)
    let reference = SchemaReference.markdown()
    guard let begin = document.range(of: SchemaReference.beginMarker),
      let end = document.range(of: SchemaReference.endMarker + "\n")
    else {
      Issue.record("docs/scenario.md lacks the generated-reference markers")
      return
    }
    let current = String(document[begin.lowerBound..<end.upperBound])
    if current != reference,
      ProcessInfo.processInfo.environment["UPDATE_SCENARIO_REFERENCE"] == "1"
    {
      document.replaceSubrange(begin.lowerBound..<end.upperBound, with: reference)
      try document.write(to: Self.documentURL, atomically: true, encoding: .utf8)
      return
    }
    #expect(
      current == reference,
      "docs/scenario.md's key reference is stale: rerun with UPDATE_SCENARIO_REFERENCE=1")
  }

  @Test func everySchemaDefaultSatisfiesItsOwnKey() {
    var checked = 0
    func visit(_ fields: [Field], path: KeyPath) {
      for field in fields {
        let fieldPath = path.appending(key: field.key)
        var defaults: [String] = []
        switch field.presence {
        case .defaulted(let yaml), .defaultedUnlessGiven(let yaml, _): defaults = [yaml]
        case .dependentDefault(_, let table): defaults = Array(table.values)
        default: break
        }
        for yaml in defaults {
          checked += 1
          let result = SchemaValidator.parseDefault(
            yaml, as: field.type, at: fieldPath, baseDirectory: ScenarioTestSupport.scenariosFolder)
          if case .invalid(let problems) = result {
            Issue.record("default \(yaml) of \(fieldPath): \(problems)")
          }
        }
        visitType(field.type, path: fieldPath)
      }
    }
    func visitType(_ type: SchemaType, path: KeyPath) {
      switch type {
      case .object(let schema): visit(schema.fields, path: path)
      case .sequence(let rule): visitType(rule.element, path: path.appending(index: 0))
      case .taggedUnion(let union):
        for variant in union.variants {
          visit(union.objectSchema(for: variant).fields, path: path)
        }
      default: break
      }
    }
    visit(ScenarioSchema.root.fields, path: .root)
    #expect(checked > 40)
  }

  @Test func dependentDefaultsCoverEveryChoiceOfTheirKey() {
    for variant in ScenarioSchema.intervention.variants {
      let fields = variant.fields
      for field in fields {
        guard case .dependentDefault(let key, let table) = field.presence else { continue }
        guard case .choice(let choices)? = fields.first(where: { $0.key == key })?.type else {
          Issue.record("\(field.key) depends on \(key), which is not a choice")
          continue
        }
        #expect(Set(choices.map(\.value)) == Set(table.keys), "\(field.key)")
      }
    }
  }
}
