// Matrix products through CBLAS: OpenBLAS on Linux, Accelerate on Apple platforms (the only
// platform branch of the products). Large products are split over `Parallelism`'s threads.
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
    if m == 1 && !transA {
        // One row (a single stream): a GEMV. GEMM would repack all of B for one row of C,
        // which made a batch-1 forward pass 3× slower.
        gemv(
            trans: !transB, rows: transB ? n : k, cols: transB ? k : n, alpha: alpha, a: b, lda: ldb, x: a,
            beta: beta, y: c)
        return
    }
    let parts = Parallelism.threads
    // Split C into `parts` blocks along its longer side and run single-threaded BLAS on each:
    // cheaper than BLAS's own threading for the small per-step products of an RNN.
    if parts > 1 && m * n * k >= Parallelism.minimumWork {
        let splitRows = m >= n
        let extent = splitRows ? m : n
        let chunk = (extent + parts - 1) / parts
        let pieces = (extent + chunk - 1) / chunk
        // Each block writes a disjoint part of C.
        nonisolated(unsafe) let a = a, b = b, c = c
        let block: @Sendable (Int) -> Void = { i in
            let lo = i * chunk, len = min(chunk, extent - lo)
            if splitRows {
                sgemm1(
                    transA, transB, len, n, k, alpha, transA ? a + lo : a + lo * lda, lda, b, ldb, beta, c + lo * ldc,
                    ldc)
            } else {
                sgemm1(transA, transB, m, len, k, alpha, a, lda, transB ? b + lo * ldb : b + lo, ldb, beta, c + lo, ldc)
            }
        }
        Parallelism.run(pieces: pieces, block)
    } else {
        sgemm1(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
    }
}

@inlinable @inline(__always)
func sgemm1(
    _ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float,
    _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
    _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int
) {
    cblas_sgemm(
        CblasRowMajor,
        transA ? CblasTrans : CblasNoTrans,
        transB ? CblasTrans : CblasNoTrans,
        Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}

/// `y[m] = alpha · op(A) · x + beta · y` for a row-major A of `rows × cols`.
/// Large non-transposed products are split by rows over `Parallelism.threads`.
@inlinable
public func gemv(
    trans: Bool, rows: Int, cols: Int, alpha: Float = 1,
    a: UnsafePointer<Float>, lda: Int, x: UnsafePointer<Float>,
    beta: Float = 0, y: UnsafeMutablePointer<Float>
) {
    let parts = Parallelism.threads
    if !trans && parts > 1 && rows * cols >= Parallelism.minimumVectorWork {
        let chunk = (rows + parts - 1) / parts
        let pieces = (rows + chunk - 1) / chunk
        nonisolated(unsafe) let a = a, x = x, y = y
        let block: @Sendable (Int) -> Void = { i in
            let lo = i * chunk, len = min(chunk, rows - lo)
            cblas_sgemv(
                CblasRowMajor, CblasNoTrans, Int32(len), Int32(cols), alpha, a + lo * lda, Int32(lda), x, 1,
                beta, y + lo, 1)
        }
        Parallelism.run(pieces: pieces, block)
        return
    }
    cblas_sgemv(
        CblasRowMajor, trans ? CblasTrans : CblasNoTrans,
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
