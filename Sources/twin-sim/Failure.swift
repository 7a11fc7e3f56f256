import ArgumentParser
import Foundation

/// Exit code for invalid input (scenario, arguments out of a model's range).
/// Documented in docs/cli.md; scripts rely on it.
let exitCodeInvalidInput: Int32 = 2

/// Prints `twin-sim: error: MESSAGE` on standard error and returns the exit
/// code for invalid input, for `throw reportInvalidInput(...)`.
func reportInvalidInput(_ message: String) -> ExitCode {
  printError("twin-sim: error: \(message)")
  return ExitCode(exitCodeInvalidInput)
}

/// Writes one line to standard error.
func printError(_ line: String) {
  FileHandle.standardError.write(Data((line + "\n").utf8))
}
