import Foundation

/// Open MPI's search for Omni-Path and InfiniPath hardware, skipped where the
/// hardware is absent.
///
/// Debian's Open MPI 4.1 opens its `psm2` (Omni-Path) and `psm` (InfiniPath)
/// message-transport components in every process. Loading each component's
/// library runs a constructor that calibrates the CPU clock by sleeping, about
/// 0.1 s each, before the component looks for its device (`/dev/hfi1_N`,
/// `/dev/ipath`), finds none and reports itself unavailable. On a node without
/// either device, excluding the two components before `MPI_Init` changes
/// nothing but the time (0.23 s -> 0.03 s for `MPI_Init` on the benchmark
/// machine; docs/operations.md, "MPI start-up time").
///
/// The exclusion goes through the `OMPI_MCA_mtl` environment variable, which
/// outranks Open MPI's parameter files. So it is set only when it cannot change
/// what the files ask for: when no file sets `mtl`, or every file that does
/// sets an exclusion list (`mtl = ^ofi`, Debian's default), whose components it
/// repeats. An inclusion list in a file, any `mtl` or `pml` choice in the
/// environment (also from `mpirun --mca`), other parameter-file locations, or
/// `TWIN_SIM_MPI_PROBE=all` leave Open MPI alone.
public enum OpenMPIFabricProbe {
  /// The environment variable that turns the skip off (`all`: Open MPI probes
  /// everything, as without twin-sim); `auto` or unset: skip where absent.
  public static let controlVariable = "TWIN_SIM_MPI_PROBE"
  /// Values `controlVariable` accepts.
  public static let controlValues = ["auto", "all"]

  /// The message-transport components skipped, with the device paths (glob
  /// patterns) whose presence keeps each: what the component itself checks.
  public static let components: [(name: String, devices: [String])] = [
    ("psm2", ["/dev/hfi1_[0-9]", "/dev/hfi1_[0-9][0-9]"]),
    ("psm", ["/dev/ipath", "/dev/ipath[0-9]*"]),
  ]

  /// Environment variables by which a user or launcher chooses Open MPI's
  /// transport or its parameter files: any of them set, twin-sim does not
  /// touch the transport selection.
  public static let userChoiceVariables = [
    "OMPI_MCA_mtl", "OMPI_MCA_pml", "OMPI_MCA_mca_base_param_files", "OMPI_MCA_mca_param_files",
    "OMPI_MCA_mca_base_param_file_prefix", "OMPI_MCA_mca_base_envar_file_prefix",
  ]

  /// Parameter-file keys that redirect Open MPI to other parameter files.
  static let redirectingKeys: Set<String> = [
    "mca_base_param_files", "mca_param_files", "mca_base_param_file_prefix",
    "mca_base_envar_file_prefix",
  ]

  /// What to do, and why (for run.log).
  public enum Decision: Equatable, Sendable {
    /// Set `OMPI_MCA_mtl` to `value`; `skipped` are the components excluded.
    case exclude(value: String, skipped: [String])
    /// Leave Open MPI's selection alone.
    case keep(reason: String)
  }

  /// One Open MPI parameter file's text, by path.
  public struct ParameterFile: Equatable, Sendable {
    public var path: String
    public var text: String
    public init(path: String, text: String) {
      self.path = path
      self.text = text
    }
  }

  /// The decision from the environment, the parameter files Open MPI reads
  /// (those that exist) and the device paths present on this node.
  public static func decide(
    environment: [String: String], parameterFiles: [ParameterFile], presentDevices: Set<String>
  ) -> Decision {
    if environment[controlVariable] == "all" {
      return .keep(reason: "\(controlVariable)=all")
    }
    if let variable = userChoiceVariables.first(where: { environment[$0] != nil }) {
      return .keep(reason: "\(variable) is set")
    }
    let absent = components.filter { component in
      !component.devices.contains { pattern in
        presentDevices.contains { matches(pattern: pattern, path: $0) }
      }
    }.map(\.name)
    if absent.isEmpty { return .keep(reason: "Omni-Path and InfiniPath devices present") }
    var excluded: [String] = []
    for file in parameterFiles {
      for (key, value) in settings(file.text) {
        if redirectingKeys.contains(key) {
          return .keep(reason: "\(file.path) sets \(key)")
        }
        guard key == "mtl" else { continue }
        guard value.hasPrefix("^") else {
          return .keep(reason: "\(file.path) sets mtl = \(value)")
        }
        for name in value.dropFirst().split(separator: ",") {
          let name = name.trimmingCharacters(in: .whitespaces)
          if !name.isEmpty && !excluded.contains(name) { excluded.append(name) }
        }
      }
    }
    let skipped = absent.filter { !excluded.contains($0) }
    if skipped.isEmpty { return .keep(reason: "the parameter files exclude them already") }
    return .exclude(value: "^" + (excluded + skipped).joined(separator: ","), skipped: skipped)
  }

  /// `key = value` pairs of an Open MPI parameter file, in order (`#` starts a
  /// comment line; blank lines and lines without `=` are ignored, as Open MPI does).
  static func settings(_ text: String) -> [(key: String, value: String)] {
    text.split(whereSeparator: \.isNewline).compactMap { line in
      let trimmed = line.trimmingCharacters(in: .whitespaces)
      guard !trimmed.hasPrefix("#"), let equals = trimmed.firstIndex(of: "=") else { return nil }
      let key = trimmed[..<equals].trimmingCharacters(in: .whitespaces)
      var value = trimmed[trimmed.index(after: equals)...].trimmingCharacters(in: .whitespaces)
      if value.count >= 2, value.first == "\"", value.last == "\"" {
        value = String(value.dropFirst().dropLast())
      }
      return key.isEmpty ? nil : (key, value)
    }
  }

  /// Whether `path` matches the glob `pattern` (fnmatch: `*`, `?`, `[...]`).
  static func matches(pattern: String, path: String) -> Bool {
    fnmatch(pattern, path, 0) == 0
  }

  /// The parameter files Open MPI reads by default: the user's
  /// `$HOME/.openmpi/mca-params.conf` and `openmpi-mca-params.conf` in the
  /// candidate configuration folders (`OPAL_SYSCONFDIR`, `OPAL_PREFIX/etc`,
  /// the folder beside the loaded libmpi's `lib`, Debian's `/etc/openmpi`). A
  /// file read here that Open MPI does not read can only make twin-sim leave Open
  /// MPI alone or repeat that file's exclusions.
  public static func defaultParameterFilePaths(
    environment: [String: String], mpiLibraryPath: String?
  ) -> [String] {
    var paths: [String] = []
    if let home = environment["HOME"] { paths.append(home + "/.openmpi/mca-params.conf") }
    var folders: [String] = []
    if let folder = environment["OPAL_SYSCONFDIR"] { folders.append(folder) }
    if let prefix = environment["OPAL_PREFIX"] { folders.append(prefix + "/etc") }
    if let library = mpiLibraryPath {
      let prefix = URL(fileURLWithPath: library).deletingLastPathComponent()
        .deletingLastPathComponent()
      folders.append(prefix.appendingPathComponent("etc").path)
    }
    folders.append("/etc/openmpi")
    for folder in folders {
      let path = folder + "/openmpi-mca-params.conf"
      if !paths.contains(path) { paths.append(path) }
    }
    return paths
  }

  /// The path of the libmpi this process loaded, from /proc/self/maps (read
  /// with read(2): the file reports size 0); nil where there is no such file.
  static func loadedMPILibraryPath() -> String? {
    let descriptor = open("/proc/self/maps", O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { return nil }
    defer { close(descriptor) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 1 << 16)
    while true {
      let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
      if count < 0 && errno == EINTR { continue }
      if count <= 0 { break }
      bytes.append(contentsOf: buffer[..<count])
    }
    for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
      guard let slash = line.firstIndex(of: "/") else { continue }
      let path = String(line[slash...])
      if URL(fileURLWithPath: path).lastPathComponent.hasPrefix("libmpi.so") { return path }
    }
    return nil
  }

  /// The decision for this process, from its environment, files and devices.
  static func decideForThisProcess() -> Decision {
    let environment = ProcessInfo.processInfo.environment
    let files = defaultParameterFilePaths(
      environment: environment, mpiLibraryPath: loadedMPILibraryPath()
    ).compactMap { path in
      (try? String(contentsOfFile: path, encoding: .utf8)).map {
        ParameterFile(path: path, text: $0)
      }
    }
    var present = Set<String>()
    for component in components {
      for pattern in component.devices {
        var found = glob_t()
        defer { globfree(&found) }
        guard glob(pattern, 0, nil, &found) == 0 else { continue }
        for index in 0..<Int(found.gl_pathc) {
          if let path = found.gl_pathv[index] { present.insert(String(cString: path)) }
        }
      }
    }
    return decide(environment: environment, parameterFiles: files, presentDevices: present)
  }
}
