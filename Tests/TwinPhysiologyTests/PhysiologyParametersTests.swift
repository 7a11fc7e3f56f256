import Testing

@testable import TwinPhysiology

@Test func smithPresetHoldsThePublishedValues() {
  // docs/science.md section 4 ("Smith 2004 values"), typed here independently.
  let p = PhysiologyParameters.smith2004
  let expected: [String: Double] = [
    "HR": 80, "A": 1, "B": 80, "C": 0.375, "E_lv": 2.8798, "P0_lv": 0.1203, "lam_lv": 0.033,
    "E_rv": 0.585, "P0_rv": 0.2157, "lam_rv": 0.023, "E_pa": 0.369, "E_pu": 0.0073,
    "E_sa": 0.6913, "E_sv": 0.0059, "R_pul": 0.1552, "R_sys": 1.0889, "R_mt": 0.0158,
    "R_av": 0.018, "R_tc": 0.0237, "R_pv": 0.0055, "V_stressed": 1500,
  ]
  #expect(Set(PhysiologyParameters.descriptors.map(\.name)) == Set(expected.keys))
  #expect(PhysiologyParameters.descriptors.count == expected.count)
  for descriptor in PhysiologyParameters.descriptors {
    #expect(p[keyPath: descriptor.keyPath] == expected[descriptor.name], "\(descriptor.name)")
  }
}

@Test func healthyAdultPresetIsSmithScaledAsTheReadmeSays() {
  let scaling: [String: Double] = [
    "E_lv": 1.5, "lam_lv": 0.7, "E_rv": 1.2, "lam_rv": 0.7, "E_pa": 0.7, "R_pul": 0.85,
    "E_sa": 1.3, "R_sys": 1.18,
  ]
  for descriptor in PhysiologyParameters.descriptors {
    let smith = PhysiologyParameters.smith2004[keyPath: descriptor.keyPath]
    let healthy = PhysiologyParameters.healthyAdult[keyPath: descriptor.keyPath]
    #expect(healthy == smith * (scaling[descriptor.name] ?? 1), "\(descriptor.name)")
  }
  #expect(PhysiologyParameters.preset(named: "healthy-adult") == .healthyAdult)
  #expect(PhysiologyParameters.preset(named: "smith2004") == .smith2004)
  #expect(PhysiologyParameters.preset(named: "smith") == nil)
}

@Test func validationRefusesNonPositiveValuesAndActivationOutsideTheBeat() {
  var parameters = PhysiologyParameters.healthyAdult
  #expect(throws: Never.self) { try parameters.validate() }
  #expect(parameters.isValid)
  parameters.R_sys = 0
  #expect(throws: PhysiologyParameterError.notPositive(name: "R_sys", value: 0)) {
    try parameters.validate()
  }
  #expect(!parameters.isValid)
  parameters.R_sys = .infinity
  #expect(!parameters.isValid)
  parameters = .healthyAdult
  parameters.E_sa = -1
  #expect(throws: PhysiologyParameterError.notPositive(name: "E_sa", value: -1)) {
    try parameters.validate()
  }
  parameters = .healthyAdult
  parameters.HR = 200  // T = 0.3 s < C = 0.375 s
  #expect(throws: PhysiologyParameterError.self) { try parameters.validate() }
  #expect(!parameters.isValid)
}
