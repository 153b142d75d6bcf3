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
                assertEveryStreamCountGivesTheOneStreamBits(
                    "\(level) int8 cols \(cols)", rows: rows, streams: n, x: x, xStride: xStride, bases: bases,
                    yStride: yStride, one: { x, base, y in m.dots(rows: 0..<rows, x: x, base: base, into: y) },
                    many: { vectors, x, base, baseStride, y in
                        m.dots(
                            rows: 0..<rows, vectors: vectors, x: x, xStride: xStride, base: base,
                            baseStride: baseStride, into: y, yStride: yStride)
                    })
            }
        }
    }
}
