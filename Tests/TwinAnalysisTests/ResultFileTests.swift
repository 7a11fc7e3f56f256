import Foundation
import HDF5Kit
import Testing

@testable import TwinAnalysis

extension HDF5FileTests {
  /// Opening result files: what is refused, with which message.
  @Suite struct ResultFileTests {
    func openingFails(
      _ path: String, allowIncomplete: Bool = false, where check: (AnalysisError) -> Bool
    ) -> Bool {
      do {
        _ = try ResultFile.open(path: path, allowIncomplete: allowIncomplete)
        return false
      } catch {
        return check(error) && error.isInvalidInput
      }
    }

    @Test func missingFileIsRefusedByName() {
      let path = SyntheticResultFile.temporaryPath("absent.h5")
      #expect(
        openingFails(path) { error in
          guard case .fileNotFound = error else { return false }
          return error.description == "\(path): no such file"
        })
    }

    @Test func fileThatIsNotHDF5IsRefused() throws {
      let path = SyntheticResultFile.temporaryPath("text.h5")
      try Data("name: not hdf5\n".utf8).write(to: URL(fileURLWithPath: path))
      #expect(
        openingFails(path) { error in
          guard case .notAResultFile = error else { return false }
          return error.description.contains("not a twin-sim result file")
        })
    }

    @Test func hdf5FileWithoutTwinSimAttributesIsRefused() throws {
      let path = SyntheticResultFile.temporaryPath("foreign.h5")
      let file = try H5File.create(path: path)
      try file.root().setAttribute("title", "someone else's data")
      try file.close()
      #expect(
        openingFails(path) { error in
          guard case .notAResultFile(_, let reason) = error else { return false }
          return reason == "no root attribute 'status'"
        })
    }

    @Test func unfinishedRunIsRefusedUnlessAllowed() throws {
      var synthetic = SyntheticResultFile()
      synthetic.status = "running"
      let path = try synthetic.write()
      #expect(
        openingFails(path) { error in
          guard case .incomplete(_, let status) = error else { return false }
          return status == "running" && error.description.contains("--allow-incomplete")
        })
      let file = try ResultFile.open(path: path, allowIncomplete: true)
      #expect(!file.isComplete)
      #expect(file.provenance.status == "running")
    }

    @Test func unknownArmIsRefusedNamingTheArms() throws {
      let file = try ResultFile.open(path: try SyntheticResultFile().write())
      #expect {
        try file.requireArm("statin")
      } throws: { error in
        guard let error = error as? AnalysisError, case .unknownArm = error else { return false }
        return error.isInvalidInput && error.description.hasSuffix("the arms are 'base', 'treat'")
      }
    }

    @Test func provenanceAndLinksAreRead() throws {
      var synthetic = SyntheticResultFile()
      synthetic.extraAttributes = ["slurm_job_id": "4711", "dmp_dataset": "doi:10.0/abc"]
      let file = try ResultFile.open(path: try synthetic.write())
      #expect(file.armNames == ["base", "treat"])
      #expect(file.baselineArm == "base")
      #expect(file.timesYears == [0, 1, 2])
      #expect(file.personCount == 4 && file.realisationCount == 1)
      #expect(file.provenance.seed == 1)
      #expect(file.provenance.startYear == "2025")
      #expect(
        file.provenance.links == [
          ProvenanceLink("dmp_dataset", "doi:10.0/abc"), ProvenanceLink("slurm_job_id", "4711"),
        ])
      #expect(try file.seriesNames(arm: "base") == ["sbp"])
    }
  }

  /// Streaming trajectories against exact statistics computed here.
  @Suite struct TrajectoryTests {
    @Test func hand_workedMeansSkipPersonsWhoDied() throws {
      let file = try ResultFile.open(path: try SyntheticResultFile().write())
      let trajectory = try #require(
        try TrajectoryAnalysis.compute(file: file, arm: "base", variable: "sbp"))
      // t = 0: [120, 140, 150, 110]; t = 1: [121.5, 141, 110.25]; t = 2: [142, 110.5].
      #expect(trajectory.personsWithValue == [4, 3, 2])
      #expect(abs(trajectory.mean[0] - 130) < 1e-9)
      #expect(abs(trajectory.mean[1] - 124.25) < 1e-9)
      #expect(abs(trajectory.mean[2] - 126.25) < 1e-9)
      #expect(trajectory.units == "mmHg")
      // numpy.percentile([110, 120, 140, 150], 50) = 130.
      let median = try #require(trajectory.percentiles[0.5])
      #expect(abs(median[0] - 130) <= trajectory.percentileResolution)
      #expect(try TrajectoryAnalysis.compute(file: file, arm: "base", variable: "hdl") == nil)
    }

    @Test func percentilesAreWithinOneBinOfExactOnesWhenStreamedInSmallBlocks() throws {
      var synthetic = SyntheticResultFile()
      let persons = 5003
      synthetic.personCount = persons
      // A deterministic, skewed sample (x^3 of a Weyl sequence) with deaths as NaN.
      var values: [Float] = []
      for person in 0..<persons {
        for time in 0..<3 {
          let u = (Double(person) * 0.618_033_988_749_895 + Double(time) * 0.1)
            .truncatingRemainder(dividingBy: 1)
          values.append(person % 7 == time ? .nan : Float(100 + 80 * u * u * u + Double(time)))
        }
      }
      for index in synthetic.arms.indices { synthetic.arms[index].series = ["sbp": values] }
      let file = try ResultFile.open(path: try synthetic.write())
      let trajectory = try #require(
        try TrajectoryAnalysis.compute(
          file: file, arm: "base", variable: "sbp", limits: ChunkLimits(persons: 97)))
      for time in 0..<3 {
        let column = (0..<persons).map { Double(values[$0 * 3 + time]) }.filter { !$0.isNaN }
          .sorted()
        #expect(trajectory.personsWithValue[time] == column.count)
        let exactMean = column.reduce(0, +) / Double(column.count)
        #expect(abs(trajectory.mean[time] - exactMean) < 1e-9)
        for fraction in TrajectoryAnalysis.percentileFractions {
          // Hyndman and Fan definition 7, written out here independently.
          let position = fraction * Double(column.count - 1)
          let low = Int(position)
          let high = min(low + 1, column.count - 1)
          let exact = column[low] + (position - Double(low)) * (column[high] - column[low])
          let streamed = trajectory.percentiles[fraction]![time]
          #expect(abs(streamed - exact) <= trajectory.percentileResolution)
        }
      }
    }
  }
}
