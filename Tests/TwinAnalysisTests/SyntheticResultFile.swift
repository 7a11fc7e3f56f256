import Foundation
import HDF5Kit
import Testing

/// Tests that read and write HDF5 files. HDF5 is not thread-safe, so every
/// such suite is nested here and runs one test at a time.
@Suite(.serialized) enum HDF5FileTests {}

/// A small result file in the layout of docs/hdf5-layout.md, written by the
/// tests so that every expected number can be worked out by hand.
///
/// Default contents: 4 persons, time points 0, 1, 2 (years), arms `base` and
/// `treat`, one realisation.
/// - base: person 0 has a non-fatal CVD event at 0.5 and a CVD death at 1.5;
///   person 2 dies of other causes at 0.25.
/// - treat: person 2 dies of other causes at 0.25; nobody else has an event.
/// Lifetimes: base [1.5, 2, 0.25, 2] (5.75 person-years), treat [2, 2, 0.25,
/// 2] (6.25). The summary datasets hold exactly those events.
struct SyntheticResultFile {
  struct Event {
    var person: Int64
    var time: Double
    var kind: UInt8
  }

  struct Arm {
    var name: String
    var events: [Event]
    /// Summary rows per realisation, every dataset name -> [time points].
    var summary: [[String: [Double]]]
    /// Per-person series name -> row-major [person, time] values (Float32).
    var series: [String: [Float]] = [:]
  }

  var personCount = 4
  var times: [Double] = [0, 1, 2]
  var status = "complete"
  var baselineArm = "base"
  var extraAttributes: [String: String] = [:]
  var scenarioYAML = "name: synthetic\nseed: 1\n# a < b & c\n"
  var kindNames: [(UInt8, String)] = [(1, "cvd_event"), (2, "cvd_death"), (3, "other_death")]
  var personIdentifiers: [Int64]? = nil
  /// Ages at the start (`/persons/age`, float32 as the engine writes them); none by default.
  var startAges: [Float]? = nil
  var arms: [Arm] = [
    Arm(
      name: "base",
      events: [
        Event(person: 0, time: 0.5, kind: 1), Event(person: 0, time: 1.5, kind: 2),
        Event(person: 2, time: 0.25, kind: 3),
      ],
      summary: [
        [
          "alive": [4, 3, 2], "deaths": [0, 1, 1], "cvd_events": [0, 1, 1],
          "cvd_deaths": [0, 0, 1], "other_deaths": [0, 1, 0], "person_years": [0, 3.25, 2.5],
        ]
      ],
      series: [
        // NaN after death, as the engine writes it.
        "sbp": [120, 121.5, .nan, 140, 141, 142, 150, .nan, .nan, 110, 110.25, 110.5]
      ]),
    Arm(
      name: "treat",
      events: [Event(person: 2, time: 0.25, kind: 3)],
      summary: [
        [
          "alive": [4, 3, 3], "deaths": [0, 1, 0], "cvd_events": [0, 0, 0],
          "cvd_deaths": [0, 0, 0], "other_deaths": [0, 1, 0], "person_years": [0, 3.25, 3],
        ]
      ],
      series: ["sbp": [115, 116.5, 117, 135, 136, 137, 145, .nan, .nan, 105, 105.25, 105.5]]),
  ]

  var realisationCount: Int { arms[0].summary.count }

  /// A fresh path in a folder of this test process.
  static func temporaryPath(_ name: String) -> String {
    let folder = FileManager.default.temporaryDirectory
      .appendingPathComponent("twin-sim-analysis-tests-\(getpid())")
    try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    return folder.appendingPathComponent("\(UUID().uuidString)-\(name)").path
  }

  /// Writes the file and returns its path.
  func write(_ name: String = "results.h5") throws -> String {
    let path = Self.temporaryPath(name)
    let file = try H5File.create(path: path)
    let root = try file.root()
    try root.setAttribute("status", status)
    try root.setAttribute("software_version", "0.1.0")
    try root.setAttribute("scenario_yaml", scenarioYAML)
    try root.setAttribute("scenario_name", "synthetic")
    try root.setAttribute("seed", Int64(1))
    try root.setAttribute("n_persons", Int64(personCount))
    try root.setAttribute("run_id", "00000000-0000-0000-0000-000000000001")
    try root.setAttribute("created", "2025-01-01T00:00:00Z")
    try root.setAttribute("mpi_ranks", Int64(1))
    try root.setAttribute("realisations", Int64(realisationCount))
    try root.setAttribute("arms", arms.map(\.name).joined(separator: ","))
    try root.setAttribute("baseline_arm", baselineArm)
    try root.setAttribute("start_year", "2025")
    try root.setAttribute("time_step", "year")
    for (name, value) in extraAttributes { try root.setAttribute(name, value) }
    try root.createDataset("time", of: Double.self, shape: [times.count])
      .write(times, offset: [0], count: [times.count])
    let identifiers = personIdentifiers ?? (0..<personCount).map { Int64($0) }
    try root.createDataset("person", of: Int64.self, shape: [personCount])
      .write(identifiers, offset: [0], count: [personCount])
    if let startAges {
      try root.createGroup("persons").createDataset("age", of: Float.self, shape: [personCount])
        .write(startAges, offset: [0], count: [personCount])
    }
    let armsGroup = try root.createGroup("arms")
    for arm in arms {
      let group = try armsGroup.createGroup(arm.name)
      for (name, values) in arm.series {
        let dataset = try group.createDataset(
          name, of: Float.self, shape: [personCount, times.count])
        try dataset.write(values, offset: [0, 0], count: [personCount, times.count])
        try dataset.setAttribute("units", "mmHg")
      }
      let summary = try group.createGroup("summary")
      for name in arm.summary[0].keys.sorted() {
        let rows = arm.summary.map { $0[name]! }
        let shape = [rows.count, times.count]
        if name == "person_years" {
          try summary.createDataset(name, of: Double.self, shape: shape)
            .write(rows.flatMap { $0 }, offset: [0, 0], count: shape)
        } else {
          try summary.createDataset(name, of: Int64.self, shape: shape)
            .write(rows.flatMap { $0 }.map { Int64($0) }, offset: [0, 0], count: shape)
        }
      }
      let events = try group.createGroup("events")
      let count = arm.events.count
      try events.createDataset("person", of: Int64.self, shape: [count])
        .write(arm.events.map(\.person), offset: [0], count: [count])
      try events.createDataset("time", of: Double.self, shape: [count])
        .write(arm.events.map(\.time), offset: [0], count: [count])
      let kind = try events.createDataset("kind", of: UInt8.self, shape: [count])
      try kind.write(arm.events.map(\.kind), offset: [0], count: [count])
      try kind.setAttribute("flag_values", kindNames.map(\.0))
      try kind.setAttribute("flag_meanings", kindNames.map(\.1).joined(separator: " "))
    }
    try file.close()
    return path
  }
}
