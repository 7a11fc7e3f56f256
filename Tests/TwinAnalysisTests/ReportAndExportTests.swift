import Foundation
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
      let file = try ResultFile.open(path: try synthetic.write())
      let folder = SyntheticResultFile.temporaryPath("export")
      let tables = try CSVExport.export(
        file: file, arm: "base", directory: folder, limits: ChunkLimits(persons: 3))
      #expect(
        tables.map { URL(fileURLWithPath: $0.path).lastPathComponent } == [
          "base_series.csv", "base_events.csv", "base_summary.csv",
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
