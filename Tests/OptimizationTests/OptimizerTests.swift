import Models
import NeuralCore
import XCTest

@testable import Optimization

/// Each optimizer against its update rule computed by hand in Double (PyTorch's formulas).
final class OptimizerTests: XCTestCase {
    func run(_ kind: OptimizerKind, lr: Float, steps: Int) -> (swift: [Float], reference: [Double]) {
        let p = Parameter(name: "w", shape: [3])
        let w0: [Float] = [0.5, -1.0, 2.0]
        for i in 0..<3 { p.value[i] = w0[i] }
        let opt = Optimizer(settings: OptimizerSettings(kind: kind, learningRate: lr), parameters: [p])
        XCTAssertEqual(opt.settings.kind, kind)
        var w = w0.map(Double.init)
        var m = [Double](repeating: 0, count: 3), v = m
        for t in 1...steps {
            // Gradient of f(w) = Σ (w_i − i)² + a step-dependent wiggle.
            for i in 0..<3 {
                let g = 2 * (w[i] - Double(i)) + 0.1 * Double(t % 3)
                p.grad[i] = Float(2 * (Double(p.value[i]) - Double(i)) + 0.1 * Double(t % 3))
                switch kind {
                case .adam:
                    m[i] = 0.9 * m[i] + 0.1 * g
                    v[i] = 0.999 * v[i] + 0.001 * g * g
                    let mh = m[i] / (1 - pow(0.9, Double(t))), vh = v[i] / (1 - pow(0.999, Double(t)))
                    w[i] -= Double(lr) * mh / (vh.squareRoot() + 1e-8)
                case .rmsprop:
                    v[i] = 0.95 * v[i] + 0.05 * g * g
                    w[i] -= Double(lr) * g / (v[i].squareRoot() + 1e-8)
                case .sgd:
                    m[i] = t == 1 ? g : 0.9 * m[i] + g
                    w[i] -= Double(lr) * m[i]
                }
            }
            opt.update(learningRate: lr)
        }
        XCTAssertEqual(opt.step, steps)
        return ((0..<3).map { p.value[$0] }, w)
    }

    func testAdamMatchesReference() {
        let (s, r) = run(.adam, lr: 0.01, steps: 25)
        for i in 0..<3 { XCTAssertEqual(Double(s[i]), r[i], accuracy: 1e-5) }
    }

    func testRMSpropMatchesReference() {
        let (s, r) = run(.rmsprop, lr: 0.01, steps: 25)
        for i in 0..<3 { XCTAssertEqual(Double(s[i]), r[i], accuracy: 1e-5) }
    }

    func testSGDMomentumMatchesReference() {
        let (s, r) = run(.sgd, lr: 0.01, steps: 25)
        for i in 0..<3 { XCTAssertEqual(Double(s[i]), r[i], accuracy: 1e-5) }
    }

    func testOptimizersDiffer() {
        // Guards against a test harness that silently trains the same rule three times.
        let a = run(.adam, lr: 0.01, steps: 5).swift, b = run(.rmsprop, lr: 0.01, steps: 5).swift
        let c = run(.sgd, lr: 0.01, steps: 5).swift
        XCTAssertNotEqual(a, b); XCTAssertNotEqual(b, c)
    }

    func testGlobalNormClipping() {
        let a = Parameter(name: "a", shape: [2]), b = Parameter(name: "b", shape: [1])
        a.grad[0] = 3; a.grad[1] = 0; b.grad[0] = 4  // norm 5
        let norm = clipGradientNorm([a, b], maxNorm: 1)
        XCTAssertEqual(norm, 5, accuracy: 1e-9)
        XCTAssertEqual(a.grad[0], 0.6, accuracy: 1e-5)
        XCTAssertEqual(b.grad[0], 0.8, accuracy: 1e-5)
        // Below the bound nothing changes.
        XCTAssertEqual(clipGradientNorm([a, b], maxNorm: 10), 1, accuracy: 1e-5)
        XCTAssertEqual(a.grad[0], 0.6, accuracy: 1e-6)
        // Non-finite gradients are reported, not spread.
        b.grad[0] = .nan
        XCTAssertTrue(clipGradientNorm([a, b], maxNorm: 1).isNaN)
    }

    func testSchedules() throws {
        XCTAssertEqual(try LRSchedule(parsing: "constant"), .constant)
        let step = try LRSchedule(parsing: "step:100:0.5")
        XCTAssertEqual(step.factor(step: 99, progress: 0), 1)
        XCTAssertEqual(step.factor(step: 250, progress: 0), 0.25)
        let cos = try LRSchedule(parsing: "cosine:10")
        XCTAssertEqual(cos.factor(step: 4, progress: 0), 0.5)
        XCTAssertEqual(cos.factor(step: 50, progress: 0.5), 0.5, accuracy: 1e-6)
        XCTAssertEqual(cos.factor(step: 50, progress: 1), 0, accuracy: 1e-6)
        XCTAssertThrowsError(try LRSchedule(parsing: "linear")) { e in
            XCTAssert("\(e)".contains("unknown schedule 'linear'"))
        }
        XCTAssertThrowsError(try LRSchedule(parsing: "step:0:0.5"))
    }
}
