// `charnn bench --sgemm N`: this machine's single-precision matrix-product rate, measured through
// the same path training takes (NeuralCore's `gemm`: the linked BLAS, single-threaded, on one
// block of C per thread of `Parallelism`). Training's "effective GFLOP/s" (6 × parameters ×
// chars/s) is only meaningful next to this roofline, measured in the same run on the same machine.
import Foundation
import NeuralCore

enum SgemmProbe {
    /// Sizes the probe accepts: below 64 the product is call overhead, above 8192 the three
    /// matrices take more than 800 MB.
    static let sizes = 64...8192

    struct Result {
        let size: Int
        let threads: Int
        /// Seconds of the fastest product, and how many were timed.
        let best: Double
        let repeats: Int

        /// 2·N³ floating-point operations (a multiply and an add per term) per product.
        var gflops: Double { 2 * pow(Double(size), 3) / best / 1e9 }
    }

    /// Times `C = A·B` for N×N matrices on `Parallelism`'s threads (set by the caller): one product
    /// to warm up (page faults, BLAS's buffers, the thread team), then repeats for at least
    /// `seconds` and `minimumRepeats` products. The fastest one counts: on a shared machine the
    /// slower ones measure the other jobs.
    static func measure(size n: Int, threads: Int, seconds: Double = 1.5, minimumRepeats: Int = 3) -> Result {
        let a = FloatBuffer(count: n * n), b = FloatBuffer(count: n * n), c = FloatBuffer(count: n * n)
        // Values in [-1, 1], no denormals, no zeros: a pattern, not random numbers (the rate
        // does not depend on them, and the probe should not depend on a generator).
        for i in 0..<(n * n) {
            a.pointer[i] = Float((i &* 7919) % 2001) / 1000 - 1
            b.pointer[i] = Float((i &* 104_729) % 1999) / 1000 - 0.999
        }
        let product = {
            gemm(
                transA: false, transB: false, m: n, n: n, k: n, a: a.pointer, lda: n, b: b.pointer, ldb: n,
                c: c.pointer, ldc: n)
        }
        product()
        var best = Double.infinity, repeats = 0
        let start = DispatchTime.now().uptimeNanoseconds
        while repeats < minimumRepeats || Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 < seconds {
            let t0 = DispatchTime.now().uptimeNanoseconds
            product()
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
            repeats += 1
        }
        return Result(size: n, threads: threads, best: best, repeats: repeats)
    }

    /// The probe's one JSON line (its own keys: it is not a peer measurement).
    static func json(_ r: Result) throws -> String {
        let object: [String: Any] = [
            "probe": "sgemm", "n": r.size, "threads": r.threads, "repeats": r.repeats,
            "best_seconds": (r.best * 1e9).rounded() / 1e9, "gflops": (r.gflops * 10).rounded() / 10,
            "blas": BLASCore.name,
        ]
        let bytes = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return String(decoding: bytes, as: UTF8.self)
    }
}
