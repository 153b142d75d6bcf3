// Every platform branch of NeuralCore lives here: BLAS comes from OpenBLAS on
// Linux and from Accelerate on Apple platforms.
#if canImport(Accelerate)
import Accelerate
#else
import CBLAS
#endif

/// Row-major single-precision matrix multiply through CBLAS:
/// `C[m×n] = alpha · op(A) · op(B) + beta · C`, with `op(X) = Xᵀ` when `transX`.
///
/// - Parameters:
///   - lda, ldb, ldc: leading dimensions (row strides) of A, B, C as stored.
@inlinable
public func gemm(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
    alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
    b: UnsafePointer<Float>, ldb: Int,
    beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
) {
    if m == 0 || n == 0 { return }
    cblas_sgemm(CblasRowMajor,
                transA ? CblasTrans : CblasNoTrans,
                transB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}

/// `y[m] = alpha · op(A) · x + beta · y` for a row-major A of `rows × cols`.
@inlinable
public func gemv(
    trans: Bool, rows: Int, cols: Int, alpha: Float = 1,
    a: UnsafePointer<Float>, lda: Int, x: UnsafePointer<Float>,
    beta: Float = 0, y: UnsafeMutablePointer<Float>
) {
    cblas_sgemv(CblasRowMajor, trans ? CblasTrans : CblasNoTrans,
                Int32(rows), Int32(cols), alpha, a, Int32(lda), x, 1, beta, y, 1)
}

/// Controls the number of threads BLAS uses (OpenBLAS; a no-op on Accelerate).
public enum BLASThreads {
    #if !canImport(Accelerate)
    @usableFromInline nonisolated(unsafe) static var current = 0
    #endif

    /// Sets the BLAS thread count (≥ 1).
    public static func set(_ n: Int) {
        precondition(n >= 1, "thread count must be at least 1, got \(n)")
        #if !canImport(Accelerate)
        openblas_set_num_threads(Int32(n))
        current = n
        #endif
    }

    /// The BLAS thread count in use (1 on Accelerate, where it is not settable).
    public static var count: Int {
        #if canImport(Accelerate)
        return 1
        #else
        return Int(openblas_get_num_threads())
        #endif
    }
}
