#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A small, typed face over OpenBLAS's CBLAS interface.
///
/// Only the routines twin-sim needs are exposed, with shapes checked by
/// `precondition` before any pointer reaches C, so a shape mistake stops the
/// program with a message instead of reading or writing out of bounds.
///
/// Loading: OpenBLAS is opened (`dlopen`) at the first BLAS call, not when the
/// program starts. The engine's default linear-predictor path needs no BLAS
/// (docs/benchmarks.md), and a loaded OpenBLAS costs every process and every MPI
/// rank about 2.5 MB of resident memory and a thread pool started at load time,
/// whether or not it is used. `BLAS.availability` says whether it can be loaded.
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
    OpenBLAS.library().dgemm(
      CBLAS.rowMajor, cblasTranspose(transposeA), cblasTranspose(transposeB),
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
    Int(OpenBLAS.library().getThreadCount())
  }

  /// Sets the number of threads OpenBLAS uses for each call. Use 1 when running
  /// one MPI rank per core; equivalent to `OPENBLAS_NUM_THREADS=1` but only from
  /// the moment of the call.
  ///
  /// - Precondition: `count >= 1`.
  public static func setThreadCount(_ count: Int) {
    precondition(count >= 1 && count <= Int(Int32.max), "BLAS thread count must be >= 1")
    OpenBLAS.library().setThreadCount(Int32(count))
  }

  /// nil when OpenBLAS can be loaded; otherwise why not (the first BLAS call stops
  /// the program with this message).
  public static var availability: String? {
    if case .failure(let problem) = OpenBLAS.loaded { return problem.message }
    return nil
  }

  private static func cblasTranspose(_ transpose: Transpose) -> Int32 {
    switch transpose {
    case .none: return CBLAS.noTranspose
    case .transposed: return CBLAS.transpose
    }
  }
}

/// The CBLAS enumeration values (cblas.h: `CBLAS_ORDER`, `CBLAS_TRANSPOSE`; C enums
/// are passed as `int`).
enum CBLAS {
  static let rowMajor: Int32 = 101
  static let noTranspose: Int32 = 111
  static let transpose: Int32 = 112
}

/// The OpenBLAS entry points twin-sim calls, resolved once from the shared library.
struct OpenBLAS: @unchecked Sendable {
  /// `cblas_dgemm` with 32-bit `blasint` (Debian's libopenblas0 is not the ILP64 build).
  typealias Dgemm =
    @convention(c) (
      Int32, Int32, Int32, Int32, Int32, Int32, Double, UnsafePointer<Double>?, Int32,
      UnsafePointer<Double>?, Int32, Double, UnsafeMutablePointer<Double>?, Int32
    ) -> Void
  typealias GetThreadCount = @convention(c) () -> Int32
  typealias SetThreadCount = @convention(c) (Int32) -> Void

  struct LoadProblem: Error {
    let message: String
  }

  let dgemm: Dgemm
  let getThreadCount: GetThreadCount
  let setThreadCount: SetThreadCount

  /// Shared-library names tried in order: Debian's alternatives link
  /// (libopenblas0-pthread, libopenblas0-openmp or libopenblas0-serial), then the
  /// development link.
  static let libraryNames = ["libopenblas.so.0", "libopenblas.so"]

  /// Loaded on first use (Swift initialises a static `let` once, thread-safely).
  static let loaded: Result<OpenBLAS, LoadProblem> = load()

  static func library() -> OpenBLAS {
    switch loaded {
    case .success(let library): return library
    case .failure(let problem): fatalError(problem.message)
    }
  }

  private static func load() -> Result<OpenBLAS, LoadProblem> {
    var reasons: [String] = []
    for name in libraryNames {
      guard let handle = dlopen(name, RTLD_NOW | RTLD_LOCAL) else {
        reasons.append(dlerror().map { String(cString: $0) } ?? "\(name): not found")
        continue
      }
      func symbol<Function>(_ symbolName: String, as type: Function.Type) -> Function? {
        guard let address = dlsym(handle, symbolName) else { return nil }
        return unsafeBitCast(address, to: type)
      }
      guard let dgemm = symbol("cblas_dgemm", as: Dgemm.self),
        let getThreads = symbol("openblas_get_num_threads", as: GetThreadCount.self),
        let setThreads = symbol("openblas_set_num_threads", as: SetThreadCount.self)
      else {
        reasons.append("\(name) lacks cblas_dgemm or openblas_{get,set}_num_threads")
        continue
      }
      return .success(
        OpenBLAS(dgemm: dgemm, getThreadCount: getThreads, setThreadCount: setThreads))
    }
    return .failure(
      LoadProblem(
        message: "OpenBLAS cannot be loaded (install the Debian package libopenblas0 or "
          + "libopenblas-dev): " + reasons.joined(separator: "; ")))
  }
}
