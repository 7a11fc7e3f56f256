import Foundation

/// The scenario's cross-key rules: checks that involve keys in different parts
/// of the file. Each is documented through its `doc` text in the key reference.
extension ScenarioSchema {
  /// `baseline` names one of the arms.
  static let baselineNamesAnArm = CrossRule(doc: "`baseline` names an arm") { context in
    guard context.object.isGiven("baseline"), let baseline = context.object["baseline"]?.string,
      let arms = context.object["arms"]?.sequence
    else { return }
    let names = arms.compactMap { $0.object?["name"]?.string }
    guard names.count == arms.count, !names.contains(baseline) else { return }
    var unique: [String] = []
    for name in names where !unique.contains(name) { unique.append(name) }
    var message =
      "expected the name of an arm (\(unique.joined(separator: ", "))), found '\(baseline)'"
    if let suggestion = NearestName.suggestion(for: baseline, among: names) {
      message += "; did you mean '\(suggestion)'?"
    }
    context.report(message, key: "baseline")
  }

  /// `output.record` names recordable variables or conditions, each once, and
  /// names `risk10` only when there is a risk equation.
  static let recordedVariablesAreKnown = CrossRule(
    doc:
      "`output.record` names recordable variables or declared conditions, each once; "
      + "`risk10` needs a risk equation; the physiology's variables need "
      + "`physiology.model: smith2004`"
  ) { context in
    guard let output = context.object["output"]?.object, output.isGiven("record"),
      let record = output["record"]?.sequence
    else { return }
    let recordPath = context.path.appending(key: "output").appending(key: "record")
    let conditionItems = context.object.value(at: ["models", "conditions"])?.sequence
    let conditionNames = conditionItems?.compactMap { $0.object?["name"]?.string } ?? []
    // With an invalid condition its name is unknown: do not call names unknown then.
    let conditionsComplete = conditionItems.map { $0.count == conditionNames.count } ?? false
    let known = recordableVariables + conditionNames
    let riskEquation = context.object.value(at: ["models", "risk_equation"])?.string
    let physiologyModel = context.object.value(at: ["physiology", "model"])?.string
    var firstIndex: [String: Int] = [:]
    for (index, item) in record.enumerated() {
      guard let name = item.string else { continue }
      let itemPath = recordPath.appending(index: index)
      if let first = firstIndex[name] {
        context.report(
          "duplicate variable '\(name)'; already listed as output.record[\(first)]",
          at: itemPath, item.position)
        continue
      }
      firstIndex[name] = index
      if !known.contains(name) {
        guard conditionsComplete else { continue }
        context.report(
          "unknown variable '\(name)'" + NearestName.hint(for: name, among: known),
          at: itemPath, item.position)
      } else if name == "risk10", riskEquation == "none" {
        context.report(
          "expected variables that exist, found 'risk10' while models.risk_equation is none "
            + "(no 10-year risk is computed)", at: itemPath, item.position)
      } else if physiologyVariables.contains(name), physiologyModel != "smith2004" {
        context.report(
          "expected variables that exist, found '\(name)' without physiology (it needs "
            + "physiology: {model: smith2004})", at: itemPath, item.position)
      }
    }
  }

  /// `from_year` of every intervention lies at or before the last simulated year.
  static let interventionYearsFallInHorizon = CrossRule(
    doc: "interventions' `from_year` is not after the last simulated year"
  ) { context in
    guard let startYear = context.object.value(at: ["time", "start_year"])?.integer,
      let horizonYears = context.object.value(at: ["time", "horizon_years"])?.integer,
      let arms = context.object["arms"]?.sequence
    else { return }
    let lastYear = startYear + horizonYears - 1
    for (armIndex, arm) in arms.enumerated() {
      guard let interventions = arm.object?["interventions"]?.sequence else { continue }
      for (index, intervention) in interventions.enumerated() {
        guard let object = intervention.object, let fromYear = object["from_year"]?.integer,
          fromYear > lastYear
        else { continue }
        context.report(
          "expected a year up to \(lastYear) (the last simulated year), found \(fromYear)",
          at: context.path.appending(key: "arms").appending(index: armIndex)
            .appending(key: "interventions").appending(index: index).appending(key: "from_year"),
          object.position(of: "from_year"))
      }
    }
  }

  /// The youngest and oldest possible age at the start of a synthetic
  /// population, in years: [lowest, highest), or nil if not yet valid.
  static func startAgesYears(synthetic: ValidatedObject, startYear: Int) -> (Double, Double)? {
    if let cohort = synthetic["birth_cohort"]?.object {
      guard let from = cohort["from"]?.integer, let to = cohort["to"]?.integer else { return nil }
      // Born in year Y: aged start_year - Y - U with U in [0, 1).
      return (Double(startYear - to - 1), Double(startYear - from))
    }
    guard let age = synthetic["age"]?.object, let min = age["min"]?.number,
      let max = age["max"]?.number
    else { return nil }
    return (min, max)
  }

  /// A birth cohort gives ages 0 ... 100 at the start.
  static let birthCohortGivesValidAges = CrossRule(
    doc: "`birth_cohort` gives ages at the start between 0 and 100"
  ) { context in
    guard let synthetic = context.object.value(at: ["population", "synthetic"])?.object,
      let cohort = synthetic["birth_cohort"]?.object,
      let startYear = context.object.value(at: ["time", "start_year"])?.integer,
      let (youngest, oldest) = startAgesYears(synthetic: synthetic, startYear: startYear)
    else { return }
    guard youngest < 0 || oldest > 100 else { return }
    let from = cohort["from"]?.integer ?? 0
    let to = cohort["to"]?.integer ?? 0
    context.report(
      "expected birth years from \(startYear - 100) to \(startYear - 1) (ages 0 ... 100 at "
        + "start_year \(startYear)), found \(from) ... \(to)",
      at: context.path.appending(key: "population").appending(key: "synthetic")
        .appending(key: "birth_cohort"),
      synthetic.position(of: "birth_cohort"))
  }

  /// With `outside_validity: refuse`, no synthetic person's age leaves the risk
  /// equation's validity range during the horizon.
  static let refusedPopulationStaysInValidity = CrossRule(
    doc:
      "with `outside_validity: refuse`, synthetic persons stay within the risk equation's "
      + "ages for the whole horizon"
  ) { context in
    guard context.object.value(at: ["models", "outside_validity"])?.string == "refuse",
      let equationName = context.object.value(at: ["models", "risk_equation"])?.string,
      let equation = RiskEquationChoice(rawValue: equationName),
      let validAges = equation.validAgesYears,
      let synthetic = context.object.value(at: ["population", "synthetic"])?.object,
      let startYear = context.object.value(at: ["time", "start_year"])?.integer,
      let horizonYears = context.object.value(at: ["time", "horizon_years"])?.integer,
      let (youngest, oldest) = startAgesYears(synthetic: synthetic, startYear: startYear)
    else { return }
    let oldestAtEnd = oldest + Double(horizonYears)
    guard youngest < validAges.lowerBound || oldestAtEnd > validAges.upperBound else { return }
    context.report(
      "expected ages within \(equationName)'s validity range "
        + "\(formatNumber(validAges.lowerBound)) ... <\(formatNumber(validAges.upperBound)) "
        + "years for the whole horizon, found ages from \(formatNumber(youngest)) at the start "
        + "up to \(formatNumber(oldestAtEnd)) at the end; use outside_validity: hold, a "
        + "shorter horizon or a narrower age range",
      at: context.path.appending(key: "models").appending(key: "outside_validity"),
      context.object["models"]?.object?.position(of: "outside_validity")
        ?? context.object.position)
  }

  /// Names in a condition's `relative_risks` are risk factors or other conditions.
  static let relativeRisksNameKnownFactors = CrossRule(
    doc:
      "`relative_risks` names `smoking`, `diabetes`, `bp_treated` or another declared "
      + "condition"
  ) { context in
    guard let conditions = context.object["conditions"]?.sequence else { return }
    let names = conditions.compactMap { $0.object?["name"]?.string }
    let namesComplete = names.count == conditions.count
    for (index, item) in conditions.enumerated() {
      guard let condition = item.object,
        let risks = condition["relative_risks"]?.dictionary
      else { continue }
      let ownName = condition["name"]?.string
      let candidates = relativeRiskFactors + names.filter { $0 != ownName }
      for entry in risks {
        let path = context.path.appending(key: "conditions").appending(index: index)
          .appending(key: "relative_risks").appending(key: entry.key)
        if entry.key == ownName {
          context.report(
            "expected a risk factor or another condition, found the condition's own name "
              + "'\(entry.key)'", at: path, entry.keyPosition)
        } else if !candidates.contains(entry.key), namesComplete {
          context.report(
            "unknown risk factor or condition '\(entry.key)'"
              + NearestName.hint(for: entry.key, among: candidates), at: path, entry.keyPosition)
        }
      }
    }
  }

  /// The table file exists (relative paths from the scenario's folder).
  static let tableFileExists = CrossRule(doc: "the table file exists") { context in
    guard let path = context.object["path"]?.string else { return }
    let url = TablePopulation.resolve(path: path, relativeTo: context.baseDirectory)
    var isDirectory: ObjCBool = false
    let exists = FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory)
    if !exists {
      context.report(
        "expected an existing CSV or HDF5 file, found no file at \(url.path)", key: "path")
    } else if isDirectory.boolValue {
      context.report("expected a CSV or HDF5 file, found a folder at \(url.path)", key: "path")
    }
  }

  /// Without `format`, the extension tells it.
  static let tableFormatIsKnown = CrossRule(
    doc: "without `format`, the extension is `.csv`, `.h5` or `.hdf5`"
  ) { context in
    guard !context.object.isGiven("format"), let path = context.object["path"]?.string,
      TableFormat(inferredFromPath: path) == nil
    else { return }
    context.report(
      "expected a path ending in .csv, .h5 or .hdf5 (or a 'format' key), found '\(path)'",
      key: "path")
  }

  /// `group` applies to HDF5 tables only.
  static let groupOnlyForHDF5 = CrossRule(doc: "`group` is given for HDF5 tables only") {
    context in
    guard context.object.isGiven("group"), let path = context.object["path"]?.string else {
      return
    }
    let format =
      context.object["format"]?.string.flatMap(TableFormat.init(rawValue:))
      ?? TableFormat(inferredFromPath: path)
    guard format == .csv else { return }
    context.report(
      "expected 'group' only for an HDF5 table, found it for a CSV table", key: "group")
  }

  /// `compression_level` is given only with `compression: deflate`.
  static let compressionLevelNeedsDeflate = CrossRule(
    doc: "`compression_level` is given only with `compression: deflate`"
  ) { context in
    guard context.object.isGiven("compression_level"),
      let compression = context.object["compression"]?.string, compression != "deflate"
    else { return }
    context.report(
      "expected 'compression_level' only with 'compression: deflate', found it with "
        + "compression '\(compression)'", key: "compression_level")
  }
}
