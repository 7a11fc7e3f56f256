import Foundation
import Testing
import TwinModels

/// One sex's columns as read here from the Destatis CSV, independently of the generated
/// `LifeTableData.swift`.
private struct PublishedColumns {
  var probabilityOfDeath: [Double] = []
  var lifeExpectancyYears: [Double] = []
}

private struct CSVError: Error, CustomStringConvertible {
  let description: String
}

/// The published Destatis CSVs, `scenarios/data` of the repository (this file is
/// `Tests/TwinModelsTests/<file>.swift`).
private let publishedDataDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
  .deletingLastPathComponent().deletingLastPathComponent()
  .appendingPathComponent("scenarios/data")

private func fileName(_ id: LifeTableID) -> String {
  switch id {
  case .destatis2016to2018: "destatis_12621-0001_Sterbetafel2016-2018.csv"
  case .destatis2022to2024: "destatis_12621-0001_Sterbetafel2022-2024.csv"
  }
}

/// Reads q(x) and e(x), ages 0-100, for (male, female) from a GENESIS 12621-0001 CSV:
/// semicolon separated, decimal comma, the first occurrence of a heading is the men's
/// column and the second the women's.
private func readPublishedColumns(_ id: LifeTableID) throws -> (
  male: PublishedColumns, female: PublishedColumns
) {
  let url = publishedDataDirectory.appendingPathComponent(fileName(id))
  let text = try String(contentsOf: url, encoding: .utf8)
  let rows = text.split(whereSeparator: \.isNewline).map {
    $0.split(separator: ";", omittingEmptySubsequences: false).map(String.init)
  }
  guard let headings = rows.first(where: { $0.contains("Sterbewahrscheinlichkeit [q(x)]") })
  else { throw CSVError(description: "\(url.path): no q(x) heading") }
  let qColumns = headings.indices.filter { headings[$0] == "Sterbewahrscheinlichkeit [q(x)]" }
  let eColumns = headings.indices.filter {
    headings[$0] == "Durchschnittliche Lebenserwartung [e(x)]"
  }
  guard qColumns.count == 2, eColumns.count == 2 else {
    throw CSVError(description: "\(url.path): expected two q(x) and two e(x) columns")
  }
  func number(_ text: String) throws -> Double {
    guard let value = Double(text.replacingOccurrences(of: ",", with: ".")) else {
      throw CSVError(description: "\(url.path): '\(text)' is not a number")
    }
    return value
  }
  var male = PublishedColumns()
  var female = PublishedColumns()
  for age in 0...100 {
    let label = age == 1 ? "1 Jahr" : "\(age) Jahre"
    guard let row = rows.first(where: { $0.first == label }) else {
      throw CSVError(description: "\(url.path): no row '\(label)'")
    }
    male.probabilityOfDeath.append(try number(row[qColumns[0]]))
    female.probabilityOfDeath.append(try number(row[qColumns[1]]))
    male.lifeExpectancyYears.append(try number(row[eColumns[0]]))
    female.lifeExpectancyYears.append(try number(row[eColumns[1]]))
  }
  return (male, female)
}

@Test(arguments: LifeTableID.allCases)
func probabilityOfDeathIsThePublishedQForTheCompletedAge(id: LifeTableID) throws {
  let published = try readPublishedColumns(id)
  let table = LifeTable(id)
  for age in 0...100 {
    for fraction in [0.0, 0.5, 0.999] {
      let ageYears = Double(age) + fraction
      #expect(
        table.probabilityOfDeath(ageYears: ageYears, female: false)
          == published.male.probabilityOfDeath[age], "men, age \(ageYears)")
      #expect(
        table.probabilityOfDeath(ageYears: ageYears, female: true)
          == published.female.probabilityOfDeath[age], "women, age \(ageYears)")
    }
    // The hazard is the constant rate with survival exp(-h) = 1 - q over the year.
    for female in [false, true] {
      let q = (female ? published.female : published.male).probabilityOfDeath[age]
      let hazard = table.annualHazard(ageYears: Double(age) + 0.5, female: female)
      #expect(abs(Foundation.exp(-hazard) - (1 - q)) <= 2.3e-16, "age \(age)")
    }
  }
}

@Test func lifeExpectancyReproducesPublished2016to2018Figures() {
  // Destatis, Sterbetafel 2016/2018 (press release and GENESIS 12621-0001).
  let table = LifeTable(.destatis2016to2018)
  #expect(abs(table.lifeExpectancy(atAge: 0, female: false) - 78.48) <= 0.02)
  #expect(abs(table.lifeExpectancy(atAge: 0, female: true) - 83.27) <= 0.02)
  #expect(abs(table.lifeExpectancy(atAge: 40, female: false) - 39.56) <= 0.02)
  #expect(abs(table.lifeExpectancy(atAge: 40, female: true) - 43.99) <= 0.02)
}

@Test(arguments: LifeTableID.allCases)
func lifeExpectancyReproducesEveryPublishedAge(id: LifeTableID) throws {
  let published = try readPublishedColumns(id)
  let table = LifeTable(id)
  for age in 0...100 {
    // Ages 96-100 depend on the unpublished tail past 101, where Destatis keeps men alive
    // about 0.1 years longer than the Gompertz-Makeham fit (see LifeTable.lifeExpectancy).
    let bound = age <= 95 ? 0.02 : 0.07
    for female in [false, true] {
      let expected = (female ? published.female : published.male).lifeExpectancyYears[age]
      let computed = table.lifeExpectancy(atAge: age, female: female)
      #expect(
        abs(computed - expected) <= bound,
        "\(id.rawValue) \(female ? "women" : "men") e(\(age)): \(computed) vs \(expected)")
    }
  }
}

/// Reference tail values from scipy.integrate.quad (numerical integrals of
/// mu(x) = a + b e^(c x) with the docs/science.md parameters, not the closed form):
///   H = quad(mu, 101, 102); q = -expm1(-H); e = quad(lambda t: exp(-quad(mu, x, x + t)), 0, 60)
private struct TailReference {
  let id: LifeTableID
  let female: Bool
  let probabilityOfDeathAt101: Double
  let annualHazardAt110: Double
  let lifeExpectancyAt101: Double
}

private let tailReferences = [
  TailReference(
    id: .destatis2016to2018, female: false, probabilityOfDeathAt101: 0.42619853175972067,
    annualHazardAt110: 1.3821285625430964, lifeExpectancyAt101: 1.6231443048466037),
  TailReference(
    id: .destatis2016to2018, female: true, probabilityOfDeathAt101: 0.3590057541268428,
    annualHazardAt110: 1.2031247440604287, lifeExpectancyAt101: 1.9470333852423143),
  TailReference(
    id: .destatis2022to2024, female: false, probabilityOfDeathAt101: 0.43914711546943574,
    annualHazardAt110: 1.453227204369757, lifeExpectancyAt101: 1.5656982075044965),
  TailReference(
    id: .destatis2022to2024, female: true, probabilityOfDeathAt101: 0.36717739795630705,
    annualHazardAt110: 1.244554362002841, lifeExpectancyAt101: 1.8998091215332609),
]

@Test func agesPastHundredUseTheGompertzMakehamTail() {
  for reference in tailReferences {
    let table = LifeTable(reference.id)
    let female = reference.female
    let q101 = table.probabilityOfDeath(ageYears: 101.3, female: female)
    #expect(abs(q101 - reference.probabilityOfDeathAt101) <= 1e-13)
    let hazard110 = table.annualHazard(ageYears: 110, female: female)
    #expect(abs(hazard110 - reference.annualHazardAt110) <= 1e-12)
    let e101 = table.lifeExpectancy(atAge: 101, female: female)
    #expect(abs(e101 - reference.lifeExpectancyAt101) <= 1e-9)
    // The tail continues the table without a jump: q(101) within 10 % of q(100).
    let q100 = table.probabilityOfDeath(ageYears: 100, female: female)
    #expect(abs(q101 / q100 - 1) < 0.1)
  }
}

@Test func tableIdsAreTheScenarioNames() {
  #expect(LifeTableID(rawValue: "destatis-2016-2018") == .destatis2016to2018)
  #expect(LifeTableID(rawValue: "destatis-2022-2024") == .destatis2022to2024)
  #expect(LifeTableID(rawValue: "destatis-2019-2021") == nil)
}
