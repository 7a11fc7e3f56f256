import Foundation
import Testing

@testable import TwinCore

/// `output.compression` and `output.compression_level`: the default, the typed
/// value and the errors for values that cannot work.
@Suite struct OutputCompressionTests {
  private let head = """
    name: t
    population: {size: 10, synthetic: {}}

    """

  @Test func withoutTheKeyNothingIsCompressed() throws {
    let scenario = try ScenarioTestSupport.load(head)
    #expect(scenario.output.compression == .none)
    #expect(scenario.output.compression.deflateLevel == nil)
  }

  @Test func deflateTakesLevelOneUnlessALevelIsGiven() throws {
    let plain = try ScenarioTestSupport.load(head + "output: {compression: deflate}\n")
    #expect(plain.output.compression == .deflate(level: 1))
    let strong = try ScenarioTestSupport.load(
      head + "output: {compression: deflate, compression_level: 9}\n")
    #expect(strong.output.compression == .deflate(level: 9))
    #expect(strong.output.compression.deflateLevel == 9)
  }

  @Test func explicitNoneIsNone() throws {
    let scenario = try ScenarioTestSupport.load(head + "output: {compression: none}\n")
    #expect(scenario.output.compression == .none)
  }

  @Test func unknownFilterNamesTheAllowedValues() {
    let problems = ScenarioTestSupport.diagnostics(head + "output: {compression: zstd}\n")
    #expect(
      problems == [
        "test.yaml:3:23: output.compression: expected one of none, deflate, found 'zstd'"
      ])
  }

  @Test func levelOutsideOneToNineIsRefused() {
    let problems = ScenarioTestSupport.diagnostics(
      head + "output: {compression: deflate, compression_level: 10}\n")
    #expect(
      problems == [
        "test.yaml:3:51: output.compression_level: expected an integer between 1 and 9, found 10"
      ])
  }

  @Test func levelWithoutDeflateIsRefused() {
    let problems = ScenarioTestSupport.diagnostics(
      head + "output:\n  compression_level: 4\n")
    #expect(
      problems == [
        "test.yaml:4:22: output.compression_level: expected 'compression_level' only with "
          + "'compression: deflate', found it with compression 'none'"
      ])
  }
}
