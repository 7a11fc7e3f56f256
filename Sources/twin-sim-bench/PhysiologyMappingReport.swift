import Foundation
import TwinPhysiology

/// Prints the table of docs/physiology.md "Typical persons": the modelled pressures of a
/// typical non-smoker of each age group of the reference curve, for arterial elastance
/// exponents k = 2 (default, Bramwell-Hill), 1 and 0.6, next to the survey means.
struct PhysiologyMappingReport {
  func run() {
    let curve = BloodPressureReferenceCurve.nhanes2001to2008
    print("# reference: \(curve.source)")
    print(
      "| k | sex | age | survey SBP/DBP | model SBP/DBP | MAP | PWV m/s | E_sa x | R_sys x | SV ml | CO l/min |"
    )
    print("|---:|---|---:|---|---|---:|---:|---:|---:|---:|---:|")
    for exponent in [2.0, 1.0, 0.6] {
      let mapping =
        exponent == 2
        ? PhysiologyMapping.standard
        : PhysiologyMapping(options: PhysiologyMapping.Options(elastanceExponent: exponent))
      for point in curve.points {
        for (sex, sbp, dbp) in [
          (PhysiologySex.female, point.sbpFemaleMmHg, point.dbpFemaleMmHg),
          (.male, point.sbpMaleMmHg, point.dbpMaleMmHg),
        ] {
          let person = PhysiologyPerson(
            ageYears: point.representativeAgeYears, sex: sex, sbpMmHg: sbp)
          let parameters = mapping.parameters(for: person)
          guard
            let solution = try? PeriodicSteadyState.solve(
              parameters: parameters, options: .singlePerson)
          else { continue }
          let m = solution.metrics
          let base = PhysiologyParameters.healthyAdult
          print(
            String(
              format:
                "| %.1f | %@ | %.1f | %.0f/%.0f | %.1f/%.1f | %.1f | %.2f | %.2f | %.2f | %.1f | %.2f |",
              exponent, sex == .female ? "female" : "male", point.representativeAgeYears, sbp, dbp,
              m.sbp, m.dbp, m.map, mapping.pulseWaveVelocity(person), parameters.E_sa / base.E_sa,
              parameters.R_sys / base.R_sys, m.strokeVolume, m.cardiacOutput))
        }
      }
    }
  }
}
