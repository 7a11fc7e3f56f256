import ArgumentParser
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
}
