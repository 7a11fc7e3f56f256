import COpenBLAS

/// A small, typed face over OpenBLAS's CBLAS interface.
///
/// Only the routines twin-sim needs are exposed, with shapes checked by
/// `precondition` before any pointer reaches C, so a shape mistake stops the
/// program with a message instead of reading or writing out of bounds.
///
/// Threads: OpenBLAS starts its own thread pool (one thread per core by default).
/// When an MPI job already runs one rank per core, those threads oversubscribe
/// the cores and slow every rank down. Set `OPENBLAS_NUM_THREADS=1` in the job
/// environment (the Slurm templates and `mpirun_env()` in the tests do), or call
/// `BLAS.setThreadCount(1)` before the first BLAS call.
public enum BLAS {
  /// Whether a matrix operand enters a product as stored or transposed.
  public enum Transpose: Sendable {
    case none
    case transposed
  }

  /// Matrix-matrix product on row-major matrices, `C = alpha * op(A) * op(B) + beta * C`
  /// (BLAS `dgemm`).
  ///
  /// Shapes are given for the operands as they enter the product: `op(A)` is
  /// `rows x inner`, `op(B)` is `inner x columns`, `C` is `rows x columns`. All three
  /// buffers are dense row-major (leading dimension = stored column count). `C` must
  /// not overlap `A` or `B`.
  ///
  /// Accuracy: each entry is an inner product of length `inner` in double precision;
  /// the summation order is OpenBLAS's (blocked, possibly FMA), so results may differ
  /// from a naive loop by a few units in the last place per term.
  ///
  /// - Precondition: `rows, columns, inner >= 0`, each within `Int32` (CBLAS `blasint`),
  ///   and `a.count == rows * inner`, `b.count == inner * columns`,
  ///   `c.count == rows * columns`.
  public static func gemm(
    a: UnsafeBufferPointer<Double>, transposeA: Transpose = .none,
    b: UnsafeBufferPointer<Double>, transposeB: Transpose = .none,
    c: UnsafeMutableBufferPointer<Double>,
    rows: Int, columns: Int, inner: Int,
    alpha: Double = 1, beta: Double = 0
  ) {
    precondition(rows >= 0 && columns >= 0 && inner >= 0, "gemm: negative dimension")
    precondition(
      rows <= Int(Int32.max) && columns <= Int(Int32.max) && inner <= Int(Int32.max),
      "gemm: dimension exceeds the 32-bit BLAS integer")
    precondition(
      a.count == rows * inner,
      "gemm: A has \(a.count) elements, expected \(rows) x \(inner) = \(rows * inner)")
    precondition(
      b.count == inner * columns,
      "gemm: B has \(b.count) elements, expected \(inner) x \(columns) = \(inner * columns)")
    precondition(
      c.count == rows * columns,
      "gemm: C has \(c.count) elements, expected \(rows) x \(columns) = \(rows * columns)")
    if rows == 0 || columns == 0 { return }
    if inner == 0 {
      // BLAS leaves C scaled by beta when the inner dimension is empty; do the same
      // here without handing C null operand pointers.
      for index in c.indices { c[index] = beta == 0 ? 0 : beta * c[index] }
      return
    }
    // Leading dimensions of the stored (untransposed) row-major arrays.
    let leadingA = transposeA == .none ? inner : rows
    let leadingB = transposeB == .none ? columns : inner
    cblas_dgemm(
      twin_cblas_row_major(), cblasTranspose(transposeA), cblasTranspose(transposeB),
      Int32(rows), Int32(columns), Int32(inner),
      alpha, a.baseAddress, Int32(leadingA),
      b.baseAddress, Int32(leadingB),
      beta, c.baseAddress, Int32(columns))
  }

  /// Row-major product of two arrays, `A (rows x inner) * B (inner x columns)`,
  /// returned as a new `rows x columns` array. Allocates; for hot loops use the
  /// buffer-pointer form with a preallocated `C`.
  ///
  /// - Precondition: as for the buffer-pointer form.
  public static func multiply(
    _ a: [Double], _ b: [Double], rows: Int, columns: Int, inner: Int
  ) -> [Double] {
    var product = [Double](repeating: 0, count: rows * columns)
    a.withUnsafeBufferPointer { aBuffer in
      b.withUnsafeBufferPointer { bBuffer in
        product.withUnsafeMutableBufferPointer { cBuffer in
          gemm(
            a: aBuffer, b: bBuffer, c: cBuffer, rows: rows, columns: columns, inner: inner)
        }
      }
    }
    return product
  }

  /// Number of threads OpenBLAS uses for one call (from `OPENBLAS_NUM_THREADS`,
  /// or the core count when unset).
  public static var threadCount: Int {
    Int(openblas_get_num_threads())
  }

  /// Sets the number of threads OpenBLAS uses for each call. Use 1 when running
  /// one MPI rank per core; equivalent to `OPENBLAS_NUM_THREADS=1` but only from
  /// the moment of the call.
  ///
  /// - Precondition: `count >= 1`.
  public static func setThreadCount(_ count: Int) {
    precondition(count >= 1 && count <= Int(Int32.max), "BLAS thread count must be >= 1")
    openblas_set_num_threads(Int32(count))
  }

  private static func cblasTranspose(_ transpose: Transpose) -> CBLAS_TRANSPOSE {
    switch transpose {
    case .none: return twin_cblas_no_trans()
    case .transposed: return twin_cblas_trans()
    }
  }
}
