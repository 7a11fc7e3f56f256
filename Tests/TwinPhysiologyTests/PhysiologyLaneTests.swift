import Foundation
import Testing

@testable import TwinPhysiology

@Test func exponentialMatchesTheCLibraryToOnePartInTenBillion() {
  // Reference: glibc's exp (correctly rounded to within 1 ulp), an independent implementation.
  var worst = 0.0
  var x = -700.0
  while x <= 700 {
    let relative = abs(Double.exponential(x) - Foundation.exp(x)) / Foundation.exp(x)
    worst = max(worst, relative)
    x += 0.173
  }
  x = -5.0
  while x <= 5 {
    let relative = abs(Double.exponential(x) - Foundation.exp(x)) / Foundation.exp(x)
    worst = max(worst, relative)
    x += 0.000_731
  }
  #expect(worst < 1e-11, "worst relative error \(worst)")
  #expect(Double.exponential(0) == 1)
}

@Test func simdLanesComputeTheSameBitsAsScalars() {
  // The batch relies on this: a person's numbers must not depend on its lane.
  let inputs: [Double] = [-3.7, -0.2, 0, 0.001, 0.5, 1.9, 2.3, 7.25]
  let vector = SIMD8<Double>(inputs)
  let exponentials = SIMD8<Double>.exponential(vector)
  let roots = SIMD8<Double>.laneSquareRoot(SIMD8<Double>.laneMax(vector, SIMD8(repeating: 0)))
  for lane in 0..<8 {
    #expect(exponentials[lane].bitPattern == Double.exponential(inputs[lane]).bitPattern)
    #expect(roots[lane].bitPattern == max(inputs[lane], 0).squareRoot().bitPattern)
  }
  let four = SIMD4<Double>(inputs[0], inputs[3], inputs[5], inputs[7])
  let fourExponentials = SIMD4<Double>.exponential(four)
  #expect(fourExponentials[2].bitPattern == Double.exponential(inputs[5]).bitPattern)
}

@Test func maskReductionSeesASingleSetLane() {
  for lane in 0..<8 {
    var values = SIMD8<Double>(repeating: 1)
    values[lane] = -1
    #expect(SIMD8<Double>.any(SIMD8<Double>.isLess(values, SIMD8(repeating: 0))))
  }
  #expect(!SIMD8<Double>.any(SIMD8<Double>.isLess(SIMD8(repeating: 1), SIMD8(repeating: 0))))
  #expect(SIMD4<Double>.any(SIMD4<Double>.isLess(SIMD4(1, 1, 1, -1), SIMD4(repeating: 0))))
}
