import Testing
import TwinRandom

// Reference quantiles from SciPy 1.17.1 (Cephes ndtri, independent of AS241), produced by:
//   python3 -c "from scipy.stats import norm; [print((p, float(norm.ppf(p)))) for p in
//     [1e-300, 1e-100, 1e-20, 1e-12, 1e-11, 1e-8, 1e-5, 1e-3, 0.025, 0.05, 0.075, 0.0751, 0.1,
//      0.25, 0.4, 0.5, 0.6, 0.75, 0.9, 0.925, 0.95, 0.975, 0.999, 0.99999, 1 - 1e-10]]"
// They cover all three AS241 regions: central (|p - 1/2| <= 0.425), intermediate tail
// (r = sqrt(-ln min(p, 1 - p)) <= 5) and far tail (r > 5, p < ~1.4e-11).
private let scipyQuantiles: [(p: Double, z: Double)] = [
  (1e-300, -37.0470962993612),
  (1e-100, -21.273453560965322),
  (1e-20, -9.262340089798409),
  (1e-12, -7.034483825301131),
  (1e-11, -6.706023155495137),
  (1e-08, -5.612001244174789),
  (1e-05, -4.264890793922825),
  (0.001, -3.090232306167813),
  (0.025, -1.9599639845400545),
  (0.05, -1.6448536269514729),
  (0.075, -1.4395314709384563),
  (0.0751, -1.4388253927525403),
  (0.1, -1.2815515655446004),
  (0.25, -0.6744897501960817),
  (0.4, -0.2533471031357997),
  (0.5, 0.0),
  (0.6, 0.2533471031357997),
  (0.75, 0.6744897501960817),
  (0.9, 1.2815515655446004),
  (0.925, 1.4395314709384563),
  (0.95, 1.6448536269514722),
  (0.975, 1.959963984540054),
  (0.999, 3.090232306167813),
  (0.99999, 4.264890793923841),
  (0.9999999999, 6.361340889697422),
]

@Test func inverseNormalCDFMatchesScipyToTwoEMinusFifteen() {
  for (p, z) in scipyQuantiles {
    let computed = inverseNormalCDF(p)
    // Relative 2e-15 (about 9 ulp); both AS241 and ndtri claim ~1e-16 relative accuracy.
    #expect(abs(computed - z) <= 2e-15 * abs(z), "p = \(p): \(computed) vs scipy \(z)")
  }
}

@Test func inverseNormalCDFHandlesBoundsAndInvalidInput() {
  #expect(inverseNormalCDF(0) == -.infinity)
  #expect(inverseNormalCDF(1) == .infinity)
  #expect(inverseNormalCDF(-0.1).isNaN)
  #expect(inverseNormalCDF(1.1).isNaN)
  #expect(inverseNormalCDF(.nan).isNaN)
  #expect(inverseNormalCDF(.leastNonzeroMagnitude).isFinite)
  #expect(inverseNormalCDF(.leastNonzeroMagnitude) < -38)
}

@Test func inverseNormalCDFIsMonotoneAcrossRegionBoundaries() {
  // Monotone through the splits at p = 0.075, 0.925 and r = 5 (p = exp(-25)).
  let exactSplit = 0.075
  let tailSplit = 1.388794386496402e-11  // exp(-25)
  for centre in [exactSplit, 1 - exactSplit, tailSplit] {
    var previous = -Double.infinity
    var p = centre * (1 - 1e-9)
    while p < centre * (1 + 1e-9) {
      let z = inverseNormalCDF(p)
      #expect(z >= previous, "not monotone at p = \(p)")
      previous = z
      p = p.nextUp.nextUp.nextUp.nextUp.nextUp.nextUp.nextUp.nextUp * (1 + 1e-12)
    }
  }
}
