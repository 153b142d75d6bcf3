import Foundation
import XCTest

@testable import NeuralCore

/// 8-bit weights: the quantisation, and the row dots against float row dots within the error
/// that the two roundings (weights to 8 bits, activations to 16 bits) allow.
final class Int8WeightsTests: XCTestCase {
    func testQuantisationRoundsToNearestWithinHalfAStep() {
        var rng = SplitMix64(seed: 31)
        let rows = 6, cols = 37
        var w = (0..<(rows * cols)).map { _ in rng.nextFloat(in: -2, 2) }
        for k in 0..<cols { w[2 * cols + k] = 0 }  // an all-zero row
        w[4 * cols + 3] = -9  // a row with one large weight
        let m = Int8Matrix(from: w, rows: rows, cols: cols)
        let back = m.floats
        for i in 0..<rows {
            let maxAbs = (0..<cols).map { abs(w[i * cols + $0]) }.max()!
            XCTAssertEqual(m.scale(ofRow: i), maxAbs / 127, accuracy: 1e-9)
            for k in 0..<cols {
                let q = m.quantized(row: i, col: k)
                XCTAssertTrue((-127...127).contains(q))
                XCTAssertLessThanOrEqual(
                    abs(back[i * cols + k] - w[i * cols + k]), m.scale(ofRow: i) / 2 * 1.0001 + 1e-7)
            }
        }
        XCTAssertEqual(m.scale(ofRow: 2), 0)
        XCTAssertEqual(m.quantized(row: 4, col: 3), -127)
    }

    func testDotsMatchFloatDotsWithinTheQuantisationError() {
        var rng = SplitMix64(seed: 32)
        for rows in [0, 1, 3, 4, 5, 9] {
            for cols in [1, 15, 16, 17, 100, 512, 513, 1100] {
                let w = (0..<(rows * cols)).map { _ in rng.nextFloat(in: -1, 1) }
                let x = (0..<cols).map { _ in rng.nextFloat(in: -1, 1) }
                let b = (0..<max(rows, 1)).map { _ in rng.nextFloat(in: -1, 1) }
                let m = Int8Matrix(from: w, rows: rows, cols: cols)
                let wq = m.floats
                var outputs: [[Float]] = []
                forEachKernelLevel { level in
                    var y = [Float](repeating: .nan, count: max(rows, 1))
                    m.dots(rows: 0..<rows, x: x, base: b, into: &y)
                    outputs.append(y)
                    // In place (base == y), and a range of rows that starts at the second panel.
                    var acc = b
                    acc.withUnsafeMutableBufferPointer { p in
                        m.dots(rows: 0..<rows, x: x, base: p.baseAddress!, into: p.baseAddress!)
                    }
                    XCTAssertEqual(Array(acc.prefix(rows)), Array(y.prefix(rows)), level.name)
                    if rows > 8 {
                        var z = [Float](repeating: .nan, count: rows - 8)
                        m.dots(rows: 8..<rows, x: x, base: nil, into: &z)
                        for i in 8..<rows { XCTAssertEqual(z[i - 8] + b[i], y[i], accuracy: 1e-5) }
                    }
                }
                // Exact integer sums: every level gives the same bits.
                for o in outputs.dropFirst() { XCTAssertEqual(Array(o.prefix(rows)), Array(outputs[0].prefix(rows))) }
                let y = outputs[0]
                for i in 0..<rows {
                    // Error bounds, summed over the 512-column blocks: activations round by at most half
                    // a step (max|x_block| / 65534) per column; weights by half a row step (scale / 2).
                    var activationError = 0.0, weightError = 0.0, exact = Double(b[i]), quantised = Double(b[i])
                    for k0 in stride(from: 0, to: cols, by: 512) {
                        let block = k0..<min(cols, k0 + 512)
                        let step = Double(block.map { abs(x[$0]) }.max()!) / 32767
                        for k in block {
                            activationError += abs(Double(wq[i * cols + k])) * step / 2
                            weightError += abs(Double(x[k])) * Double(m.scale(ofRow: i)) / 2
                            exact += Double(w[i * cols + k]) * Double(x[k])
                            quantised += Double(wq[i * cols + k]) * Double(x[k])
                        }
                    }
                    let rounding = 1e-6 * Double(cols).squareRoot() + 1e-6
                    XCTAssertEqual(Double(y[i]), quantised, accuracy: activationError + rounding, "\(rows)×\(cols)")
                    XCTAssertEqual(Double(y[i]), exact, accuracy: activationError + weightError + rounding)
                }
            }
        }
    }
}
