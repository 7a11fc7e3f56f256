import Foundation

/// Paths and subprocesses shared by the TwinSecure tests.
enum TestSupport {
  /// The repository root (three levels above this file).
  static let repositoryRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

  /// The repository's copies of published standards and test vectors
  /// (`Tests/fixtures/standards`; each folder's README names source and licence).
  static let standardsFolder = repositoryRoot.appendingPathComponent("Tests/fixtures/standards")

  struct ProcessResult {
    var status: Int32
    var standardOutput: [UInt8]
    var standardError: String
  }

  /// Runs `executable` (looked up in PATH) with `arguments`, feeding `input`.
  static func run(_ executable: String, _ arguments: [String], input: [UInt8] = [])
    throws -> ProcessResult
  {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [executable] + arguments
    let inputPipe = Pipe()
    let outputPipe = Pipe()
    let errorFile = FileManager.default.temporaryDirectory
      .appendingPathComponent("twin-secure-test-\(UUID().uuidString).err")
    FileManager.default.createFile(atPath: errorFile.path, contents: nil)
    defer { try? FileManager.default.removeItem(at: errorFile) }
    process.standardInput = inputPipe
    process.standardOutput = outputPipe
    process.standardError = try FileHandle(forWritingTo: errorFile)
    try process.run()
    // Feed input on another thread so a full output pipe cannot deadlock us.
    let writer = Thread {
      try? inputPipe.fileHandleForWriting.write(contentsOf: input)
      try? inputPipe.fileHandleForWriting.close()
    }
    writer.start()
    let output = outputPipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let errorText = (try? String(contentsOf: errorFile, encoding: .utf8)) ?? ""
    return ProcessResult(
      status: process.terminationStatus, standardOutput: [UInt8](output),
      standardError: errorText)
  }

  /// A temporary folder removed by the caller.
  static func makeTemporaryFolder() throws -> URL {
    let url = FileManager.default.temporaryDirectory
      .appendingPathComponent("twin-secure-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
  }
}
