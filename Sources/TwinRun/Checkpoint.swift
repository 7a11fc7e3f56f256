import Foundation
import HDF5Kit
import MPIKit
import TwinCore
import TwinTime

/// Where a run is: the realisation and arm in progress and the next time point.
struct RunPosition: Sendable, Equatable, Codable {
  var realisation: Int
  var arm: Int
  var nextTimeIndex: Int
}

/// The manifest of a checkpoint (`checkpoint-NNNNNN.json`), written last: a
/// checkpoint without its manifest, or whose file does not match the
/// manifest's size and checksum, is not used.
struct CheckpointManifest: Codable, Sendable, Equatable {
  var sequence: Int
  var file: String
  var bytes: Int
  /// 64-bit checksum of the checkpoint file (hex), `FileChecksum`.
  var checksum: String
  var position: RunPosition
  /// Checksum of the scenario text: a checkpoint of another scenario is refused.
  var scenarioChecksum: String
  var softwareVersion: String
  var mpiRanks: Int
  var created: String
}

/// A checkpoint: a copy of the result file as written so far plus a
/// `/checkpoint` group with the state the engine cannot recompute (per-person
/// flags of the arm in progress, its counts and events, the counts of every
/// finished arm and realisation, and with physiology the per-person warm
/// starts, last metrics and baselines as float64 `physiology_<name>`).
enum CheckpointFile {
  static let groupName = "checkpoint"

  static func name(sequence: Int) -> String { String(format: "checkpoint-%06d.h5", sequence) }
  static func manifestName(sequence: Int) -> String {
    String(format: "checkpoint-%06d.json", sequence)
  }

  /// Writes the engine's state into the checkpoint copy (collective).
  static func writeState(
    path: String, communicator: Communicator, position: RunPosition, saved: SavedArmState,
    range: Range<Int>, personCount: Int, completed: [[StepCounts]]
  ) throws {
    let file = try H5File.open(path: path, writable: true, communicator: communicator)
    let root = try file.root()
    let group = try root.createGroup(groupName)
    try group.setAttribute("realisation", Int64(position.realisation))
    try group.setAttribute("arm", Int64(position.arm))
    try group.setAttribute("next_time_index", Int64(position.nextTimeIndex))
    func perPerson(_ name: String, _ values: [UInt8]) throws {
      let dataset = try group.createDataset(name, of: UInt8.self, shape: [personCount])
      try dataset.write(values, offset: [range.lowerBound], count: [values.count])
    }
    try perPerson("alive", saved.alive)
    try perPerson("cvd_history", saved.cvdHistory)
    try perPerson("smoking", saved.smoking)
    try perPerson("bp_treated", saved.bpTreated)
    for (index, values) in saved.conditions.enumerated() {
      try perPerson("condition_\(index)", values)
    }
    for (index, values) in saved.started.enumerated() { try perPerson("started_\(index)", values) }
    if !saved.started.isEmpty { try perPerson("ever_treated", saved.everTreated) }
    if let physiology = saved.physiology {
      for (name, values) in zip(SavedPhysiologyState.columnNames, physiology.columns) {
        let dataset = try group.createDataset(
          "physiology_\(name)", of: Double.self, shape: [personCount])
        try dataset.write(values, offset: [range.lowerBound], count: [values.count])
      }
    }
    // Counts of the arm in progress, summed over ranks (exact integers).
    let counts = try communicator.allreduce(saved.counts.flattened, .sum)
    let isRoot = communicator.isRoot
    let current = try group.createDataset("counts", of: Int64.self, shape: [counts.count])
    try current.write(isRoot ? counts : [], offset: [0], count: [isRoot ? counts.count : 0])
    // Counts of every finished (realisation, arm), realisation-major.
    let finished = completed.flatMap { $0 }.flatMap(\.flattened)
    let done = try group.createDataset("completed_counts", of: Int64.self, shape: [finished.count])
    try done.write(isRoot ? finished : [], offset: [0], count: [isRoot ? finished.count : 0])
    try done.setAttribute("arms_per_realisation", completed.map { Int64($0.count) })
    // Events so far, each rank's after those of lower ranks.
    let eventCounts = try communicator.allgather(Int64(saved.events.count))
    let total = Int(eventCounts.reduce(0, +))
    let offset = Int(eventCounts.prefix(communicator.rank).reduce(0, +))
    let person = try group.createDataset("event_person", of: Int64.self, shape: [total])
    try person.write(saved.events.person, offset: [offset], count: [saved.events.count])
    let time = try group.createDataset("event_time", of: Double.self, shape: [total])
    try time.write(saved.events.time, offset: [offset], count: [saved.events.count])
    let kind = try group.createDataset("event_kind", of: UInt8.self, shape: [total])
    try kind.write(saved.events.kind, offset: [offset], count: [saved.events.count])
    try file.close()
  }

  /// What a checkpoint holds for the persons `range` (any decomposition).
  struct State {
    var position: RunPosition
    var saved: SavedArmState
    var completed: [[StepCounts]]
  }

  /// Reads the state for this rank's persons from a checkpoint copy
  /// (independent reads; every rank calls it).
  /// The counts of the arm in progress are global sums: rank 0 (`holdsCounts`)
  /// takes them, the other ranks start from zero, so the sum over ranks at the
  /// arm's end is right for any number of ranks.
  static func readState(
    path: String, range: Range<Int>, conditionCount: Int, interventionCount: Int,
    timePoints: Int, holdsCounts: Bool, physiology: Bool = false
  ) throws -> State {
    let file = try H5File.open(path: path)
    defer { try? file.close() }
    let group = try file.root().openGroup(groupName)
    let position = RunPosition(
      realisation: Int(try group.scalarAttribute("realisation", as: Int64.self)),
      arm: Int(try group.scalarAttribute("arm", as: Int64.self)),
      nextTimeIndex: Int(try group.scalarAttribute("next_time_index", as: Int64.self)))
    func perPerson(_ name: String) throws -> [UInt8] {
      try group.openDataset(name, of: UInt8.self).read(
        offset: [range.lowerBound], count: [range.count])
    }
    let counts =
      holdsCounts
      ? StepCounts(
        flattened: try group.openDataset("counts", of: Int64.self).read(),
        timePoints: timePoints, conditionCount: conditionCount)
      : StepCounts(timePoints: timePoints, conditionCount: conditionCount)
    let allPersons = try group.openDataset("event_person", of: Int64.self).read()
    let allTimes = try group.openDataset("event_time", of: Double.self).read()
    let allKinds = try group.openDataset("event_kind", of: UInt8.self).read()
    var events = EventLog()
    for index in allPersons.indices where range.contains(Int(allPersons[index])) {
      events.person.append(allPersons[index])
      events.time.append(allTimes[index])
      events.kind.append(allKinds[index])
    }
    let doneDataset = try group.openDataset("completed_counts", of: Int64.self)
    let flat = try doneDataset.read()
    let armsPerRealisation = try doneDataset.numericAttribute(
      "arms_per_realisation", as: Int64.self)
    let width = StepCounts(timePoints: timePoints, conditionCount: conditionCount).flattened.count
    var completed: [[StepCounts]] = []
    var cursor = 0
    for arms in armsPerRealisation {
      var realisation: [StepCounts] = []
      for _ in 0..<Int(arms) {
        realisation.append(
          StepCounts(
            flattened: Array(flat[cursor..<(cursor + width)]), timePoints: timePoints,
            conditionCount: conditionCount))
        cursor += width
      }
      completed.append(realisation)
    }
    let saved = SavedArmState(
      alive: try perPerson("alive"), cvdHistory: try perPerson("cvd_history"),
      smoking: try perPerson("smoking"), bpTreated: try perPerson("bp_treated"),
      conditions: try (0..<conditionCount).map { try perPerson("condition_\($0)") },
      started: try (0..<interventionCount).map { try perPerson("started_\($0)") },
      everTreated: interventionCount > 0 ? try perPerson("ever_treated") : [],
      counts: counts, events: events, nextTimeIndex: position.nextTimeIndex,
      physiology: physiology
        ? SavedPhysiologyState(
          columns: try SavedPhysiologyState.columnNames.map {
            try group.openDataset("physiology_\($0)", of: Double.self).read(
              offset: [range.lowerBound], count: [range.count])
          }) : nil)
    return State(position: position, saved: saved, completed: completed)
  }
}

/// A 64-bit checksum of a file's bytes, to detect truncated or corrupted
/// checkpoints (not an adversary: the secure layer signs what must be
/// trusted). FNV-1a over 8-byte little-endian words, then a SplitMix64
/// finalizer with the length, streamed in 4 MiB blocks.
enum FileChecksum {
  static func of(path: String) throws -> String {
    guard let handle = FileHandle(forReadingAtPath: path) else {
      throw CheckpointError("cannot read \(path)")
    }
    defer { try? handle.close() }
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    var length: UInt64 = 0
    while true {
      let data = handle.readData(ofLength: 4 << 20)
      if data.isEmpty { break }
      length += UInt64(data.count)
      data.withUnsafeBytes { raw in
        let words = raw.count / 8
        for index in 0..<words {
          let word = UInt64(
            littleEndian: raw.loadUnaligned(fromByteOffset: index * 8, as: UInt64.self))
          hash = (hash ^ word) &* 0x0000_0100_0000_01b3
        }
        for index in (words * 8)..<raw.count {
          hash = (hash ^ UInt64(raw[index])) &* 0x0000_0100_0000_01b3
        }
      }
    }
    var z = hash ^ length &+ 0x9E37_79B9_7F4A_7C15
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return String(format: "%016llx", z ^ (z >> 31))
  }

  static func of(text: String) -> String {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
    return String(format: "%016llx", hash)
  }
}

/// A checkpoint problem (missing, corrupt, from another scenario or version).
struct CheckpointError: Error, CustomStringConvertible {
  let description: String
  init(_ description: String) { self.description = description }
}

/// The checkpoints of a run folder (rank 0's file operations).
struct CheckpointStore {
  let directory: URL
  /// How many complete checkpoints to keep (the newest ones).
  let keep: Int

  func manifests() -> [CheckpointManifest] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
    return names.filter { $0.hasPrefix("checkpoint-") && $0.hasSuffix(".json") }.compactMap {
      guard
        let data = FileManager.default.contents(
          atPath: directory.appendingPathComponent($0).path)
      else { return nil }
      return try? JSONDecoder().decode(CheckpointManifest.self, from: data)
    }.sorted { $0.sequence > $1.sequence }
  }

  /// The newest checkpoint whose file matches its manifest, with a line per
  /// checkpoint skipped and why.
  func newestValid(scenarioChecksum: String) throws -> (CheckpointManifest, [String]) {
    var skipped: [String] = []
    let all = manifests()
    guard !all.isEmpty else {
      throw CheckpointError(
        "no checkpoint in \(directory.path): nothing to resume (run without --resume, "
          + "with --checkpoint-every to write checkpoints)")
    }
    for manifest in all {
      let path = directory.appendingPathComponent(manifest.file).path
      let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? -1
      guard size == manifest.bytes else {
        skipped.append(
          "\(manifest.file): size \(size) bytes, manifest says \(manifest.bytes): skipped")
        continue
      }
      let checksum = try FileChecksum.of(path: path)
      guard checksum == manifest.checksum else {
        skipped.append(
          "\(manifest.file): checksum \(checksum), manifest says \(manifest.checksum): "
            + "corrupt, skipped")
        continue
      }
      guard manifest.softwareVersion == SoftwareVersion.string else {
        throw CheckpointError(
          "\(manifest.file) was written by twin-sim \(manifest.softwareVersion); this is "
            + "\(SoftwareVersion.string): results would differ, so it is not resumed. "
            + "Rerun from the start or use twin-sim \(manifest.softwareVersion)")
      }
      guard manifest.scenarioChecksum == scenarioChecksum else {
        throw CheckpointError(
          "\(manifest.file) belongs to a different scenario (the scenario file changed "
            + "since the checkpoint): not resumed. Restore the scenario or rerun from the start")
      }
      return (manifest, skipped)
    }
    throw CheckpointError(
      "no valid checkpoint in \(directory.path): " + skipped.joined(separator: "; "))
  }

  /// Removes unfinished checkpoint copies and manifests (`checkpoint-*.tmp`): a checkpoint
  /// interrupted by a failure, a full disk or a kill. Returns the names removed. Called at
  /// the start of every run into the folder (after the folder lock), after a complete run,
  /// and by a failing rank before the job is aborted.
  @discardableResult
  func removeTemporaryFiles() -> [String] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
    let stale = names.filter { $0.hasPrefix("checkpoint-") && $0.hasSuffix(".tmp") }.sorted()
    for name in stale {
      try? FileManager.default.removeItem(at: directory.appendingPathComponent(name))
    }
    return stale
  }

  /// Removes every checkpoint (after the run completed).
  func removeAll() {
    for manifest in manifests() {
      try? FileManager.default.removeItem(at: directory.appendingPathComponent(manifest.file))
      try? FileManager.default.removeItem(
        at: directory.appendingPathComponent(
          CheckpointFile.manifestName(sequence: manifest.sequence)))
    }
  }

  /// Publishes a finished checkpoint copy: checksum, rename, manifest, then
  /// removes checkpoints beyond `keep`.
  func publish(
    temporaryPath: String, sequence: Int, position: RunPosition, scenarioChecksum: String,
    mpiRanks: Int
  ) throws {
    let name = CheckpointFile.name(sequence: sequence)
    let finalPath = directory.appendingPathComponent(name).path
    let handle = FileHandle(forUpdatingAtPath: temporaryPath)
    try handle?.synchronize()
    try handle?.close()
    let bytes = try FileManager.default.attributesOfItem(atPath: temporaryPath)[.size] as? Int ?? 0
    let checksum = try FileChecksum.of(path: temporaryPath)
    try? FileManager.default.removeItem(atPath: finalPath)
    try FileManager.default.moveItem(atPath: temporaryPath, toPath: finalPath)
    let manifest = CheckpointManifest(
      sequence: sequence, file: name, bytes: bytes, checksum: checksum, position: position,
      scenarioChecksum: scenarioChecksum, softwareVersion: SoftwareVersion.string,
      mpiRanks: mpiRanks, created: UTCTime.string(Date()))
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    let manifestURL = directory.appendingPathComponent(
      CheckpointFile.manifestName(sequence: sequence))
    let temporaryManifest = manifestURL.path + ".tmp"
    try encoder.encode(manifest).write(to: URL(fileURLWithPath: temporaryManifest))
    try? FileManager.default.removeItem(at: manifestURL)
    try FileManager.default.moveItem(atPath: temporaryManifest, toPath: manifestURL.path)
    for old in manifests().dropFirst(keep) {
      try? FileManager.default.removeItem(at: directory.appendingPathComponent(old.file))
      try? FileManager.default.removeItem(
        at: directory.appendingPathComponent(CheckpointFile.manifestName(sequence: old.sequence)))
    }
  }
}
