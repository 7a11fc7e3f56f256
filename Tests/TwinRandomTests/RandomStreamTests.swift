import Testing
import TwinRandom

// Reference values below come from an independent Python implementation of the layout
// documented in Sources/TwinRandom/README.md (Python 3 integers, no twin-sim code); it also
// reproduces the Random123 known-answer vectors:
//
//   M = 0xFFFFFFFF; M64 = 2**64 - 1
//   def philox(c, k, R=10):
//       for i in range(R):
//           if i: k = [(k[0] + 0x9E3779B9) & M, (k[1] + 0xBB67AE85) & M]
//           p0 = 0xD2511F53 * c[0]; p1 = 0xCD9E8D57 * c[2]
//           c = [(p1 >> 32) ^ c[1] ^ k[0], p1 & M, (p0 >> 32) ^ c[3] ^ k[1], p0 & M]
//       return c
//   def fnv(s):
//       h = 0xcbf29ce484222325
//       for b in s.encode(): h = ((h ^ b) * 0x100000001b3) & M64
//       return h
//   def mix(x):
//       z = (x + 0x9E3779B97F4A7C15) & M64
//       z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
//       z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
//       return z ^ (z >> 31)
//   def bits(seed, name, person, step, draw):
//       key = mix(seed ^ mix(fnv(name)))
//       return philox([person & M, person >> 32, step, draw], [key & M, key >> 32])
//   def u(hi, lo):
//       k = ((hi << 32) | lo) >> 11
//       return k * 2.0**-53 if k else 2.0**-54
//   # normals: r = sqrt(-2 log u1); (r cos(2 pi u2), r sin(2 pi u2))

private struct StreamReference {
  let seed: UInt64
  let name: String
  let person: UInt64
  let step: UInt32
  let draw: UInt32
  let words: [UInt32]
  let uniforms: (Double, Double)
  let normals: (Double, Double)
}

private let streamReferences = [
  StreamReference(
    seed: 1, name: "mortality", person: 0, step: 0, draw: 0,
    words: [0x7EA0_7085, 0x0262_137E, 0xA70E_E62B, 0x27EB_5129],
    uniforms: (0.4946356129388578, 0.6525710921631973),
    normals: (-0.6818307780536875, -0.9710688111772682)),
  StreamReference(
    seed: 20_250_101, name: "cvd-events", person: 123_456_789_012, step: 7, draw: 3,
    words: [0xE4D6_FEEC, 0xA493_34FE, 0xDDCC_F08B, 0x79FA_587A],
    uniforms: (0.8939055755368599, 0.8664083805578938),
    normals: (0.3163380450799731, -0.35247765945992854)),
  StreamReference(
    seed: .max, name: "", person: .max, step: .max, draw: .max,
    words: [0x826C_F56C, 0x42C6_69CD, 0x669A_A429, 0x28E8_6250],
    uniforms: (0.509475077563161, 0.4007971382606299),
    normals: (-0.9429642536468488, 0.6779137868010144)),
]

@Test func streamMatchesIndependentPythonImplementationOfDocumentedLayout() {
  for reference in streamReferences {
    let stream = RandomStream(seed: reference.seed, name: reference.name)
    let words = stream.bits(person: reference.person, step: reference.step, draw: reference.draw)
    #expect([words.0, words.1, words.2, words.3] == reference.words, "\(reference.name)")
    let pair = stream.uniformPair(
      person: reference.person, step: reference.step, draw: reference.draw)
    #expect(pair.0 == reference.uniforms.0)
    #expect(pair.1 == reference.uniforms.1)
    let normals = stream.normalPair(
      person: reference.person, step: reference.step, draw: reference.draw)
    // cos, sin and log may differ by an ulp between C libraries; allow a few.
    #expect(abs(normals.0 - reference.normals.0) <= 4e-16 * max(1, abs(reference.normals.0)))
    #expect(abs(normals.1 - reference.normals.1) <= 4e-16 * max(1, abs(reference.normals.1)))
  }
}

@Test func keyDerivationUsesPublishedFNV1aAndSplitMix64Values() {
  // FNV-1a 64 test vectors (draft-eastlake-fnv; isthe.com/chongo/tech/comp/fnv).
  #expect(FNV1a64.hash(utf8: "") == 0xCBF2_9CE4_8422_2325)
  #expect(FNV1a64.hash(utf8: "a") == 0xAF63_DC4C_8601_EC8C)
  #expect(FNV1a64.hash(utf8: "foobar") == 0x8594_4171_F739_67E8)
  // First three outputs of Vigna's splitmix64.c seeded with 0.
  #expect(SplitMix64.mix(0) == 0xE220_A839_7B1D_CDAF)
  #expect(SplitMix64.mix(SplitMix64.goldenGamma) == 0x6E78_9E6A_A1B9_65F4)
  #expect(SplitMix64.mix(SplitMix64.goldenGamma &* 2) == 0x06C4_5D18_8009_454F)
}

@Test func sameSeedNameAndCounterAlwaysGiveSameValue() {
  let first = RandomStream(seed: 42, name: "incidence")
  let second = RandomStream(seed: 42, name: "incidence")
  #expect(first == second)
  for person: UInt64 in [0, 1, 999_999, 1 << 40] {
    for step: UInt32 in [0, 1, 50] {
      let a = first.uniform(person: person, step: step, draw: 2)
      let b = second.uniform(person: person, step: step, draw: 2)
      let again = first.uniform(person: person, step: step, draw: 2)
      #expect(a == b && a == again)
      #expect(
        first.normal(person: person, step: step, draw: 2)
          == second.normal(person: person, step: step, draw: 2))
    }
  }
}

@Test func singleDrawsEqualTheFirstOfTheirPair() {
  let stream = RandomStream(seed: 7, name: "pairs")
  for person: UInt64 in 0..<100 {
    let pair = stream.uniformPair(person: person, step: 3, draw: 1)
    #expect(stream.uniform(person: person, step: 3, draw: 1) == pair.0)
    let normals = stream.normalPair(person: person, step: 3, draw: 1)
    #expect(stream.normal(person: person, step: 3, draw: 1) == normals.0)
  }
}

@Test func everyCoordinateChangesTheValue() {
  let base = RandomStream(seed: 1, name: "mortality")
  var seen: Set<UInt64> = []
  var count = 0
  func record(_ stream: RandomStream, _ person: UInt64, _ step: UInt32, _ draw: UInt32) {
    seen.insert(stream.uniform(person: person, step: step, draw: draw).bitPattern)
    count += 1
  }
  for name in ["mortality", "Mortality", "mortality ", "incidence", "", "a", "b"] {
    for seed: UInt64 in [0, 1, 2, 1 << 32, .max] {
      record(RandomStream(seed: seed, name: name), 0, 0, 0)
    }
  }
  // The person id's high word is a separate counter word: person 2^32 differs from person 0.
  for person: UInt64 in [0, 1, 2, 1 << 32, (1 << 32) + 1, .max] {
    for step: UInt32 in [0, 1, .max] {
      for draw: UInt32 in [0, 1, .max] where person != 0 || step != 0 || draw != 0 {
        record(base, person, step, draw)
      }
    }
  }
  #expect(seen.count == count)
  // Seed and name are not interchangeable: seed 1 name "a" is not seed 2 name "a" etc.
  #expect(RandomStream(seed: 1, name: "a") != RandomStream(seed: 2, name: "a"))
  #expect(RandomStream(seed: 1, name: "a") != RandomStream(seed: 1, name: "b"))
}

@Test func uniformsStayStrictlyInsideZeroOneAtBitAndCounterExtremes() {
  #expect(RandomStream.openUnitInterval(high: 0, low: 0) == 0x1p-54)
  #expect(RandomStream.openUnitInterval(high: 0, low: 0x7FF) == 0x1p-54)
  #expect(RandomStream.openUnitInterval(high: 0, low: 0x800) == 0x1p-53)
  #expect(RandomStream.openUnitInterval(high: .max, low: .max) == 1 - 0x1p-53)
  #expect(RandomStream.openUnitInterval(high: .max, low: .max) < 1)
  #expect(RandomStream.openUnitInterval(high: 0x8000_0000, low: 0) == 0.5)
  // 53 random bits: the lowest bit of k changes the value.
  #expect(
    RandomStream.openUnitInterval(high: 0x8000_0000, low: 0x800)
      == 0.5 + 0x1p-53)
  // Why not the midpoint form: it rounds the all-ones word to exactly 1.
  #expect((Double(UInt64.max >> 11) + 0.5) * 0x1p-53 == 1)
  for seed: UInt64 in [0, 1, .max] {
    for name in ["", "x", "mortality"] {
      let stream = RandomStream(seed: seed, name: name)
      for person: UInt64 in [0, UInt64(UInt32.max), 1 << 32, .max] {
        for step: UInt32 in [0, .max] {
          for draw: UInt32 in [0, .max] {
            let (u1, u2) = stream.uniformPair(person: person, step: step, draw: draw)
            #expect(u1 > 0 && u1 < 1 && u2 > 0 && u2 < 1)
            let (z1, z2) = stream.normalPair(person: person, step: step, draw: draw)
            #expect(z1.isFinite && z2.isFinite)
          }
        }
      }
    }
  }
}

/// Mean, variance and lag correlation of `count` values produced by `value(i)`.
private func moments(count: Int, _ value: (Int) -> (Double, Double)) -> (
  mean: Double, variance: Double, correlation: Double
) {
  var sum = 0.0
  var sumSquares = 0.0
  var sumOther = 0.0
  var sumOtherSquares = 0.0
  var sumProducts = 0.0
  for index in 0..<count {
    let (x, y) = value(index)
    sum += x
    sumSquares += x * x
    sumOther += y
    sumOtherSquares += y * y
    sumProducts += x * y
  }
  let n = Double(count)
  let mean = sum / n
  let variance = sumSquares / n - mean * mean
  let otherMean = sumOther / n
  let otherVariance = sumOtherSquares / n - otherMean * otherMean
  let covariance = sumProducts / n - mean * otherMean
  return (mean, variance, covariance / (variance * otherVariance).squareRoot())
}

@Test func millionUniformsHaveUniformMomentsAndNoPairCorrelation() {
  let stream = RandomStream(seed: 2024, name: "statistics")
  let n = 1_000_000
  // Pair members (o0o1 vs o2o3) and neighbouring persons at the same draw.
  let pairs = moments(count: n / 2) { stream.uniformPair(person: UInt64($0), step: 0, draw: 0) }
  let neighbours = moments(count: n) {
    (
      stream.uniform(person: UInt64($0), step: 1, draw: 0),
      stream.uniform(person: UInt64($0) + 1, step: 1, draw: 0)
    )
  }
  // Six standard errors: mean sd sqrt(1/12/n); variance sd sqrt((1/80 - 1/144)/n);
  // correlation sd 1/sqrt(n). The values are deterministic, so the test is not flaky.
  let meanBound = 6 * (1.0 / 12 / Double(n)).squareRoot()
  let varianceBound = 6 * ((1.0 / 80 - 1.0 / 144) / Double(n)).squareRoot()
  #expect(abs(neighbours.mean - 0.5) < meanBound)
  #expect(abs(neighbours.variance - 1.0 / 12) < varianceBound)
  #expect(abs(neighbours.correlation) < 6 / Double(n).squareRoot())
  #expect(abs(pairs.mean - 0.5) < meanBound * 2.squareRoot())
  #expect(abs(pairs.correlation) < 6 / Double(n / 2).squareRoot())
}

@Test func millionNormalsHaveStandardNormalMoments() {
  let stream = RandomStream(seed: 2024, name: "normals")
  let n = 1_000_000
  var sum = 0.0
  var sumSquares = 0.0
  var sumFourth = 0.0
  var sumProducts = 0.0
  for person in 0..<(n / 2) {
    let (z1, z2) = stream.normalPair(person: UInt64(person), step: 5, draw: 9)
    sum += z1 + z2
    sumSquares += z1 * z1 + z2 * z2
    sumFourth += z1 * z1 * z1 * z1 + z2 * z2 * z2 * z2
    sumProducts += z1 * z2
  }
  let count = Double(n)
  // Six standard errors: mean 1/sqrt(n), variance sqrt(2/n), fourth moment
  // sqrt((105 - 9)/n), pair correlation 1/sqrt(n/2).
  #expect(abs(sum / count) < 6 / count.squareRoot())
  #expect(abs(sumSquares / count - 1) < 6 * (2 / count).squareRoot())
  #expect(abs(sumFourth / count - 3) < 6 * (96 / count).squareRoot())
  #expect(abs(sumProducts / (count / 2)) < 6 / (count / 2).squareRoot())
}
