import Foundation
import XCTest

@testable import NeuralCore

final class KernelTests: XCTestCase {
    /// The vector exp, sigmoid and tanh against Foundation in Double over a wide range, on every
    /// kernel level this CPU runs (tails shorter than a vector included: 1,000 is not a multiple of 8).
    func testVectorMathAccuracyOnEveryLevel() {
        let xs = (0..<1_000).map { Float(-80) + Float($0) * 0.16 + Float($0 % 8) * 0.01 }
        forEachKernelLevel { level in
            var e = [Float](repeating: 0, count: xs.count), t = e, s = e
            Kernels.exp(xs, into: &e, xs.count)
            Kernels.tanh(xs, into: &t, xs.count)
            Kernels.sigmoid(xs, into: &s, xs.count)
            var worstExp = 0.0, worstTanh = 0.0, worstSig = 0.0
            for (i, x) in xs.enumerated() {
                let xd = Double(x)
                worstExp = max(worstExp, abs(Double(e[i]) - Foundation.exp(xd)) / Foundation.exp(xd))
                worstTanh = max(worstTanh, abs(Double(t[i]) - Foundation.tanh(xd)))
                worstSig = max(worstSig, abs(Double(s[i]) - 1 / (1 + Foundation.exp(-xd))))
            }
            XCTAssertLessThan(worstExp, 5e-7, level.name)
            XCTAssertLessThan(worstTanh, 5e-7, level.name)
            XCTAssertLessThan(worstSig, 5e-7, level.name)
            // NaN propagates (a diverged model must not look finite).
            var nan: [Float] = [.nan]
            Kernels.tanh(nan, into: &nan, 1)
            XCTAssertTrue(nan[0].isNaN, level.name)
        }
    }

    func testSoftmaxCrossEntropyGradient() {
        var logits: [Float] = [1, 2, 3, 0.5, -1, 4]  // 2 rows of 3
        let targets: [Int32] = [2, -1]
        let loss = Kernels.softmaxCrossEntropy(&logits, rows: 2, v: 3, targets: targets, scale: 1)
        let z = [1.0, 2, 3], lse = log(z.map { exp($0) }.reduce(0, +))
        XCTAssertEqual(loss, lse - 3, accuracy: 1e-6)
        XCTAssertEqual(Double(logits[0]), exp(1 - lse), accuracy: 1e-6)
        XCTAssertEqual(Double(logits[2]), exp(3 - lse) - 1, accuracy: 1e-6)
        XCTAssertEqual(logits[3...].map { $0 }, [0, 0, 0], "unscored rows get no gradient")
    }
}
