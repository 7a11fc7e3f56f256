import Foundation
import Testing

@testable import TwinSecure

/// Output files that appear only when complete: while one is written, no name
/// in its folder leads to its bytes (docs/security.md, "age encryption").
struct SafeOutputFileTests {
  static func names(in folder: URL) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
  }

  /// A new folder on a file system that makes files without a name: in the
  /// temporary folder, else (an old overlayfs, say) in /dev/shm (tmpfs).
  static func makeUnnamedCapableFolder() throws -> URL {
    for base in [FileManager.default.temporaryDirectory, URL(fileURLWithPath: "/dev/shm")] {
      let folder = base.appendingPathComponent("twin-secure-\(UUID().uuidString)")
      guard
        (try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: false))
          != nil
      else { continue }
      if let descriptor = try? SafeOutputFile.openUnnamed(in: folder.path, permissions: 0o600) {
        close(descriptor)
        return folder
      }
      try? FileManager.default.removeItem(at: folder)
    }
    throw AgeError.io("neither the temporary folder nor /dev/shm supports O_TMPFILE")
  }

  @Test func bytesHaveNoNameInTheFolderUntilCommit() throws {
    let folder = try Self.makeUnnamedCapableFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let target = folder.appendingPathComponent("cohort.csv")
    let file = try SafeOutputFile(finalURL: target)
    try file.handle.write(contentsOf: Data("sex,age\nfemale,55\n".utf8))
    #expect(try Self.names(in: folder) == [])
    try file.commit()
    #expect(try Self.names(in: folder) == ["cohort.csv"])
    #expect(try String(contentsOf: target, encoding: .utf8) == "sex,age\nfemale,55\n")
    let mode = try FileManager.default.attributesOfItem(atPath: target.path)[.posixPermissions]
    #expect(mode as? Int == 0o600)
    file.discard()  // after commit: keeps the file
    #expect(try Self.names(in: folder) == ["cohort.csv"])
  }

  @Test func discardLeavesNothingAndCommitReplacesAnOlderFile() throws {
    let folder = try Self.makeUnnamedCapableFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let target = folder.appendingPathComponent("out.bin")
    let abandoned = try SafeOutputFile(finalURL: target)
    try abandoned.handle.write(contentsOf: Data(repeating: 0x41, count: 100_000))
    abandoned.discard()
    #expect(try Self.names(in: folder) == [])
    try Data("old\n".utf8).write(to: target)
    let file = try SafeOutputFile(finalURL: target)
    try file.handle.write(contentsOf: Data("new\n".utf8))
    #expect(try String(contentsOf: target, encoding: .utf8) == "old\n")
    try file.commit()
    #expect(try Self.names(in: folder) == ["out.bin"])
    #expect(try String(contentsOf: target, encoding: .utf8) == "new\n")
  }
}

extension SafeOutputFileTests {
  @Test func unnamedFilesAreUsedWhereTheFileSystemAllows() throws {
    let folder = try Self.makeUnnamedCapableFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let file = try SafeOutputFile(finalURL: folder.appendingPathComponent("x"))
    defer { file.discard() }
    #expect(file.storage == .unnamed)
  }

  @Test func fallbackWritesANamedPartialFileThatCommitRenamesAndDiscardRemoves() throws {
    // Where the file system has no O_TMPFILE: the documented fallback and its
    // risk (the named partial file exists while the bytes are written).
    let folder = try TestSupport.makeTemporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let target = folder.appendingPathComponent("cohort.csv")
    let file = try SafeOutputFile(finalURL: target, permissions: 0o600, allowUnnamed: false)
    guard case .named(let partial) = file.storage else {
      Issue.record("expected the named fallback")
      return
    }
    #expect(partial.lastPathComponent.hasPrefix(".cohort.csv.partial-"))
    try file.handle.write(contentsOf: Data("female,55\n".utf8))
    #expect(try Self.names(in: folder) == [partial.lastPathComponent])
    let mode = try FileManager.default.attributesOfItem(atPath: partial.path)[.posixPermissions]
    #expect(mode as? Int == 0o600)
    try file.commit()
    #expect(try Self.names(in: folder) == ["cohort.csv"])
    let abandoned = try SafeOutputFile(finalURL: target, permissions: 0o600, allowUnnamed: false)
    try abandoned.handle.write(contentsOf: Data("male,61\n".utf8))
    abandoned.discard()
    #expect(try Self.names(in: folder) == ["cohort.csv"])
    #expect(try String(contentsOf: target, encoding: .utf8) == "female,55\n")
  }

  @Test func decryptionThatFailsLeavesNoFileUnnamedOrNamed() throws {
    let folder = try Self.makeUnnamedCapableFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let identity = AgeIdentity()
    let sealed = try Age.encrypt(
      [UInt8](repeating: 0x41, count: 200_000), recipients: [identity.recipient])
    var damaged = sealed
    damaged[damaged.count - 100] ^= 1
    let input = folder.appendingPathComponent("in.age")
    try Data(damaged).write(to: input)
    let out = folder.appendingPathComponent("out")
    try FileManager.default.createDirectory(at: out, withIntermediateDirectories: false)
    #expect(throws: AgeError.self) {
      try AgeFile.decrypt(
        inputPath: input.path, outputPath: out.appendingPathComponent("plain").path,
        identities: [identity])
    }
    #expect(try Self.names(in: out) == [])
  }
}
