import Foundation
import XCTest

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
                gemm(
                    transA: transA, transB: transB, m: m, n: n, k: k, alpha: 2, a: a, lda: lda, b: b, ldb: ldb,
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
