import Foundation
import XCTest

@testable import NeuralCore

/// One row of C (a single stream) goes through GEMV: same results for every transpose of B.
final class SingleRowGemmTests: XCTestCase {
    func testOneRowMatchesNaive() {
        var rng = SplitMix64(seed: 9)
        for (n, k) in [(5, 3), (700, 400)] {  // the second one is split over threads
            for transB in [false, true] {
                let a = (0..<k).map { _ in rng.nextFloat(in: -1, 1) }
                let b = (0..<(k * n)).map { _ in rng.nextFloat(in: -1, 1) }
                var c = (0..<n).map { _ in rng.nextFloat(in: -1, 1) }
                let c0 = c
                Parallelism.set(threads: 2)
                defer { Parallelism.set(threads: 1) }
                gemm(
                    transA: false, transB: transB, m: 1, n: n, k: k, alpha: 0.5, a: a, lda: k, b: b,
                    ldb: transB ? k : n, beta: 2, c: &c, ldc: n)
                for j in 0..<n {
                    let dot = (0..<k).reduce(0.0) {
                        $0 + Double(a[$1]) * Double(transB ? b[j * k + $1] : b[$1 * n + j])
                    }
                    XCTAssertEqual(
                        Double(c[j]), 0.5 * dot + 2 * Double(c0[j]), accuracy: 1e-4, "n \(n) transB \(transB)")
                }
            }
        }
    }
}
