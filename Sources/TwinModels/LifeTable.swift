#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// The embedded official life tables; the raw value is the scenario YAML name
/// (`models.mortality.life_table`).
public enum LifeTableID: String, Sendable, CaseIterable {
  /// Destatis period life table 2016/18 (GENESIS 12621-0001).
  case destatis2016to2018 = "destatis-2016-2018"
  /// Destatis period life table 2022/24 (GENESIS 12621-0001).
  case destatis2022to2024 = "destatis-2022-2024"
}

/// Background mortality from a German period life table (Statistisches Bundesamt, GENESIS
/// 12621-0001; Datenlizenz Deutschland Namensnennung 2.0), single years of age 0-100,
/// extended past age 100 with a Gompertz-Makeham hazard (docs/science.md section 2).
///
/// Conventions:
/// - `ageYears` is the exact (possibly fractional) age; the table row is the completed age
///   floor(ageYears), as in the Destatis column "Vollendetes Alter".
/// - Ages 0...100 use the published q(x). From 101 on, q(x) = 1 - exp(-integral of
///   mu(t) = a + b e^(c t) over [x, x + 1)), with the fit for the table's period and sex.
/// - `annualHazard` is -ln(1 - q(x)): the constant hazard over [x, x + 1) that reproduces
///   q(x), so monthly steps with `probability(fromHazard:overYears:)` compound to q(x).
///
/// Lookups are `@inlinable`, allocate nothing and cost one branch and one array read for
/// ages up to 100. Build a table once and share it; it is an immutable `Sendable` value.
public struct LifeTable: Sendable {
  /// Which table this is.
  public let id: LifeTableID

  /// The last age with a published q(x); older ages use the Gompertz-Makeham tail.
  public static let lastTabulatedAgeYears = 100

  /// The Gompertz-Makeham hazard used past age 100 for men.
  public let maleTail: GompertzMakehamHazard

  /// The Gompertz-Makeham hazard used past age 100 for women.
  public let femaleTail: GompertzMakehamHazard

  @usableFromInline let maleProbabilityOfDeath: [Double]
  @usableFromInline let femaleProbabilityOfDeath: [Double]
  @usableFromInline let maleHazard: [Double]
  @usableFromInline let femaleHazard: [Double]

  /// Destatis's L(0) / l(0): person-years lived in the first year per live birth.
  let malePersonYearsInFirstYear: Double
  let femalePersonYearsInFirstYear: Double

  /// Creates the table `id` from the embedded Destatis data.
  public init(_ id: LifeTableID) {
    self.id = id
    let male: LifeTableColumns
    let female: LifeTableColumns
    switch id {
    case .destatis2016to2018:
      male = LifeTableData.destatis2016to2018Male
      female = LifeTableData.destatis2016to2018Female
      // docs/science.md section 2: mu(x) = a + b e^(c x), fitted to ages 30-95.
      maleTail = GompertzMakehamHazard(a: 1.280e-4, b: 1.901e-5, c: 0.1013)
      femaleTail = GompertzMakehamHazard(a: 1.416e-4, b: 5.921e-6, c: 0.1106)
    case .destatis2022to2024:
      male = LifeTableData.destatis2022to2024Male
      female = LifeTableData.destatis2022to2024Female
      maleTail = GompertzMakehamHazard(a: 1.392e-4, b: 1.770e-5, c: 0.1024)
      femaleTail = GompertzMakehamHazard(a: 1.349e-4, b: 5.732e-6, c: 0.1112)
    }
    maleProbabilityOfDeath = male.probabilityOfDeath
    femaleProbabilityOfDeath = female.probabilityOfDeath
    maleHazard = male.probabilityOfDeath.map { -log1p(-$0) }
    femaleHazard = female.probabilityOfDeath.map { -log1p(-$0) }
    malePersonYearsInFirstYear = male.personYearsLivedInFirstYear / male.survivorsAtBirth
    femalePersonYearsInFirstYear = female.personYearsLivedInFirstYear / female.survivorsAtBirth
  }

  /// Probability of dying before the next birthday, q(x) for the completed age x.
  ///
  /// - Parameters:
  ///   - ageYears: exact age, years, finite and >= 0.
  ///   - female: true for the women's column, false for the men's.
  /// - Returns: q in (0, 1); published to 8 decimals for ages 0-100.
  @inlinable
  public func probabilityOfDeath(ageYears: Double, female: Bool) -> Double {
    precondition(ageYears >= 0 && ageYears.isFinite, "age must be finite and >= 0")
    let completedAge = ageYears.rounded(.down)
    if completedAge <= Double(Self.lastTabulatedAgeYears) {
      let row = Int(completedAge)
      return female ? femaleProbabilityOfDeath[row] : maleProbabilityOfDeath[row]
    }
    return -expm1(-tailYearHazard(completedAge: completedAge, female: female))
  }

  /// Constant annual hazard for the completed age x, per year: -ln(1 - q(x)).
  ///
  /// - Parameters: as `probabilityOfDeath(ageYears:female:)`.
  /// - Returns: a hazard > 0, per year.
  @inlinable
  public func annualHazard(ageYears: Double, female: Bool) -> Double {
    precondition(ageYears >= 0 && ageYears.isFinite, "age must be finite and >= 0")
    let completedAge = ageYears.rounded(.down)
    if completedAge <= Double(Self.lastTabulatedAgeYears) {
      let row = Int(completedAge)
      return female ? femaleHazard[row] : maleHazard[row]
    }
    return tailYearHazard(completedAge: completedAge, female: female)
  }

  /// Integral of the Gompertz-Makeham tail hazard over one year of age from `completedAge`.
  @inlinable
  func tailYearHazard(completedAge: Double, female: Bool) -> Double {
    let tail = female ? femaleTail : maleTail
    return tail.cumulativeHazard(fromAgeYears: completedAge, overYears: 1)
  }

  /// Period life expectancy at exact age x, years: the mean remaining lifetime of a person
  /// who has just turned x, under this table's mortality.
  ///
  /// Method (Destatis's for ages 0-100, checked against the CSV's L(x) and e(x) columns):
  /// - l(x): survivors, l(x + 1) = l(x) (1 - q(x)), starting from 1 at age x.
  /// - L(x) = (l(x) + l(x + 1)) / 2 for ages 1-100: deaths spread evenly over the year of
  ///   age, as Destatis's published L(x) shows.
  /// - L(0) = Destatis's published L(0) / l(0). Infant deaths cluster in the first days and
  ///   weeks: dying infants live 0.12-0.14 years on average, not 0.5.
  /// - Past age 101 (Destatis publishes q up to age 100 only), T(101) = l(101) times the
  ///   Gompertz-Makeham life expectancy at 101 (exact integral of the continuous survival).
  /// - e(x) = T(x) / l(x), T(x) the sum of L from x on.
  ///
  /// This reproduces the published e(x) of both tables to within 0.013 years for ages 0-95
  /// (e(0) and e(40) to within 0.004). For men at 96-100 it is up to 0.065 years lower:
  /// Destatis's own tail past 101 is not published, but its T(100) implies that men live
  /// about 0.1 years longer at 101 than under the Gompertz-Makeham fit (women agree to
  /// 0.01). Closing instead with 1/mu at age 100 (constant hazard -ln(1 - q(100))) would
  /// overshoot the published e(100) by 0.07-0.10 years (men) and 0.15-0.18 years (women).
  /// Ages above 100 return the Gompertz-Makeham value.
  ///
  /// - Parameters:
  ///   - ageYears: exact age, years, >= 0.
  ///   - female: women's (true) or men's (false) table.
  /// - Returns: remaining life expectancy, years.
  public func lifeExpectancy(atAge ageYears: Int, female: Bool) -> Double {
    precondition(ageYears >= 0, "age must be >= 0")
    let tail = female ? femaleTail : maleTail
    let lastAge = Self.lastTabulatedAgeYears
    if ageYears > lastAge {
      return tail.lifeExpectancy(atAgeYears: Double(ageYears))
    }
    let probabilities = female ? femaleProbabilityOfDeath : maleProbabilityOfDeath
    var survivors = 1.0
    var personYears = 0.0
    for age in ageYears...lastAge {
      let nextSurvivors = survivors * (1 - probabilities[age])
      if age == 0 {
        personYears += female ? femalePersonYearsInFirstYear : malePersonYearsInFirstYear
      } else {
        personYears += (survivors + nextSurvivors) / 2
      }
      survivors = nextSurvivors
    }
    personYears += survivors * tail.lifeExpectancy(atAgeYears: Double(lastAge + 1))
    return personYears
  }
}
