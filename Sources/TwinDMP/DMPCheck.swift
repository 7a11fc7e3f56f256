import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A file a workflow step is about to write.
public struct PlannedOutput: Sendable, Hashable {
  /// The file's path (absolute, or relative to the current folder).
  public var path: String
  /// Whether the secure layer writes it encrypted (ciphertext only leaves the job).
  public var encrypted: Bool

  public init(path: String, encrypted: Bool) {
    self.path = path
    self.encrypted = encrypted
  }
}

/// A way in which a planned run breaks its DMP, citing the DMP entry.
public struct Violation: Sendable, Hashable, CustomStringConvertible {
  /// The DMP entry the rule comes from, e.g. `/dmp/dataset/0/personal_data`.
  public var pointer: JSONPointer
  public var message: String

  public init(pointer: JSONPointer, message: String) {
    self.pointer = pointer
    self.message = message
  }

  public var description: String {
    "\(message) (DMP entry \(pointer.description.isEmpty ? "/" : pointer.description))"
  }
}

/// The check a run passes before any work starts (docs/dmp.md, "Enforcement").
/// Pure: it reads no files and no environment; the caller resolves paths,
/// encryption and the site's location.
public enum DMPCheck {
  /// Every violation of `plan` by a run of workflow step `step` that writes
  /// `outputs`, reads `inputs` (paths) and runs at `location` (ISO 3166-1
  /// alpha-2, nil when the site does not say). Empty when the run may start.
  ///
  /// Rules: the step exists; each output is a file of a dataset (a
  /// distribution's `twin_sim:path` matches it) that the step `writes`; an
  /// output of a dataset with personal or sensitive data `yes` or `unknown`
  /// is encrypted and every distribution of that dataset has `data_access`
  /// closed or shared; the site's location and each matched distribution's
  /// `host.geo_location` are in `twin_sim:allowed_geo_locations`; each input
  /// is a file of a dataset the step `reads`. With `checkingSite` false the
  /// site's location is not judged (a secure job packed on a workstation: the
  /// node that runs it checks its own location).
  public static func check(
    plan: DataManagementPlan, step stepName: String, outputs: [PlannedOutput],
    inputs: [String], location: String?, checkingSite: Bool = true
  ) -> [Violation] {
    var violations: [Violation] = []
    guard let step = plan.step(named: stepName) else {
      let names = plan.steps.map(\.name).joined(separator: ", ")
      violations.append(
        Violation(
          pointer: plan.stepsPointer,
          message:
            "the DMP has no workflow step '\(stepName)' (steps: \(names.isEmpty ? "none" : names))"
        ))
      return violations
    }
    if checkingSite { violations += checkLocation(plan: plan, location: location) }
    for output in outputs {
      let matches = plan.files(matching: output.path)
      guard !matches.isEmpty else {
        violations.append(
          Violation(
            pointer: JSONPointer(["dmp", "dataset"]),
            message:
              "output '\(output.path)' is not a file of any dataset of the DMP (no distribution's"
              + " \(DMPDistribution.pathKey) matches it)"))
        continue
      }
      for (dataset, distribution) in matches {
        if !step.writes.contains(dataset.identifier) {
          violations.append(
            Violation(
              pointer: step.pointer.appending("writes"),
              message:
                "step '\(step.name)' may not write dataset '\(dataset.identifier)' (output '\(output.path)')"
            ))
        }
        violations += checkProtection(dataset: dataset, output: output)
        violations += checkHost(plan: plan, distribution: distribution, file: output.path)
      }
    }
    for input in inputs {
      let matches = plan.files(matching: input)
      if matches.isEmpty {
        violations.append(
          Violation(
            pointer: JSONPointer(["dmp", "dataset"]),
            message: "input '\(input)' is not a file of any dataset of the DMP"))
      } else if !matches.contains(where: { step.reads.contains($0.dataset.identifier) }) {
        let names = matches.map(\.dataset.identifier).joined(separator: ", ")
        violations.append(
          Violation(
            pointer: step.pointer.appending("reads"),
            message: "step '\(step.name)' may not read dataset \(names) (input '\(input)')"))
      }
    }
    return violations
  }

  private static func checkLocation(plan: DataManagementPlan, location: String?) -> [Violation] {
    guard let location else {
      return [
        Violation(
          pointer: plan.allowedGeoLocationsPointer,
          message:
            "this site's location is unknown; set \(SiteLocation.environmentVariable) or"
            + " geo_location in \(SiteLocation.defaultConfigPath) (docs/dmp.md)")
      ]
    }
    if plan.allowedGeoLocations.contains(location) { return [] }
    let allowed = plan.allowedGeoLocations.joined(separator: ", ")
    return [
      Violation(
        pointer: plan.allowedGeoLocationsPointer,
        message:
          "this site is in \(location), which the DMP does not allow (allowed: \(allowed.isEmpty ? "none" : allowed))"
      )
    ]
  }

  private static func checkProtection(dataset: DMPDataset, output: PlannedOutput) -> [Violation] {
    guard dataset.needsProtection else { return [] }
    var violations: [Violation] = []
    let key = dataset.personalData != .no ? "personal_data" : "sensitive_data"
    let value = dataset.personalData != .no ? dataset.personalData : dataset.sensitiveData
    if !output.encrypted {
      violations.append(
        Violation(
          pointer: dataset.pointer.appending(key),
          message:
            "dataset '\(dataset.identifier)' has \(key) '\(value.rawValue)': output '\(output.path)'"
            + " must be written encrypted (a secure run)"))
    }
    for distribution in dataset.distributions where distribution.dataAccess == .open {
      violations.append(
        Violation(
          pointer: distribution.pointer.appending("data_access"),
          message:
            "dataset '\(dataset.identifier)' has \(key) '\(value.rawValue)' but distribution"
            + " '\(distribution.title)' has data_access 'open' (closed or shared required)"))
    }
    return violations
  }

  private static func checkHost(
    plan: DataManagementPlan, distribution: DMPDistribution, file: String
  ) -> [Violation] {
    guard let code = distribution.hostGeoLocation, !plan.allowedGeoLocations.contains(code)
    else { return [] }
    return [
      Violation(
        pointer: distribution.pointer.appending("host").appending("geo_location"),
        message:
          "distribution '\(distribution.title)' (for '\(file)') is hosted in \(code), not in the"
          + " DMP's allow-list")
    ]
  }
}

extension DataManagementPlan {
  /// The (dataset, distribution) pairs whose `twin_sim:path` pattern matches
  /// `path`. Both are made absolute and normalised (`.`/`..` removed) first;
  /// `*`, `?` and `[...]` match within one path component (fnmatch, FNM_PATHNAME).
  public func files(matching path: String) -> [(dataset: DMPDataset, distribution: DMPDistribution)]
  {
    let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
    var matches: [(dataset: DMPDataset, distribution: DMPDistribution)] = []
    for dataset in datasets {
      for distribution in dataset.distributions {
        guard let pattern = distribution.pathPattern else { continue }
        let resolved =
          pattern.hasPrefix("/")
          ? URL(fileURLWithPath: pattern).standardizedFileURL.path
          : baseDirectory.appendingPathComponent(pattern).standardizedFileURL.path
        if fnmatch(resolved, absolute, FNM_PATHNAME) == 0 {
          matches.append((dataset, distribution))
        }
      }
    }
    return matches
  }
}
