import Foundation
import Models
import NeuralCore
import XCTest

@testable import Evaluation

/// `evaluateDynamic`: one stream, an SGD step on each segment after it is scored.
final class DynamicEvaluationTests: XCTestCase {
    let V = 11

    func config(_ cell: CellKind, hidden: Int = 8) -> ModelConfig {
        ModelConfig(cell: cell, layers: 2, hidden: hidden, embedding: 6, vocabularySize: V)
    }

    func testLearningRateZeroIsTheStaticOneStreamFigure() throws {
        let data = randomTokens(count: 97, vocabulary: V, seed: 31)
        for cell in CellKind.allCases {
            let m = try LanguageModel(config: config(cell), seed: 5)
            let before = weights(m)
            for W in [10, 16, 96, 500] {
                let settings = DynamicEvaluationSettings(segment: W, learningRate: 0)
                let r = evaluateDynamic(model: m, data: data, settings: settings)
                let one = evaluate(model: m, data: data, batch: 1, steps: W)
                XCTAssertEqual(r.chars, 96, "\(cell) W \(W)")
                XCTAssertEqual(r.lossNats, one.lossNats, accuracy: 1e-6 * one.lossNats, "\(cell) W \(W)")
            }
            // Decay 1 pulls every step all the way back: the static figure again, to rounding.
            let pulled = evaluateDynamic(
                model: m, data: data,
                settings: DynamicEvaluationSettings(segment: 10, learningRate: 1, decay: 1))
            let one = evaluate(model: m, data: data, batch: 1, steps: 10)
            XCTAssertEqual(pulled.lossNats, one.lossNats, accuracy: 1e-5 * one.lossNats, "\(cell) decay 1")
            let m2 = try LanguageModel(config: config(cell), seed: 5)
            assertSameWeights(m, m2, "\(cell): weights restored")
            XCTAssertEqual(weights(m), before)
        }
    }

    /// The definition, step by step on a copy: score segment 1 with θ, step θ' = θ − η∇₁, score
    /// segment 2 with θ' from the state segment 1 left, step, then the short last segment.
    func testMatchesTheDefinitionStepByStep() throws {
        let data = randomTokens(count: 26, vocabulary: V, seed: 32)  // 25 targets: 10 + 10 + 5
        let lr: Float = 0.7, decay: Float = 0.1
        for cell in CellKind.allCases {
            let m = try LanguageModel(config: config(cell), seed: 6)
            let copy = try LanguageModel(config: config(cell), seed: 6)
            let theta0 = weights(copy)
            let state = ModelState(config: copy.config, batch: 1)
            var total = 0.0
            for (start, n) in [(0, 10), (10, 10), (20, 5)] {
                let ws = Workspace(config: copy.config, batch: 1, steps: n, training: true)
                copy.zeroGradients()
                let inputs = Array(data[start..<start + n]), targets = Array(data[start + 1...start + n])
                total += copy.forward(
                    inputs: inputs, targets: targets, state: state, workspace: ws,
                    dropout: .off, keepGradient: true)
                copy.backward(workspace: ws)
                for (p, w0) in zip(copy.parameters, theta0) {
                    for i in 0..<p.count {
                        let v = p.value.pointer[i] - lr * p.grad.pointer[i]
                        p.value.pointer[i] = v + decay * (w0[i] - v)
                    }
                }
            }
            let reference = total / 25
            let r = evaluateDynamic(
                model: m, data: data,
                settings: DynamicEvaluationSettings(segment: 10, learningRate: lr, decay: decay))
            XCTAssertEqual(r.chars, 25)
            XCTAssertEqual(r.lossNats, reference, accuracy: 1e-5 * reference, "\(cell)")
            let static0 = evaluate(model: m, data: data, batch: 1, steps: 10)
            XCTAssertGreaterThan(abs(r.lossNats - static0.lossNats), 1e-4, "\(cell): the steps changed nothing")
            let fresh = try LanguageModel(config: config(cell), seed: 6)
            assertSameWeights(m, fresh, "\(cell): weights restored")
        }
    }

    /// On a text that repeats itself the model learns the repetition as it reads.
    func testLowersTheLossOnARepetitiveText() throws {
        let motif = randomTokens(count: 23, vocabulary: V, seed: 33)
        let data = Array((0..<30).map { _ in motif }.joined())
        for cell in [CellKind.lstm, .gru] {
            let m = try LanguageModel(config: config(cell, hidden: 16), seed: 7)
            let one = evaluate(model: m, data: data, batch: 1, steps: 20)
            let settings = DynamicEvaluationSettings(segment: 20, learningRate: 2)
            let r = evaluateDynamic(model: m, data: data, settings: settings)
            XCTAssertEqual(r.chars, one.chars)
            XCTAssertLessThan(r.lossNats, one.lossNats - 0.3, "\(cell): static \(one.lossNats), dynamic \(r.lossNats)")
        }
    }

    func testSettingsProblems() {
        XCTAssertNil(DynamicEvaluationSettings().problem)
        XCTAssertNotNil(DynamicEvaluationSettings(segment: 0).problem)
        XCTAssertNotNil(DynamicEvaluationSettings(learningRate: -1).problem)
        XCTAssertNotNil(DynamicEvaluationSettings(learningRate: .nan).problem)
        XCTAssertNotNil(DynamicEvaluationSettings(decay: 1.5).problem)
    }
}
