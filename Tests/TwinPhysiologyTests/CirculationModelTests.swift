import Foundation
import Testing

@testable import TwinPhysiology

@Test func derivativesSumToZeroSoTheTotalVolumeIsConserved() {
  let model = CirculationModel<Double>(.healthyAdult)
  var generator = SeededGenerator(seed: 4)
  for _ in 0..<200 {
    let volumes = LaneVolumes<Double>(
      lv: .random(in: 10...160, using: &generator), rv: .random(in: 10...160, using: &generator),
      pa: .random(in: 10...120, using: &generator), pu: .random(in: 300...1000, using: &generator),
      sa: .random(in: 50...250, using: &generator), sv: .random(in: 100...800, using: &generator))
    let d = model.derivatives(volumes, activation: .random(in: 0...1, using: &generator))
    let sum = d.lv + d.rv + d.pa + d.pu + d.sa + d.sv
    let scale = abs(d.lv) + abs(d.rv) + abs(d.pa) + abs(d.pu) + abs(d.sa) + abs(d.sv)
    #expect(abs(sum) <= 1e-13 * scale)
  }
}

@Test func rightHandSideMatchesTheEquationsWrittenOutByHand() {
  // docs/science.md section 4, evaluated here independently with the C library's exp.
  let p = PhysiologyParameters.smith2004
  let (lv, rv, pa, pu, sa, sv) = (120.0, 60.0, 40.0, 800.0, 130.0, 350.0)
  let tau = 0.3
  let e = p.A * exp(-p.B * (tau - p.C) * (tau - p.C))
  let pLv = e * p.E_lv * lv + (1 - e) * p.P0_lv * (exp(p.lam_lv * lv) - 1)
  let pRv = e * p.E_rv * rv + (1 - e) * p.P0_rv * (exp(p.lam_rv * rv) - 1)
  let (pPa, pPu, pSa, pSv) = (p.E_pa * pa, p.E_pu * pu, p.E_sa * sa, p.E_sv * sv)
  let qMt = max(pPu - pLv, 0) / p.R_mt
  let qAv = max(pLv - pSa, 0) / p.R_av
  let qTc = max(pSv - pRv, 0) / p.R_tc
  let qPv = max(pRv - pPa, 0) / p.R_pv
  let qSys = (pSa - pSv) / p.R_sys
  let qPul = (pPa - pPu) / p.R_pul
  let expected = [qMt - qAv, qTc - qPv, qPv - qPul, qPul - qMt, qAv - qSys, qSys - qTc]

  let model = CirculationModel<Double>(p)
  let activation = model.activation(atBeatTime: tau)
  #expect(abs(activation - e) <= 1e-11 * e)
  let sample = model.sample(
    LaneVolumes(lv: lv, rv: rv, pa: pa, pu: pu, sa: sa, sv: sv), atBeatTime: tau,
    activation: activation)
  let d = sample.derivatives
  for (value, reference) in zip([d.lv, d.rv, d.pa, d.pu, d.sa, d.sv], expected) {
    #expect(abs(value - reference) <= 1e-9 * max(1, abs(reference)))
  }
  #expect(abs(sample.lvPressure - pLv) <= 1e-10 * pLv)
  // dP_lv/dt against a central difference of P_lv along the trajectory.
  func pressure(_ t: Double) -> Double {
    let v = lv + d.lv * (t - tau)
    let et = p.A * exp(-p.B * (t - p.C) * (t - p.C))
    return et * p.E_lv * v + (1 - et) * p.P0_lv * (exp(p.lam_lv * v) - 1)
  }
  let h = 1e-6
  let numericalRate = (pressure(tau + h) - pressure(tau - h)) / (2 * h)
  #expect(abs(sample.lvPressureRate - numericalRate) <= 1e-5 * abs(numericalRate))
}

@Test func ejectionStiffnessIsTheFasterSemilunarValveRate() {
  let p = PhysiologyParameters.healthyAdult
  let aortic = (p.A * p.E_lv + p.E_sa) / p.R_av
  let pulmonary = (p.A * p.E_rv + p.E_pa) / p.R_pv
  let stiffness = CirculationModel<Double>(p).ejectionStiffnessPerSecond
  #expect(abs(stiffness - max(aortic, pulmonary)) <= 1e-12 * stiffness)
  #expect(abs(stiffness - 289.9106) < 1e-3)  // (4.3197 + 0.89869) / 0.018
}

/// SplitMix64: a small deterministic generator for test inputs.
struct SeededGenerator: RandomNumberGenerator {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
