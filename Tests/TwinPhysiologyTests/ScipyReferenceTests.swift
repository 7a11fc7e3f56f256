import Testing

@testable import TwinPhysiology

/// Steady-state metrics computed independently by scripts/reference/physiology_reference.py
/// (its own right-hand side, scipy.integrate.solve_ivp Radau at rtol = atol = 1e-10, periodic
/// state by shooting with scipy.optimize.root), printed with `--json` and copied here:
/// healthy-adult preset scaled by the listed factors (smith2004: the Smith preset).
struct ScipyReference {
  var name: String
  var preset: PhysiologyParameters
  var factors: [(WritableKeyPath<PhysiologyParameters, Double>, Double)]
  var sbp: Double
  var dbp: Double
  var map: Double
  var strokeVolume: Double
  var lvedv: Double
  var peakLvPressure: Double

  var parameters: PhysiologyParameters {
    var parameters = preset
    for (keyPath, factor) in factors { parameters[keyPath: keyPath] *= factor }
    return parameters
  }

  static var cases: [ScipyReference] {
    [
      ScipyReference(
        name: "healthy-adult", preset: .healthyAdult, factors: [], sbp: 120.4101689364295,
        dbp: 79.65968891247125,
        map: 100.19597714682091, strokeVolume: 56.093800939078136, lvedv: 83.87464635201484,
        peakLvPressure: 122.91553481612335),
      ScipyReference(
        name: "smith2004", preset: .smith2004, factors: [], sbp: 90.7280120123816,
        dbp: 62.50354758739123,
        map: 76.65340259474924, strokeVolume: 49.927835497995716, lvedv: 81.4479304903031,
        peakLvPressure: 93.44285941326015),
      ScipyReference(
        name: "esa2", preset: .healthyAdult, factors: [(\.E_sa, 2)], sbp: 143.9678014200449,
        dbp: 64.36665195463463,
        map: 102.41552695664699, strokeVolume: 57.33266409908721, lvedv: 90.36817294125622,
        peakLvPressure: 146.3214586571842),
      ScipyReference(
        name: "rsys13", preset: .healthyAdult, factors: [(\.R_sys, 1.3)], sbp: 143.6789912430138,
        dbp: 103.73685987751783,
        map: 124.00232649575354, strokeVolume: 53.91078125374008, lvedv: 87.13013308749618,
        peakLvPressure: 146.17011846606005),
      ScipyReference(
        name: "both_elv15", preset: .healthyAdult,
        factors: [(\.E_sa, 2), (\.R_sys, 1.3), (\.E_lv, 1.5)], sbp: 170.4292560601852,
        dbp: 90.66992217597802,
        map: 130.01490437441095, strokeVolume: 56.520423966936214, lvedv: 82.57641145458622,
        peakLvPressure: 172.581577330174),
      ScipyReference(
        name: "old", preset: .healthyAdult, factors: [(\.E_sa, 3), (\.E_lv, 1.5), (\.R_sys, 1.3)],
        sbp: 191.92291440670905, dbp: 75.83952227836228,
        map: 130.8179780417004, strokeVolume: 56.868431770994036, lvedv: 86.05156583269425,
        peakLvPressure: 194.18164463415906),
      ScipyReference(
        name: "extreme", preset: .healthyAdult,
        factors: [(\.E_sa, 4), (\.E_lv, 2), (\.R_sys, 1.5)],
        sbp: 229.84433957040747, dbp: 79.20425563782722,
        map: 149.62488940681786, strokeVolume: 56.610690704659085, lvedv: 82.64640168493759,
        peakLvPressure: 232.11447975056328),
      ScipyReference(
        name: "hr60", preset: .healthyAdult, factors: [(\.HR, 0.75)], sbp: 144.42640226650659,
        dbp: 81.36238980500246,
        map: 111.93812035782672, strokeVolume: 83.97331418554793, lvedv: 117.29288043772746,
        peakLvPressure: 147.44529562339272),
      ScipyReference(
        name: "hr100", preset: .healthyAdult, factors: [(\.HR, 1.25)], sbp: 93.86768764238224,
        dbp: 68.37423562863124,
        map: 81.54883277740548, strokeVolume: 36.20694508780014, lvedv: 57.86605757286632,
        peakLvPressure: 95.80773164307091),
      ScipyReference(
        name: "soft", preset: .healthyAdult, factors: [(\.E_sa, 0.7), (\.R_sys, 0.8)],
        sbp: 95.6181047484571, dbp: 66.9509254388415,
        map: 81.55685911106671, strokeVolume: 56.498371709914835, lvedv: 78.54827622750223,
        peakLvPressure: 98.56236706437181),
    ]
  }
}

@Test func rungeKutta4BatchAgreesWithScipyRadauWithinOneTenthPercent() {
  // The population path: fixed-step RK4 at its default steps, default tolerance 1e-2 ml.
  let cases = ScipyReference.cases
  var states = PhysiologyStateColumns(count: cases.count)
  let metrics = PhysiologyBatch.solve(
    parameters: PhysiologyParameterColumns(cases.map(\.parameters)), warmStart: &states)
  for (index, reference) in cases.enumerated() {
    let m = metrics[index]
    for (value, expected, what) in [
      (m.sbp, reference.sbp, "sbp"), (m.dbp, reference.dbp, "dbp"), (m.map, reference.map, "map"),
      (m.strokeVolume, reference.strokeVolume, "stroke volume"),
      (m.lvedv, reference.lvedv, "lvedv"),
    ] {
      #expect(
        abs(value / expected - 1) < 1e-3, "\(reference.name) \(what): \(value) vs \(expected)")
    }
    #expect(abs(m.peakLvPressure / reference.peakLvPressure - 1) < 2e-3, "\(reference.name)")
  }
}

@Test func dormandPrinceAgreesWithScipyRadauToOnePartInAMillion() throws {
  for reference in ScipyReference.cases {
    let m = try PeriodicSteadyState.solve(parameters: reference.parameters, options: .singlePerson)
      .metrics
    for (value, expected, what) in [
      (m.sbp, reference.sbp, "sbp"), (m.dbp, reference.dbp, "dbp"), (m.map, reference.map, "map"),
      (m.strokeVolume, reference.strokeVolume, "stroke volume"),
      (m.lvedv, reference.lvedv, "lvedv"),
      (m.peakLvPressure, reference.peakLvPressure, "peak LV pressure"),
    ] {
      #expect(
        abs(value / expected - 1) < 1e-6, "\(reference.name) \(what): \(value) vs \(expected)")
    }
  }
}
