import BLASKit
import Testing

// Reference products below are worked by hand (row times column), not by BLAS.

@Test func gemmMultipliesRowMajorMatricesLikeTheHandComputedProduct() {
  // A (2 x 3) = [1 2 3; 4 5 6], B (3 x 2) = [7 8; 9 10; 11 12]
  // C = [1*7+2*9+3*11, 1*8+2*10+3*12; 4*7+5*9+6*11, 4*8+5*10+6*12] = [58 64; 139 154]
  let product = BLAS.multiply(
    [1, 2, 3, 4, 5, 6], [7, 8, 9, 10, 11, 12], rows: 2, columns: 2, inner: 3)
  #expect(product == [58, 64, 139, 154])
}

@Test func gemmHonoursTransposeFlagsOnStoredOperands() {
  // Stored At (3 x 2) = [1 4; 2 5; 3 6] is A transposed; stored Bt (2 x 3) = [7 9 11; 8 10 12]
  // is B transposed. op(At) * op(Bt) must equal A * B = [58 64; 139 154].
  let storedA: [Double] = [1, 4, 2, 5, 3, 6]
  let storedB: [Double] = [7, 9, 11, 8, 10, 12]
  var product = [Double](repeating: -1, count: 4)
  storedA.withUnsafeBufferPointer { a in
    storedB.withUnsafeBufferPointer { b in
      product.withUnsafeMutableBufferPointer { c in
        BLAS.gemm(
          a: a, transposeA: .transposed, b: b, transposeB: .transposed, c: c,
          rows: 2, columns: 2, inner: 3)
      }
    }
  }
  #expect(product == [58, 64, 139, 154])
}

@Test func gemmAccumulatesWithAlphaAndBeta() {
  // C = 2 * I * B + 0.5 * C0 with I the 2 x 2 identity, B = [1 2; 3 4], C0 = [10 20; 30 40]
  // = [2*1+5, 2*2+10; 2*3+15, 2*4+20] = [7 14; 21 28]
  let identity: [Double] = [1, 0, 0, 1]
  let b: [Double] = [1, 2, 3, 4]
  var c: [Double] = [10, 20, 30, 40]
  identity.withUnsafeBufferPointer { aBuffer in
    b.withUnsafeBufferPointer { bBuffer in
      c.withUnsafeMutableBufferPointer { cBuffer in
        BLAS.gemm(
          a: aBuffer, b: bBuffer, c: cBuffer, rows: 2, columns: 2, inner: 2,
          alpha: 2, beta: 0.5)
      }
    }
  }
  #expect(c == [7, 14, 21, 28])
}

@Test func gemmWithEmptyInnerDimensionScalesCByBeta() {
  var c: [Double] = [1, 2]
  let empty: [Double] = []
  empty.withUnsafeBufferPointer { a in
    empty.withUnsafeBufferPointer { b in
      c.withUnsafeMutableBufferPointer { cBuffer in
        BLAS.gemm(a: a, b: b, c: cBuffer, rows: 2, columns: 1, inner: 0, beta: 3)
      }
    }
  }
  #expect(c == [3, 6])
}

@Test func blasThreadCountCanBeSetToOne() {
  BLAS.setThreadCount(1)
  #expect(BLAS.threadCount == 1)
}

@Test func gemmStopsWithAMessageWhenShapesDoNotMatch() async {
  await #expect(processExitsWith: .failure) {
    // A has 3 elements but 2 x 2 = 4 are declared.
    _ = BLAS.multiply([1, 2, 3], [1, 1], rows: 2, columns: 1, inner: 2)
  }
}
