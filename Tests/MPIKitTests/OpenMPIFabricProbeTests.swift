import Testing

@testable import MPIKit

/// The decision to skip Open MPI's psm/psm2 components: it may only add
/// exclusions of components whose device is absent, and never replace a choice
/// made in the environment or an inclusion list in a parameter file.
struct OpenMPIFabricProbeTests {
  typealias Probe = OpenMPIFabricProbe
  let debian = Probe.ParameterFile(
    path: "/etc/openmpi/openmpi-mca-params.conf",
    text: """
      # comment
      btl_base_warn_component_unused=0
      mtl = ^ofi
      btl = ^uct,openib,ofi
      pml = ^ucx
      """)

  @Test func debiansExclusionListIsKeptAndExtendedWhereNoDeviceExists() {
    #expect(
      Probe.decide(environment: [:], parameterFiles: [debian], presentDevices: [])
        == .exclude(value: "^ofi,psm2,psm", skipped: ["psm2", "psm"]))
    #expect(
      Probe.decide(environment: [:], parameterFiles: [], presentDevices: [])
        == .exclude(value: "^psm2,psm", skipped: ["psm2", "psm"]))
    // Several files: every exclusion is repeated once, in order.
    let user = Probe.ParameterFile(
      path: "/home/a/.openmpi/mca-params.conf", text: "mtl=^psm, ofi\n")
    #expect(
      Probe.decide(environment: [:], parameterFiles: [user, debian], presentDevices: [])
        == .exclude(value: "^psm,ofi,psm2", skipped: ["psm2"]))
  }

  @Test func aComponentWhoseDeviceExistsIsProbed() {
    #expect(
      Probe.decide(environment: [:], parameterFiles: [debian], presentDevices: ["/dev/hfi1_0"])
        == .exclude(value: "^ofi,psm", skipped: ["psm"]))
    #expect(
      Probe.decide(environment: [:], parameterFiles: [debian], presentDevices: ["/dev/hfi1_12"])
        == .exclude(value: "^ofi,psm", skipped: ["psm"]))
    #expect(
      Probe.decide(environment: [:], parameterFiles: [], presentDevices: ["/dev/ipath"])
        == .exclude(value: "^psm2", skipped: ["psm2"]))
    // /dev/hfi1 alone (no unit) is not what the psm2 component looks for.
    #expect(
      Probe.decide(environment: [:], parameterFiles: [], presentDevices: ["/dev/hfi1"])
        == .exclude(value: "^psm2,psm", skipped: ["psm2", "psm"]))
    guard
      case .keep = Probe.decide(
        environment: [:], parameterFiles: [debian],
        presentDevices: ["/dev/hfi1_0", "/dev/ipath"])
    else {
      Issue.record("both devices present: nothing to skip")
      return
    }
  }

  @Test func choicesInTheEnvironmentOrAnInclusionListAreLeftAlone() {
    for variable in Probe.userChoiceVariables {
      #expect(
        Probe.decide(environment: [variable: "x"], parameterFiles: [debian], presentDevices: [])
          == .keep(reason: "\(variable) is set"))
    }
    #expect(
      Probe.decide(
        environment: ["TWIN_SIM_MPI_PROBE": "all"], parameterFiles: [], presentDevices: [])
        == .keep(reason: "TWIN_SIM_MPI_PROBE=all"))
    #expect(
      Probe.decide(
        environment: ["TWIN_SIM_MPI_PROBE": "auto"], parameterFiles: [], presentDevices: [])
        == .exclude(value: "^psm2,psm", skipped: ["psm2", "psm"]))
    let inclusion = Probe.ParameterFile(path: "/site/openmpi-mca-params.conf", text: "mtl = psm2\n")
    #expect(
      Probe.decide(environment: [:], parameterFiles: [debian, inclusion], presentDevices: [])
        == .keep(reason: "/site/openmpi-mca-params.conf sets mtl = psm2"))
    let redirect = Probe.ParameterFile(
      path: "/site/openmpi-mca-params.conf", text: "mca_base_param_files = /other.conf\n")
    #expect(
      Probe.decide(environment: [:], parameterFiles: [redirect], presentDevices: [])
        == .keep(reason: "/site/openmpi-mca-params.conf sets mca_base_param_files"))
    let already = Probe.ParameterFile(path: "/site/f.conf", text: "mtl = ^psm,psm2,ofi")
    #expect(
      Probe.decide(environment: [:], parameterFiles: [already], presentDevices: [])
        == .keep(reason: "the parameter files exclude them already"))
  }

  @Test func parameterFilesAreReadAsOpenMPIReadsThem() {
    let settings = Probe.settings(
      """
        # mtl = psm2
      mtl_base_verbose = 0
      mtl = "^ofi"
      no equals sign here

      """)
    #expect(settings.map(\.key) == ["mtl_base_verbose", "mtl"])
    #expect(settings.map(\.value) == ["0", "^ofi"])
  }

  @Test func theFilesReadIncludeTheUsersTheSitesAndDebians() {
    let paths = Probe.defaultParameterFilePaths(
      environment: ["HOME": "/home/a", "OPAL_PREFIX": "/opt/ompi"],
      mpiLibraryPath: "/opt/ompi/lib/libmpi.so.40")
    #expect(
      paths == [
        "/home/a/.openmpi/mca-params.conf", "/opt/ompi/etc/openmpi-mca-params.conf",
        "/etc/openmpi/openmpi-mca-params.conf",
      ])
    // This process (not started by mpirun) finds its own libmpi.
    #expect(Probe.loadedMPILibraryPath()?.contains("libmpi.so") == true)
  }
}
