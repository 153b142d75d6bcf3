import XCTest
import Foundation
@testable import NeuralCore

final class BLASTests: XCTestCase {
    func testGemmAllTransposesAgainstNaive() {
        var rng = SplitMix64(seed: 7)
        let m = 5, n = 4, k = 3
        for transA in [false, true] {
            for transB in [false, true] {
                let a = (0..<m * k).map { _ in rng.nextFloat(in: -1, 1) }
                let b = (0..<k * n).map { _ in rng.nextFloat(in: -1, 1) }
                var c = [Float](repeating: 0.5, count: m * n)
                let lda = transA ? m : k, ldb = transB ? k : n
                gemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 2, a: a, lda: lda, b: b, ldb: ldb,
                     beta: 1, c: &c, ldc: n)
                for i in 0..<m {
                    for j in 0..<n {
                        var s = 0.0
                        for p in 0..<k {
                            let av = transA ? a[p * m + i] : a[i * k + p]
                            let bv = transB ? b[j * k + p] : b[p * n + j]
                            s += Double(av) * Double(bv)
                        }
                        XCTAssertEqual(Double(c[i * n + j]), 2 * s + 0.5, accuracy: 1e-5)
                    }
                }
            }
        }
    }
}

final class KernelTests: XCTestCase {
    /// The vector exp, sigmoid and tanh against Foundation in Double over a wide range, on every
    /// kernel level this CPU runs (tails shorter than a vector included: 1,000 is not a multiple of 8).
    func testVectorMathAccuracyOnEveryLevel() {
        let xs = (0..<1_000).map { Float(-80) + Float($0) * 0.16 + Float($0 % 8) * 0.01 }
        forEachKernelLevel { level in
            var e = [Float](repeating: 0, count: xs.count), t = e, s = e
            Kernels.exp(xs, into: &e, xs.count)
            Kernels.tanh(xs, into: &t, xs.count)
            Kernels.sigmoid(xs, into: &s, xs.count)
            var worstExp = 0.0, worstTanh = 0.0, worstSig = 0.0
            for (i, x) in xs.enumerated() {
                let xd = Double(x)
                worstExp = max(worstExp, abs(Double(e[i]) - Foundation.exp(xd)) / Foundation.exp(xd))
                worstTanh = max(worstTanh, abs(Double(t[i]) - Foundation.tanh(xd)))
                worstSig = max(worstSig, abs(Double(s[i]) - 1 / (1 + Foundation.exp(-xd))))
            }
            XCTAssertLessThan(worstExp, 5e-7, level.name)
            XCTAssertLessThan(worstTanh, 5e-7, level.name)
            XCTAssertLessThan(worstSig, 5e-7, level.name)
            // NaN propagates (a diverged model must not look finite).
            var nan: [Float] = [.nan]
            Kernels.tanh(nan, into: &nan, 1)
            XCTAssertTrue(nan[0].isNaN, level.name)
        }
    }

    func testSoftmaxCrossEntropyGradient() {
        var logits: [Float] = [1, 2, 3, 0.5, -1, 4]  // 2 rows of 3
        let targets: [Int32] = [2, -1]
        let loss = Kernels.softmaxCrossEntropy(&logits, rows: 2, v: 3, targets: targets, scale: 1)
        let z = [1.0, 2, 3], lse = log(z.map { exp($0) }.reduce(0, +))
        XCTAssertEqual(loss, lse - 3, accuracy: 1e-6)
        XCTAssertEqual(Double(logits[0]), exp(1 - lse), accuracy: 1e-6)
        XCTAssertEqual(Double(logits[2]), exp(3 - lse) - 1, accuracy: 1e-6)
        XCTAssertEqual(logits[3...].map { $0 }, [0, 0, 0], "unscored rows get no gradient")
    }
}

/// One row of C (a single stream) goes through GEMV: same results for every transpose of B.
final class SingleRowGemmTests: XCTestCase {
    func testOneRowMatchesNaive() {
        var rng = SplitMix64(seed: 9)
        for (n, k) in [(5, 3), (700, 400)] {   // the second one is split over threads
            for transB in [false, true] {
                let a = (0..<k).map { _ in rng.nextFloat(in: -1, 1) }
                let b = (0..<(k * n)).map { _ in rng.nextFloat(in: -1, 1) }
                var c = (0..<n).map { _ in rng.nextFloat(in: -1, 1) }
                let c0 = c
                Parallelism.set(threads: 2)
                defer { Parallelism.set(threads: 1) }
                gemm(transA: false, transB: transB, m: 1, n: n, k: k, alpha: 0.5, a: a, lda: k, b: b,
                     ldb: transB ? k : n, beta: 2, c: &c, ldc: n)
                for j in 0..<n {
                    let dot = (0..<k).reduce(0.0) { $0 + Double(a[$1]) * Double(transB ? b[j * k + $1] : b[$1 * n + j]) }
                    XCTAssertEqual(Double(c[j]), 0.5 * dot + 2 * Double(c0[j]), accuracy: 1e-4, "n \(n) transB \(transB)")
                }
            }
        }
    }
}

final class BLASCoreTests: XCTestCase {
    func testPreferredCoreFollowsTheCPUFlags() {
        let avx512: Set<Substring> = ["sse2", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd"]
        XCTAssertEqual(BLASCore.preferredCore(cpuFlags: avx512), "SkylakeX")
        XCTAssertEqual(BLASCore.preferredCore(cpuFlags: ["avx", "avx2", "fma", "avx512f"]), "Haswell")
        XCTAssertEqual(BLASCore.preferredCore(cpuFlags: ["avx", "avx2"]), nil)   // no FMA
        XCTAssertEqual(BLASCore.preferredCore(cpuFlags: []), nil)
    }

    func testSwitchesOnlyFromAFallbackAndNeverOverTheUser() {
        XCTAssertTrue(BLASCore.shouldSwitch(current: "Prescott", preferred: "SkylakeX", userChoice: nil))
        XCTAssertTrue(BLASCore.shouldSwitch(current: "Nehalem", preferred: "Haswell", userChoice: ""))
        XCTAssertFalse(BLASCore.shouldSwitch(current: "Prescott", preferred: "SkylakeX", userChoice: "Prescott"))
        XCTAssertFalse(BLASCore.shouldSwitch(current: "Haswell", preferred: "SkylakeX", userChoice: nil))
        XCTAssertFalse(BLASCore.shouldSwitch(current: "SkylakeX", preferred: "SkylakeX", userChoice: nil))
        XCTAssertFalse(BLASCore.shouldSwitch(current: "Prescott", preferred: nil, userChoice: nil))
    }

    /// This process (the test runner) does not restart itself, so its kernels are whatever
    /// OpenBLAS chose; the name must at least be readable.
    func testCoreNameIsReported() {
        XCTAssertFalse(BLASCore.name.isEmpty)
    }
}
