import Foundation

/// What a Prolog asks Slurm about a job, through `scontrol` (slurmctld holds
/// the spooled batch script; the Prolog runs as root or SlurmUser).
public enum SlurmJobQuery {
  /// Runs `scontrol` with `arguments` and returns its standard output.
  static func scontrol(_ arguments: [String]) throws -> [UInt8] {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["scontrol"] + arguments
    let outputPipe = Pipe()
    process.standardOutput = outputPipe
    process.standardError = FileHandle.nullDevice
    try process.run()
    let output = outputPipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
      throw BundleError.invalidInput(
        "scontrol \(arguments.joined(separator: " ")) failed with status \(process.terminationStatus)"
      )
    }
    return [UInt8](output)
  }

  /// The batch script Slurm spooled for `jobID` (`scontrol write batch_script ID -`).
  public static func spooledScript(jobID: String) throws -> [UInt8] {
    try scontrol(["write", "batch_script", jobID, "-"])
  }

  /// The job's working directory (`WorkDir=` of `scontrol show job -o ID`).
  public static func workDirectory(jobID: String) throws -> String {
    let line = String(decoding: try scontrol(["show", "job", "-o", jobID]), as: UTF8.self)
    guard let folder = workDirectory(fromShowJobLine: line) else {
      throw BundleError.invalidInput("scontrol show job \(jobID) names no WorkDir")
    }
    return folder
  }

  /// Parses `WorkDir=...` out of one line of `scontrol show job -o`.
  static func workDirectory(fromShowJobLine line: String) -> String? {
    for field in line.split(whereSeparator: { $0 == " " || $0 == "\n" })
    where field.hasPrefix("WorkDir=") {
      let value = String(field.dropFirst("WorkDir=".count))
      return value.isEmpty ? nil : value
    }
    return nil
  }
}
