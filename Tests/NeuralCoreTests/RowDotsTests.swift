import Foundation
import XCTest

@testable import NeuralCore

/// `rowDots` (the batch-1 matrix–vector product) and `SpinTeam` (the threads it runs on).
final class RowDotsTests: XCTestCase {
    func testMatchesNaiveProductForEveryShapeAndBase() {
        forEachKernelLevel { _ in matchesNaiveProduct() }
    }

    func matchesNaiveProduct() {
        var rng = SplitMix64(seed: 11)
        for rows in [0, 1, 3, 4, 5, 9] {
            for cols in [1, 7, 15, 16, 17, 33, 64, 100] {
                let ld = cols + 3  // rows are not packed
                let w = (0..<max(rows * ld, 1)).map { _ in rng.nextFloat(in: -1, 1) }
                let x = (0..<cols).map { _ in rng.nextFloat(in: -1, 1) }
                let b = (0..<max(rows, 1)).map { _ in rng.nextFloat(in: -1, 1) }
                let expected = (0..<rows).map { i in
                    (0..<cols).reduce(0.0) { $0 + Double(w[i * ld + $1]) * Double(x[$1]) }
                }
                var y = [Float](repeating: .nan, count: max(rows, 1))
                rowDots(w, ld: ld, rows: rows, cols: cols, x: x, base: nil, into: &y)
                for i in 0..<rows {
                    XCTAssertEqual(Double(y[i]), expected[i], accuracy: 1e-5, "\(rows)×\(cols) row \(i)")
                }
                rowDots(w, ld: ld, rows: rows, cols: cols, x: x, base: b, into: &y)
                for i in 0..<rows { XCTAssertEqual(Double(y[i]), expected[i] + Double(b[i]), accuracy: 1e-5) }
                // base == y: accumulate in place
                var acc = b
                acc.withUnsafeMutableBufferPointer { p in
                    rowDots(w, ld: ld, rows: rows, cols: cols, x: x, base: p.baseAddress!, into: p.baseAddress!)
                }
                for i in 0..<rows { XCTAssertEqual(Double(acc[i]), expected[i] + Double(b[i]), accuracy: 1e-5) }
            }
        }
    }
}
