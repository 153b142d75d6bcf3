import Foundation
import XCTest

@testable import NeuralCore

/// `PanelMatrix`, the float weights of the few-streams step: products against a naive sum,
/// ranges of rows in segments, and the seed rule (every stream gets the bits it gets alone).
final class PanelMatrixTests: XCTestCase {
    /// Shapes with tails: rows past a multiple of 8, segments of 1, 5, 8 and 12 rows.
    static let shapes = [
        (0, 3, 1), (1, 7, 1), (5, 0, 5), (8, 16, 8), (9, 33, 9), (24, 15, 12), (20, 100, 5), (40, 17, 40),
    ]

    func testMatchesNaiveProductsForEveryShapeBaseAndRange() {
        forEachKernelLevel { _ in matchesNaiveProducts() }
    }

    func matchesNaiveProducts() {
        var rng = SplitMix64(seed: 11)
        for (rows, cols, segment) in Self.shapes {
            let w = (0..<max(rows * cols, 1)).map { _ in rng.nextFloat(in: -1, 1) }
            let m = PanelMatrix(from: w, rows: rows, cols: cols, segment: segment)
            for vectors in [1, 2, 5, 7] {
                let xStride = cols + 3, yStride = rows + 5
                let x = (0..<(vectors * xStride)).map { _ in rng.nextFloat(in: -1, 1) }
                let bias = (0..<max(rows, 1)).map { _ in rng.nextFloat(in: -1, 1) }
                func dot(_ b: Int, _ i: Int) -> Double {
                    (0..<cols).reduce(0.0) { $0 + Double(w[i * cols + $1]) * Double(x[b * xStride + $1]) }
                }
                // Every range that starts a panel of a segment: all of a segment, or from its
                // second panel to its end.
                for s in 0..<(rows / max(segment, 1)) {
                    for start in Set([s * segment, min(s * segment + 8, (s + 1) * segment)]) {
                        let r = start..<((s + 1) * segment)
                        var y = [Float](repeating: .nan, count: vectors * yStride)
                        bias.withUnsafeBufferPointer { bp in
                            m.dots(
                                rows: r, vectors: vectors, x: x, xStride: xStride, base: bp.baseAddress! + start,
                                baseStride: 0, into: &y, yStride: yStride)
                        }
                        for b in 0..<vectors {
                            for (j, i) in r.enumerated() {
                                XCTAssertEqual(
                                    Double(y[b * yStride + j]), dot(b, i) + Double(bias[i]), accuracy: 1e-5,
                                    "\(rows)×\(cols)/\(segment) rows \(r) stream \(b) row \(i)")
                            }
                        }
                        // No base, then in place: y += W x_b, per stream.
                        m.dots(rows: r, vectors: vectors, x: x, xStride: xStride, base: nil, into: &y, yStride: yStride)
                        let before = y
                        y.withUnsafeMutableBufferPointer { p in
                            m.dots(
                                rows: r, vectors: vectors, x: x, xStride: xStride, base: p.baseAddress!,
                                baseStride: yStride, into: p.baseAddress!, yStride: yStride)
                        }
                        for b in 0..<vectors {
                            for (j, i) in r.enumerated() {
                                XCTAssertEqual(Double(before[b * yStride + j]), dot(b, i), accuracy: 1e-5)
                                XCTAssertEqual(
                                    Double(y[b * yStride + j]), 2 * dot(b, i), accuracy: 1e-5,
                                    "in place \(rows)×\(cols) stream \(b) row \(i)")
                            }
                        }
                    }
                }
            }
        }
    }

    /// The documented order, bit for bit: acc = 0, then acc = w·x + acc column by column (one
    /// fused multiply–add with AVX2+FMA, a product and a sum in x86-64's portable kernels), then
    /// acc + base. This is what makes a stream's bits independent of its company.
    func testEachRowAndStreamIsOneChainInColumnOrder() {
        forEachKernelLevel { level in
            var rng = SplitMix64(seed: 5)
            let rows = 13, cols = 37, vectors = 3
            let w = (0..<(rows * cols)).map { _ in rng.nextFloat(in: -1, 1) }
            let x = (0..<(vectors * cols)).map { _ in rng.nextFloat(in: -1, 1) }
            let base = (0..<rows).map { _ in rng.nextFloat(in: -1, 1) }
            var y = [Float](repeating: .nan, count: vectors * rows)
            PanelMatrix(from: w, rows: rows, cols: cols).dots(
                rows: 0..<rows, vectors: vectors, x: x, xStride: cols, base: base, baseStride: 0, into: &y,
                yStride: rows)
            #if arch(x86_64)
            let fused = level != .portable  // baseline x86-64 has no FMA
            #else
            let fused = true  // arm64's baseline contracts w·x + acc to one fmla
            #endif
            for b in 0..<vectors {
                for i in 0..<rows {
                    var acc: Float = 0
                    for k in 0..<cols {
                        let (a, c) = (w[i * cols + k], x[b * cols + k])
                        acc = fused ? acc.addingProduct(a, c) : acc + a * c
                    }
                    XCTAssertEqual(
                        y[b * rows + i].bitPattern, (acc + base[i]).bitPattern, "\(level) stream \(b) row \(i)")
                }
            }
        }
    }

    /// The seed rule: every stream's products are the bits of `vectors: 1` for that stream
    /// alone, for every stream count 1...17, with no base, a shared one, one per stream, and in
    /// place, at every kernel level.
    func testEveryStreamCountGivesTheOneStreamBits() {
        forEachKernelLevel { level in
            var rng = SplitMix64(seed: 99)
            for (rows, cols, segment) in Self.shapes where rows > 0 {
                let xStride = cols + 5, yStride = rows + 2, n = 17
                let w = (0..<max(1, rows * cols)).map { _ in rng.nextFloat(in: -1, 1) }
                let m = PanelMatrix(from: w, rows: rows, cols: cols, segment: segment)
                let x = (0..<(n * xStride)).map { _ in rng.nextFloat(in: -1, 1) }
                let bases = (0..<(n * yStride)).map { _ in rng.nextFloat(in: -1, 1) }
                let r = 0..<segment
                assertEveryStreamCountGivesTheOneStreamBits(
                    "\(level) cols \(cols)", rows: rows, streams: n, x: x, xStride: xStride, bases: bases,
                    yStride: yStride, one: { x, base, y in m.dots(rows: r, x: x, base: base, into: y) },
                    many: { vectors, x, base, baseStride, y in
                        m.dots(
                            rows: r, vectors: vectors, x: x, xStride: xStride, base: base, baseStride: baseStride,
                            into: y, yStride: yStride)
                    })
            }
        }
    }

    /// Packing again after the weights changed gives the new weights' products.
    func testUpdateRepacks() {
        var w: [Float] = (0..<(10 * 9)).map { Float($0 % 7) - 3 }
        let m = PanelMatrix(from: w, rows: 10, cols: 9, segment: 5)
        XCTAssertEqual(m.byteCount, 2 * 8 * 9 * 4)
        for i in w.indices { w[i] = -w[i] }
        m.update(from: w)
        let x = [Float](repeating: 1, count: 9)
        var y = [Float](repeating: .nan, count: 5)
        m.dots(rows: 5..<10, x: x, base: nil, into: &y)
        for (j, i) in (5..<10).enumerated() {
            XCTAssertEqual(y[j], (0..<9).reduce(0) { $0 + w[i * 9 + $1] })
        }
    }
}
