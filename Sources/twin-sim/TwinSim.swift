import ArgumentParser
import Foundation
import TwinCore

/// The `twin-sim` command. A thin face: each subcommand lives in its own file,
/// parses its arguments and calls into the layers below; none computes.
@main
struct TwinSim: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "twin-sim",
    abstract: "Simulate populations of virtual humans (digital twins) on HPC systems.",
    discussion: """
      twin-sim simulates cohorts of virtual humans over decades with published
      cardiovascular risk equations, life tables and what-if arms, distributed
      with MPI and written to one HDF5 file.

      Typical use:
        twin-sim validate scenarios/quickstart.yaml
        twin-sim scenarios/quickstart.yaml            (same as: twin-sim run ...)
        mpirun -n 4 twin-sim scenarios/quickstart.yaml
        twin-sim risk --equation score2 --sex male --age 50 \\
                      --total-cholesterol 6.3 --hdl 1.4 --sbp 140 --smoker
        mpirun -n 2 twin-sim selftest

      Documentation: README.md and docs/ in the source tree.
      """,
    version: SoftwareVersion.string,
    subcommands: [
      Run.self,
      Validate.self,
      Risk.self,
      Physiology.self,
      Summary.self,
      Report.self,
      Export.self,
      DMP.self,
      Provenance.self,
      CatalogCommand.self,
      Secure.self,
      KMS.self,
      SelfTest.self,
    ],
    defaultSubcommand: Run.self
  )

  /// As ArgumentParser's `main()`, except that a usage error (an unknown option, a missing
  /// argument, a value of the wrong form) exits with 2, the code every twin-sim command
  /// documents for invalid input, instead of ArgumentParser's 64.
  static func main() {
    do {
      var command = try parseAsRoot()
      try command.run()
    } catch {
      guard exitCode(for: error) == .validationFailure else { exit(withError: error) }
      FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
      Foundation.exit(2)
    }
  }
}
