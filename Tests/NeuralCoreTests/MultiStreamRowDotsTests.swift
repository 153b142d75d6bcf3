import Foundation
import XCTest

@testable import NeuralCore

/// `rowDots` over several streams: strides, a shared bias (stride 0), accumulation in place.
final class MultiStreamRowDotsTests: XCTestCase {
    func testMatchesNaiveProductsForEveryStream() {
        forEachKernelLevel { _ in matchesNaiveProducts() }
    }

    func matchesNaiveProducts() {
        var rng = SplitMix64(seed: 12)
        for vectors in [1, 2, 5] {
            for (rows, cols) in [(1, 7), (4, 16), (9, 33), (6, 100)] {
                let ld = cols + 2, xStride = cols + 3, yStride = rows + 5
                let w = (0..<(rows * ld)).map { _ in rng.nextFloat(in: -1, 1) }
                let x = (0..<(vectors * xStride)).map { _ in rng.nextFloat(in: -1, 1) }
                let bias = (0..<rows).map { _ in rng.nextFloat(in: -1, 1) }
                func dot(_ b: Int, _ i: Int) -> Double {
                    (0..<cols).reduce(0.0) { $0 + Double(w[i * ld + $1]) * Double(x[b * xStride + $1]) }
                }
                // A shared bias for every stream.
                var y = [Float](repeating: .nan, count: vectors * yStride)
                rowDots(
                    w, ld: ld, rows: rows, cols: cols, vectors: vectors, x: x, xStride: xStride, base: bias,
                    baseStride: 0, into: &y, yStride: yStride)
                for b in 0..<vectors {
                    for i in 0..<rows {
                        XCTAssertEqual(Double(y[b * yStride + i]), dot(b, i) + Double(bias[i]), accuracy: 1e-5)
                    }
                }
                // In place: y += W x_b, per stream.
                let before = y
                y.withUnsafeMutableBufferPointer { p in
                    rowDots(
                        w, ld: ld, rows: rows, cols: cols, vectors: vectors, x: x, xStride: xStride,
                        base: p.baseAddress!, baseStride: yStride, into: p.baseAddress!, yStride: yStride)
                }
                for b in 0..<vectors {
                    for i in 0..<rows {
                        XCTAssertEqual(
                            Double(y[b * yStride + i]), Double(before[b * yStride + i]) + dot(b, i), accuracy: 1e-5)
                    }
                }
            }
        }
    }
}
