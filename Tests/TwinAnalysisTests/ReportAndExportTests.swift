import Foundation
import HDF5Kit
import Testing

@testable import TwinAnalysis

#if canImport(FoundationXML)
  import FoundationXML  // XMLParser on Linux
#endif

extension HDF5FileTests {
  /// The HTML report: self-contained, well-formed charts, every section.
  @Suite struct HTMLReportTests {
    func report(_ synthetic: SyntheticResultFile = SyntheticResultFile()) throws -> String {
      let file = try ResultFile.open(path: try synthetic.write())
      return try HTMLReport.render(file: file, generator: "twin-sim test")
    }

    /// Each `<svg>...</svg>` of the page.
    func charts(in html: String) -> [String] {
      var charts: [String] = []
      var rest = html[...]
      while let start = rest.range(of: "<svg"), let end = rest.range(of: "</svg>") {
        charts.append(String(rest[start.lowerBound..<end.upperBound]))
        rest = rest[end.upperBound...]
      }
      return charts
    }

    @Test func reportLoadsNothingFromOutsideAndRunsNoScript() throws {
      let html = try report()
      #expect(html.contains("Content-Security-Policy\" content=\"default-src 'none'"))
      #expect(!html.lowercased().contains("<script"))
      #expect(!html.contains("src=\""))
      #expect(!html.contains("href=\"http"))
    }

    @Test func everyChartIsWellFormedSVGWithTitleAxisLabelsAndLegend() throws {
      let html = try report()
      let svgs = charts(in: html)
      // Survival, cumulative events, sbp for two arms.
      #expect(svgs.count == 4)
      for svg in svgs {
        let parser = XMLParser(data: Data(svg.utf8))
        #expect(parser.parse(), "not well-formed: \(svg.prefix(200))")
        #expect(svg.contains("class=\"chart-title\""))
        #expect(svg.components(separatedBy: "class=\"axis-label\"").count == 3)
        #expect(svg.contains("class=\"legend\""))
      }
      #expect(svgs[0].contains("fraction alive"))
      #expect(svgs[1].contains("events per 1,000 persons"))
      #expect(svgs[2].contains("sbp (mmHg)"))
      #expect(svgs[3].contains("mean of base"))
    }

    @Test func summaryTableAndProvenanceAreShownWithEscaping() throws {
      var synthetic = SyntheticResultFile()
      synthetic.extraAttributes = ["slurm_job_id": "4711"]
      let html = try report(synthetic)
      #expect(html.contains("<section id=\"summary\">"))
      // NNT of treat: 4 persons / 2 events averted.
      #expect(html.contains("<span class=\"value\">2.0</span>"))
      #expect(html.contains("<th>slurm_job_id</th><td>4711</td>"))
      #expect(html.contains("# a &lt; b &amp; c"))
      #expect(html.contains("00000000-0000-0000-0000-000000000001"))
      #expect(!html.contains("records no data management plan"))
    }

    @Test func unfinishedRunIsFlaggedInTheReport() throws {
      var synthetic = SyntheticResultFile()
      synthetic.status = "failed"
      let file = try ResultFile.open(path: try synthetic.write(), allowIncomplete: true)
      let html = try HTMLReport.render(file: file, generator: "twin-sim test")
      #expect(html.contains("class=\"warning\""))
    }
  }

  /// CSV export of the synthetic file, compared line by line.
  @Suite struct CSVExportTests {
    @Test func tablesAreTidyLongFormatWithPersonIdentifiers() throws {
      var synthetic = SyntheticResultFile()
      synthetic.personIdentifiers = [101, 102, 103, 104]
      let file = try ResultFile.open(path: try StartPersons().add(to: try synthetic.write()))
      let folder = SyntheticResultFile.temporaryPath("export")
      let tables = try CSVExport.export(
        file: file, arm: "base", directory: folder, limits: ChunkLimits(persons: 3))
      #expect(
        tables.map { URL(fileURLWithPath: $0.path).lastPathComponent } == [
          "base_series.csv", "base_events.csv", "base_summary.csv", "persons.csv",
        ])
      let series = try String(contentsOfFile: tables[0].path, encoding: .utf8)
      #expect(
        series == """
          person,time,variable,value
          101,0,sbp,120
          101,1,sbp,121.5
          101,2,sbp,
          102,0,sbp,140
          102,1,sbp,141
          102,2,sbp,142
          103,0,sbp,150
          103,1,sbp,
          103,2,sbp,
          104,0,sbp,110
          104,1,sbp,110.25
          104,2,sbp,110.5

          """)
      #expect(tables[0].rows == 12)
      let events = try String(contentsOfFile: tables[1].path, encoding: .utf8)
      #expect(
        events == """
          person,time,kind
          101,0.5,cvd_event
          101,1.5,cvd_death
          103,0.25,other_death

          """)
      let summary = try String(contentsOfFile: tables[2].path, encoding: .utf8)
        .split(separator: "\n")
      #expect(summary[0] == "realisation,time,variable,value")
      // 6 datasets x 3 time points, in name order within a time point.
      #expect(summary.count == 1 + 18)
      #expect(summary[1] == "0,0,alive,4")
      #expect(summary.contains("0,1,person_years,3.25"))
    }

    @Test func personsAtTheStartAreOneRowPerPersonWithConditionsInScenarioOrder() throws {
      var synthetic = SyntheticResultFile()
      synthetic.personIdentifiers = [101, 102, 103, 104]
      var persons = StartPersons()
      // Scenario order (the root attribute), not name order.
      persons.conditions = [("ihd", [0, 1, 0, 0]), ("copd", [1, 0, 0, 1])]
      let file = try ResultFile.open(path: try persons.add(to: try synthetic.write()))
      let folder = SyntheticResultFile.temporaryPath("persons")
      // Blocks of 3 persons: the second block holds one.
      let tables = try CSVExport.export(
        file: file, arm: "treat", directory: folder, limits: ChunkLimits(persons: 3))
      let table = try #require(tables.last)
      #expect(URL(fileURLWithPath: table.path).lastPathComponent == "persons.csv")
      #expect(table.rows == 4)
      #expect(
        try String(contentsOfFile: table.path, encoding: .utf8) == """
          person,sex,age,sbp,total_cholesterol,hdl,bmi,smoking,diabetes,bp_treated,ihd,copd
          101,female,52.5,120,5.2,1.4,24.5,0,0,0,0,1
          102,male,61.25,140,6.1,1.1,31.2,1,0,1,1,0
          103,male,70,150,4.8,1.3,27,0,1,1,0,0
          104,female,45.125,110,5.5,1.6,22.25,1,0,0,0,1

          """)
    }

    @Test func personsWithoutAStartGroupOrWithAnUnknownSexCodeAreALayoutError() throws {
      var strange = StartPersons()
      strange.sex = [0, 1, 2, 0]
      let missing = try SyntheticResultFile().write()
      for path in [missing, try strange.add(to: try SyntheticResultFile().write())] {
        let file = try ResultFile.open(path: path)
        let folder = SyntheticResultFile.temporaryPath("bad")
        #expect {
          _ = try CSVExport.export(file: file, arm: "base", directory: folder)
        } throws: { error in
          guard case .invalidLayout(_, let detail) = error as? AnalysisError else { return false }
          return detail.contains("/persons")
        }
        // Without /persons nothing is written; a bad sex code is found while writing.
        #expect(FileManager.default.fileExists(atPath: folder) == (path != missing))
      }
    }

    @Test func unknownArmIsRefusedBeforeWritingAnything() throws {
      let file = try ResultFile.open(path: try SyntheticResultFile().write())
      let folder = SyntheticResultFile.temporaryPath("never")
      #expect(throws: AnalysisError.self) {
        _ = try CSVExport.export(file: file, arm: "nope", directory: folder)
      }
      #expect(!FileManager.default.fileExists(atPath: folder))
    }
  }
}

/// The persons at the start, `/persons/*`, added to a synthetic result file
/// (four persons).
struct StartPersons {
  var sex: [UInt8] = [0, 1, 1, 0]
  var age: [Double] = [52.5, 61.25, 70, 45.125]
  var sbp: [Double] = [120, 140, 150, 110]
  var totalCholesterol: [Double] = [5.2, 6.1, 4.8, 5.5]
  var hdl: [Double] = [1.4, 1.1, 1.3, 1.6]
  var bmi: [Double] = [24.5, 31.2, 27, 22.25]
  var smoking: [UInt8] = [0, 1, 0, 1]
  var diabetes: [UInt8] = [0, 0, 1, 0]
  var bpTreated: [UInt8] = [0, 1, 1, 0]
  /// Condition name and flags in scenario order, named by the root attribute
  /// `conditions` when there are any.
  var conditions: [(String, [UInt8])] = []

  /// Writes `/persons` into the file at `path`; returns the path.
  func add(to path: String) throws -> String {
    let file = try H5File.open(path: path, writable: true)
    let root = try file.root()
    let group = try root.createGroup("persons")
    func column<T: HDF5Scalar>(_ name: String, _ values: [T]) throws {
      try group.createDataset(name, of: T.self, shape: [values.count])
        .write(values, offset: [0], count: [values.count])
    }
    try column("sex", sex)
    try column("age", age)
    try column("sbp", sbp)
    try column("total_cholesterol", totalCholesterol)
    try column("hdl", hdl)
    try column("bmi", bmi)
    try column("smoking", smoking)
    try column("diabetes", diabetes)
    try column("bp_treated", bpTreated)
    for (name, flags) in conditions { try column(name, flags) }
    if !conditions.isEmpty {
      try root.setAttribute("conditions", conditions.map(\.0).joined(separator: ","))
    }
    try file.close()
    return path
  }
}
