import Foundation
import XCTest

@testable import NeuralCore

/// The seed rule for 8-bit weights (`Int8Matrix`'s several-streams kernel); the float
/// weights' is in `PanelMatrixTests`.
final class MultiStreamRowDotsTests: XCTestCase {
    /// The 8-bit several-streams kernel gives each stream the bits of
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
