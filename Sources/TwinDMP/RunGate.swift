import Foundation

/// The DMP gate of a run, composed for the CLI and the run driver: loads the
/// plan, asks where this site is and checks the planned run. The run driver
/// calls it on one rank before any work starts and refuses the run (exit 2)
/// when the result is not empty.
public enum RunGate {
  /// Every violation of the DMP at `dmpFile` by a run of `step` writing
  /// `runFolder/results.h5` (encrypted or not) and reading `inputs`.
  /// Throws `DMPValidationFailure` for an invalid DMP and
  /// `SiteLocation.Failure` for a malformed site declaration.
  public static func violations(
    dmpFile: String, step: String, runFolder: String, inputs: [String],
    encryptedOutput: Bool,
    environment: [String: String] = ProcessInfo.processInfo.environment
  ) throws -> (location: String?, violations: [Violation]) {
    let result = URL(fileURLWithPath: runFolder).appendingPathComponent(RunRecord.completeName)
    return try violations(
      dmpFile: dmpFile, step: step, output: result.path, inputs: inputs,
      encryptedOutput: encryptedOutput, environment: environment)
  }

  /// Every violation of the DMP at `dmpFile` by a run of `step` whose result
  /// is the file `output` (for a secure job: the ciphertext it publishes) and
  /// which reads `inputs`. With `checkingSite` false the site's location is
  /// neither read nor judged (a bundle packed on a workstation; the secure
  /// node checks its own). Throws as `violations(dmpFile:step:runFolder:...)`.
  public static func violations(
    dmpFile: String, step: String, output: String, inputs: [String], encryptedOutput: Bool,
    checkingSite: Bool = true,
    environment: [String: String] = ProcessInfo.processInfo.environment
  ) throws -> (location: String?, violations: [Violation]) {
    let plan = try DataManagementPlan.load(path: dmpFile)
    let location = checkingSite ? try SiteLocation.current(environment: environment) : nil
    let violations = DMPCheck.check(
      plan: plan, step: step, outputs: [PlannedOutput(path: output, encrypted: encryptedOutput)],
      inputs: inputs, location: location, checkingSite: checkingSite)
    return (location, violations)
  }
}

extension RunCrate {
  /// Writes the crate of a finished (or failed) run folder: reads the result
  /// file's attributes, then `write(run:...)`. For the run driver, after the
  /// result file is closed and renamed, on one rank.
  public static func write(
    runFolder: URL, inputs: [URL] = [], softwareURL: String,
    license: CrateLicense = .governedByDMP,
    environment: [String: String] = ProcessInfo.processInfo.environment
  ) throws -> URL {
    let run = try RunRecord.inspect(folder: runFolder)
    return try write(
      run: run, softwareURL: softwareURL, inputs: inputs,
      agent: Agent.fromEnvironment(environment), license: license, environment: environment)
  }
}
