/// Biological sex as the risk equations use it: every equation has separate
/// coefficients for women and men. The raw value is the byte stored in
/// population columns.
public enum Sex: UInt8, Sendable, CaseIterable, CustomStringConvertible {
  case female = 0
  case male = 1

  public var description: String {
    switch self {
    case .female: return "female"
    case .male: return "male"
    }
  }
}

/// Units for total and HDL cholesterol.
///
/// twin-sim stores lipids in mmol/L; the Pooled Cohort Equations and Framingham 2008
/// were fitted on mg/dL and convert internally. The factor 38.67 mg/dL per mmol/L
/// (docs/science.md section 1) is the cholesterol molar mass, 386.65 g/mol, divided by 10.
public enum CholesterolUnit: String, Sendable, CaseIterable, CustomStringConvertible {
  case mgPerDL = "mg/dL"
  case mmolPerL = "mmol/L"

  /// mg/dL per mmol/L for total and HDL cholesterol (docs/science.md section 1).
  public static let mgPerDLPerMmolPerL = 38.67

  public var description: String { rawValue }

  /// Converts a cholesterol concentration given in this unit to mmol/L.
  /// Exact for mmol/L; one division (relative error <= 1 ulp) for mg/dL.
  @inlinable
  public func mmolPerL(_ value: Double) -> Double {
    switch self {
    case .mmolPerL: return value
    case .mgPerDL: return value / CholesterolUnit.mgPerDLPerMmolPerL
    }
  }

  /// Converts a cholesterol concentration in mmol/L to this unit.
  @inlinable
  public func fromMmolPerL(_ valueMmolL: Double) -> Double {
    switch self {
    case .mmolPerL: return valueMmolL
    case .mgPerDL: return valueMmolL * CholesterolUnit.mgPerDLPerMmolPerL
    }
  }
}

/// The risk factors the three ten-year equations share, for one person.
///
/// Units are in the property names. Lipids are mmol/L whatever the equation's own
/// unit; equations fitted on mg/dL convert with `CholesterolUnit`.
public struct RiskFactors: Sendable, Equatable {
  public var sex: Sex
  /// Age in years (fractional ages allowed).
  public var ageYears: Double
  /// Total cholesterol, mmol/L.
  public var totalCholesterolMmolL: Double
  /// HDL cholesterol, mmol/L.
  public var hdlCholesterolMmolL: Double
  /// Systolic blood pressure, mmHg.
  public var sbpMmHg: Double
  /// Whether the person takes blood-pressure-lowering medication (the equations
  /// weight treated and untreated SBP differently).
  public var bpTreated: Bool
  /// Current smoker.
  public var smoker: Bool
  /// Diagnosed diabetes.
  public var diabetes: Bool

  public init(
    sex: Sex, ageYears: Double, totalCholesterolMmolL: Double, hdlCholesterolMmolL: Double,
    sbpMmHg: Double, bpTreated: Bool = false, smoker: Bool = false, diabetes: Bool = false
  ) {
    self.sex = sex
    self.ageYears = ageYears
    self.totalCholesterolMmolL = totalCholesterolMmolL
    self.hdlCholesterolMmolL = hdlCholesterolMmolL
    self.sbpMmHg = sbpMmHg
    self.bpTreated = bpTreated
    self.smoker = smoker
    self.diabetes = diabetes
  }

  /// Total cholesterol in mg/dL (38.67 mg/dL per mmol/L).
  @inlinable
  public var totalCholesterolMgDL: Double {
    CholesterolUnit.mgPerDL.fromMmolPerL(totalCholesterolMmolL)
  }

  /// HDL cholesterol in mg/dL (38.67 mg/dL per mmol/L).
  @inlinable
  public var hdlCholesterolMgDL: Double {
    CholesterolUnit.mgPerDL.fromMmolPerL(hdlCholesterolMmolL)
  }
}
