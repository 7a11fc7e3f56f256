/// Parameters of the reduced Smith 2004 closed-loop circulation (Smith, Chase, Nokes, Shaw,
/// Wake, Med Eng Phys 2004;26:131-139; reduced form without septal interaction, valve inertance
/// and dead-space volumes). Names are those of the docs/science.md, section 4, and of
/// `twin-sim physiology --set NAME=VALUE`.
///
/// Units: elastances mmHg/ml, resistances mmHg s/ml, volumes ml, `lam_*` 1/ml, `P0_*` mmHg,
/// `HR` beats/min, `A` dimensionless, `B` 1/s^2, `C` s. Every value must be finite and
/// positive (`validate()`).
public struct PhysiologyParameters: Sendable, Equatable, Hashable {
  /// Heart rate, beats/min. The beat lasts T = 60 / HR seconds.
  public var HR: Double
  /// Amplitude of the activation e(t) = A exp(-B (tau - C)^2) (dimensionless; 1 in Smith 2004).
  public var A: Double
  /// Width parameter of the activation, 1/s^2 (80: a Gaussian of sd 1/sqrt(2 B) = 0.079 s).
  public var B: Double
  /// Time of peak activation after the start of the beat, s.
  public var C: Double
  /// Left ventricular end-systolic elastance, mmHg/ml.
  public var E_lv: Double
  /// Left ventricular end-diastolic pressure scale P0 of P0 (exp(lam V) - 1), mmHg.
  public var P0_lv: Double
  /// Left ventricular end-diastolic stiffness exponent, 1/ml.
  public var lam_lv: Double
  /// Right ventricular end-systolic elastance, mmHg/ml.
  public var E_rv: Double
  /// Right ventricular end-diastolic pressure scale, mmHg.
  public var P0_rv: Double
  /// Right ventricular end-diastolic stiffness exponent, 1/ml.
  public var lam_rv: Double
  /// Pulmonary artery elastance, mmHg/ml.
  public var E_pa: Double
  /// Pulmonary vein elastance, mmHg/ml.
  public var E_pu: Double
  /// Systemic (aortic) arterial elastance, mmHg/ml: the inverse of arterial compliance.
  public var E_sa: Double
  /// Systemic venous elastance, mmHg/ml.
  public var E_sv: Double
  /// Pulmonary vascular resistance, mmHg s/ml.
  public var R_pul: Double
  /// Systemic vascular resistance, mmHg s/ml.
  public var R_sys: Double
  /// Mitral valve resistance, mmHg s/ml.
  public var R_mt: Double
  /// Aortic valve resistance, mmHg s/ml.
  public var R_av: Double
  /// Tricuspid valve resistance, mmHg s/ml.
  public var R_tc: Double
  /// Pulmonary valve resistance, mmHg s/ml.
  public var R_pv: Double
  /// Stressed blood volume, ml: the conserved sum of the six compartment volumes.
  public var V_stressed: Double

  public init(
    HR: Double, A: Double, B: Double, C: Double, E_lv: Double, P0_lv: Double, lam_lv: Double,
    E_rv: Double, P0_rv: Double, lam_rv: Double, E_pa: Double, E_pu: Double, E_sa: Double,
    E_sv: Double, R_pul: Double, R_sys: Double, R_mt: Double, R_av: Double, R_tc: Double,
    R_pv: Double, V_stressed: Double
  ) {
    self.HR = HR
    self.A = A
    self.B = B
    self.C = C
    self.E_lv = E_lv
    self.P0_lv = P0_lv
    self.lam_lv = lam_lv
    self.E_rv = E_rv
    self.P0_rv = P0_rv
    self.lam_rv = lam_rv
    self.E_pa = E_pa
    self.E_pu = E_pu
    self.E_sa = E_sa
    self.E_sv = E_sv
    self.R_pul = R_pul
    self.R_sys = R_sys
    self.R_mt = R_mt
    self.R_av = R_av
    self.R_tc = R_tc
    self.R_pv = R_pv
    self.V_stressed = V_stressed
  }

  /// Beat period T = 60 / HR, s.
  @inlinable
  public var beatPeriodSeconds: Double { 60 / HR }
}

// MARK: - Presets

extension PhysiologyParameters {
  /// Smith et al. 2004 values as listed in the docs/science.md, section 4 (HR 80, stressed
  /// volume 1500 ml). The reduced model gives about 91/63 mmHg with them.
  public static let smith2004 = PhysiologyParameters(
    HR: 80, A: 1, B: 80, C: 0.375, E_lv: 2.8798, P0_lv: 0.1203, lam_lv: 0.033, E_rv: 0.585,
    P0_rv: 0.2157, lam_rv: 0.023, E_pa: 0.369, E_pu: 0.0073, E_sa: 0.6913, E_sv: 0.0059,
    R_pul: 0.1552, R_sys: 1.0889, R_mt: 0.0158, R_av: 0.018, R_tc: 0.0237, R_pv: 0.0055,
    V_stressed: 1500)

  /// Healthy adult baseline: Smith 2004 scaled as in the docs/science.md, section 4 (scaling of
  /// the Beard/Carlson reduced-Smith "normal" set): E_lv x1.5, lam_lv x0.7, E_rv x1.2,
  /// lam_rv x0.7, E_pa x0.7, R_pul x0.85, E_sa x1.3, R_sys x1.18. Gives 120.4/79.7 mmHg,
  /// stroke volume 56.1 ml, LVEDV 83.9 ml, EF 66.9 %, CO 4.49 l/min (docs/physiology.md).
  public static let healthyAdult: PhysiologyParameters = {
    var parameters = smith2004
    parameters.E_lv *= 1.5
    parameters.lam_lv *= 0.7
    parameters.E_rv *= 1.2
    parameters.lam_rv *= 0.7
    parameters.E_pa *= 0.7
    parameters.R_pul *= 0.85
    parameters.E_sa *= 1.3
    parameters.R_sys *= 1.18
    return parameters
  }()

  /// The presets by their command-line names, in display order.
  public static let presets: [(name: String, parameters: PhysiologyParameters)] = [
    ("healthy-adult", healthyAdult),
    ("smith2004", smith2004),
  ]

  /// The preset named `name` (`healthy-adult`, `smith2004`), or nil.
  public static func preset(named name: String) -> PhysiologyParameters? {
    presets.first { $0.name == name }?.parameters
  }
}

// MARK: - Names, units, validation

extension PhysiologyParameters {
  /// One parameter's name, unit, meaning and storage, for command lines and reports.
  public struct Descriptor: Sendable {
    public let name: String
    public let unit: String
    public let meaning: String
    public let keyPath: WritableKeyPath<PhysiologyParameters, Double> & Sendable
  }

  /// Every parameter, in the order of docs/science.md (HR first, activation last).
  public static let descriptors: [Descriptor] = [
    Descriptor(name: "HR", unit: "beats/min", meaning: "heart rate", keyPath: \.HR),
    Descriptor(
      name: "E_lv", unit: "mmHg/ml", meaning: "left ventricular end-systolic elastance",
      keyPath: \.E_lv),
    Descriptor(
      name: "P0_lv", unit: "mmHg", meaning: "left ventricular end-diastolic pressure scale",
      keyPath: \.P0_lv),
    Descriptor(
      name: "lam_lv", unit: "1/ml", meaning: "left ventricular end-diastolic stiffness",
      keyPath: \.lam_lv),
    Descriptor(
      name: "E_rv", unit: "mmHg/ml", meaning: "right ventricular end-systolic elastance",
      keyPath: \.E_rv),
    Descriptor(
      name: "P0_rv", unit: "mmHg", meaning: "right ventricular end-diastolic pressure scale",
      keyPath: \.P0_rv),
    Descriptor(
      name: "lam_rv", unit: "1/ml", meaning: "right ventricular end-diastolic stiffness",
      keyPath: \.lam_rv),
    Descriptor(
      name: "E_pa", unit: "mmHg/ml", meaning: "pulmonary artery elastance", keyPath: \.E_pa),
    Descriptor(name: "E_pu", unit: "mmHg/ml", meaning: "pulmonary vein elastance", keyPath: \.E_pu),
    Descriptor(
      name: "E_sa", unit: "mmHg/ml", meaning: "systemic arterial elastance (1/compliance)",
      keyPath: \.E_sa),
    Descriptor(
      name: "E_sv", unit: "mmHg/ml", meaning: "systemic venous elastance", keyPath: \.E_sv),
    Descriptor(
      name: "R_pul", unit: "mmHg s/ml", meaning: "pulmonary vascular resistance",
      keyPath: \.R_pul),
    Descriptor(
      name: "R_sys", unit: "mmHg s/ml", meaning: "systemic vascular resistance",
      keyPath: \.R_sys),
    Descriptor(
      name: "R_mt", unit: "mmHg s/ml", meaning: "mitral valve resistance", keyPath: \.R_mt),
    Descriptor(
      name: "R_av", unit: "mmHg s/ml", meaning: "aortic valve resistance", keyPath: \.R_av),
    Descriptor(
      name: "R_tc", unit: "mmHg s/ml", meaning: "tricuspid valve resistance", keyPath: \.R_tc),
    Descriptor(
      name: "R_pv", unit: "mmHg s/ml", meaning: "pulmonary valve resistance", keyPath: \.R_pv),
    Descriptor(
      name: "V_stressed", unit: "ml", meaning: "stressed blood volume (sum of the six volumes)",
      keyPath: \.V_stressed),
    Descriptor(
      name: "A", unit: "1", meaning: "activation amplitude in e(t) = A exp(-B (t - C)^2)",
      keyPath: \.A),
    Descriptor(name: "B", unit: "1/s^2", meaning: "activation width parameter", keyPath: \.B),
    Descriptor(name: "C", unit: "s", meaning: "time of peak activation in the beat", keyPath: \.C),
  ]

  /// The descriptor called `name` (exact, case-sensitive), or nil.
  public static func descriptor(named name: String) -> Descriptor? {
    descriptors.first { $0.name == name }
  }

  /// Throws unless every parameter is finite and positive, and the peak of activation C lies
  /// inside the beat (0 < C < 60 / HR).
  public func validate() throws(PhysiologyParameterError) {
    for descriptor in Self.descriptors {
      let value = self[keyPath: descriptor.keyPath]
      guard value.isFinite, value > 0 else {
        throw .notPositive(name: descriptor.name, value: value)
      }
    }
    guard C < beatPeriodSeconds else {
      throw .activationOutsideBeat(
        activationCenterSeconds: C, beatPeriodSeconds: beatPeriodSeconds)
    }
  }
}

/// A parameter set that the model cannot use.
public enum PhysiologyParameterError: Error, Equatable, CustomStringConvertible {
  case notPositive(name: String, value: Double)
  case activationOutsideBeat(activationCenterSeconds: Double, beatPeriodSeconds: Double)

  public var description: String {
    switch self {
    case .notPositive(let name, let value):
      return "\(name) must be a finite positive number, got \(value)"
    case .activationOutsideBeat(let center, let period):
      return
        "C (time of peak activation, \(center) s) must lie inside the beat of 60/HR = \(period) s"
    }
  }
}
