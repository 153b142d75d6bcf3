import Foundation
import XCTest

@testable import NeuralCore

/// The 8-bit row dots round the activations to 16-bit steps; the AVX2 level does it with vector
/// conversions, the portable level with nearbyintf. Both must round halves to even and clamp alike.
final class Int8RoundingTests: XCTestCase {
    func testActivationsRoundHalvesToEvenOnEveryLevel() {
        // max|x| = 32767 makes the step exactly 1, so x·(1/step) lands on exact halves.
        let halves: [Float] = [0.5, 1.5, 2.5, 3.5, -0.5, -1.5, -2.5, -3.5, 4.49, 4.51, -4.51, 0, -0.0]
        let x: [Float] = [32767] + (0..<39).map { halves[$0 % halves.count] + Float($0 / halves.count) * 10 }
        let n = x.count
        // Row i picks column i: y[i] = scale · 127 · xq[i] · step = xq[i].
        var w = [Float](repeating: 0, count: n * n)
        for i in 0..<n { w[i * n + i] = 1 }
        let m = Int8Matrix(from: w, rows: n, cols: n)
        let expected = x.map { $0.rounded(.toNearestOrEven) }
        var outputs: [[Float]] = []
        forEachKernelLevel { level in
            var y = [Float](repeating: .nan, count: n)
            m.dots(rows: 0..<n, x: x, base: nil, into: &y)
            for i in 0..<n {
                XCTAssertEqual(y[i], expected[i], accuracy: 1e-6 * max(1, abs(expected[i])), "\(level.name) x=\(x[i])")
            }
            outputs.append(y)
        }
        for o in outputs.dropFirst() { XCTAssertEqual(o, outputs[0]) }
    }
}
