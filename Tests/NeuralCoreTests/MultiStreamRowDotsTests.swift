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
    /// The seed rule: every stream's dot products are the bits of `vectors: 1` for that stream
    /// alone, for every stream count 1...16, sizes with tails (rows past a multiple of four,
    /// columns past a multiple of 16), with and without a base, at every kernel level.
    func testEveryStreamCountGivesTheOneStreamBits() {
        forEachKernelLevel { level in
            var rng = SplitMix64(seed: 99)
            for (rows, cols) in [(1, 7), (3, 0), (4, 16), (5, 15), (9, 33), (13, 47), (8, 64), (7, 100)] {
                let ld = cols + 3, xStride = cols + 5, yStride = rows + 2
                let w = (0..<max(1, rows * ld)).map { _ in rng.nextFloat(in: -1, 1) }
                let x = (0..<(16 * xStride)).map { _ in rng.nextFloat(in: -1, 1) }
                let bases = (0..<(16 * yStride)).map { _ in rng.nextFloat(in: -1, 1) }
                for baseKind in 0..<3 {  // none, one shared, one per stream
                    for vectors in 1...16 {
                        var one = [Float](repeating: .nan, count: 16 * yStride)
                        for b in 0..<vectors {
                            x.withUnsafeBufferPointer { xp in
                                bases.withUnsafeBufferPointer { bp in
                                    let base = baseKind == 0 ? nil : bp.baseAddress! + (baseKind == 1 ? 0 : b * yStride)
                                    one.withUnsafeMutableBufferPointer { y in
                                        rowDots(
                                            w, ld: ld, rows: rows, cols: cols, x: xp.baseAddress! + b * xStride,
                                            base: base, into: y.baseAddress! + b * yStride)
                                    }
                                }
                            }
                        }
                        var many = [Float](repeating: .nan, count: 16 * yStride)
                        bases.withUnsafeBufferPointer { bp in
                            rowDots(
                                w, ld: ld, rows: rows, cols: cols, vectors: vectors, x: x, xStride: xStride,
                                base: baseKind == 0 ? nil : bp.baseAddress!, baseStride: baseKind == 2 ? yStride : 0,
                                into: &many, yStride: yStride)
                        }
                        for b in 0..<vectors {
                            for i in 0..<rows where one[b * yStride + i].bitPattern != many[b * yStride + i].bitPattern {
                                XCTFail("\(level) rows \(rows) cols \(cols) base \(baseKind) vectors \(vectors): stream \(b) row \(i) \(many[b * yStride + i]) ≠ \(one[b * yStride + i])")
                            }
                        }
                    }
                }
            }
        }
    }
    /// The same rule for 8-bit weights: the several-streams kernel gives each stream the bits of
    /// the one-stream kernel, for 1...16 streams (and 17, past one group), row and column tails,
    /// two column blocks (cols > 512), shared, per-stream and in-place bases, at every level.
    func testInt8EveryStreamCountGivesTheOneStreamBits() {
        forEachKernelLevel { level in
            var rng = SplitMix64(seed: 7)
            for (rows, cols) in [(1, 7), (3, 0), (4, 16), (5, 15), (9, 33), (13, 47), (6, 530)] {
                let xStride = cols + 5, yStride = rows + 2, n = 17
                let w = (0..<max(1, rows * cols)).map { _ in rng.nextFloat(in: -1, 1) }
                let m = Int8Matrix(from: w, rows: rows, cols: cols)
                let x = (0..<(n * xStride)).map { _ in rng.nextFloat(in: -1, 1) }
                let bases = (0..<(n * yStride)).map { _ in rng.nextFloat(in: -1, 1) }
                for baseKind in 0..<4 {  // none, one shared, one per stream, in place
                    for vectors in Array(1...16) + [17] {
                        var one = bases, many = bases
                        x.withUnsafeBufferPointer { xp in
                            bases.withUnsafeBufferPointer { bp in
                                one.withUnsafeMutableBufferPointer { y in
                                    for b in 0..<vectors {
                                        let base: UnsafePointer<Float>? =
                                            switch baseKind {
                                            case 0: nil
                                            case 1: bp.baseAddress!
                                            case 2: bp.baseAddress! + b * yStride
                                            default: UnsafePointer(y.baseAddress! + b * yStride)
                                            }
                                        m.dots(
                                            rows: 0..<rows, x: xp.baseAddress! + b * xStride, base: base,
                                            into: y.baseAddress! + b * yStride)
                                    }
                                }
                                many.withUnsafeMutableBufferPointer { y in
                                    let base: UnsafePointer<Float>? =
                                        switch baseKind {
                                        case 0: nil
                                        case 3: UnsafePointer(y.baseAddress!)
                                        default: bp.baseAddress!
                                        }
                                    m.dots(
                                        rows: 0..<rows, vectors: vectors, x: xp.baseAddress!, xStride: xStride,
                                        base: base, baseStride: baseKind == 1 ? 0 : yStride, into: y.baseAddress!,
                                        yStride: yStride)
                                }
                            }
                        }
                        for i in 0..<(n * yStride) where one[i].bitPattern != many[i].bitPattern {
                            XCTFail("\(level) int8 rows \(rows) cols \(cols) base \(baseKind) vectors \(vectors): element \(i) \(many[i]) ≠ \(one[i])")
                        }
                    }
                }
            }
        }
    }
}
