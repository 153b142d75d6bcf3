import Foundation
import Models
import NeuralCore
import XCTest

@testable import Evaluation

/// `evaluate`: the one-stream protocol of `charnn eval` and the B-stream validation.
final class EvaluationTests: XCTestCase {
    let V = 11

    func model(_ cell: CellKind) throws -> LanguageModel {
        try LanguageModel(
            config: ModelConfig(cell: cell, layers: 2, hidden: 8, embedding: 6, vocabularySize: V), seed: 3)
    }

    /// −log softmax(logits)[target] in Double.
    func crossEntropy(_ logits: UnsafePointer<Float>, _ target: Int32) -> Double {
        let m = (0..<V).map { Double(logits[$0]) }.max()!
        let lse = m + log((0..<V).map { exp(Double(logits[$0]) - m) }.reduce(0, +))
        return lse - Double(logits[Int(target)])
    }

    /// Per-position reference: the single-step predictor from a zero state, one token at a time.
    func perPositionLosses(_ model: LanguageModel, _ data: [Int32]) -> [Double] {
        let predictor = Predictor(model: model, batch: 1)
        return (0..<data.count - 1).map { i in
            let logits = [data[i]].withUnsafeBufferPointer { predictor.step(tokens: $0.baseAddress!) }
            return crossEntropy(logits, data[i + 1])
        }
    }

    /// Step by step through the sampling path: the same positions and loss as the batched
    /// one-stream evaluation in float; close to it (not equal) with half-precision weights.
    func testStepwiseEvaluationMatchesAndMeasuresHalfPrecision() throws {
        for cell in CellKind.allCases {
            let m = try LanguageModel(
                config: ModelConfig(cell: cell, layers: 2, hidden: 24, embedding: 8, vocabularySize: V), seed: 4)
            let data = randomTokens(count: 300, vocabulary: V, seed: 2)
            let batched = evaluate(model: m, data: data, batch: 1, steps: 64)
            let exact = evaluateStepwise(model: m, data: data, precision: .float32)
            XCTAssertEqual(exact.chars, batched.chars)
            XCTAssertEqual(exact.lossNats, batched.lossNats, accuracy: 1e-5 * batched.lossNats, "\(cell)")
            let half = evaluateStepwise(model: m, data: data, precision: .float16)
            XCTAssertEqual(half.chars, batched.chars)
            XCTAssertEqual(half.lossNats, batched.lossNats, accuracy: 2e-3 * batched.lossNats, "\(cell)")
            XCTAssertNotEqual(half.lossNats, exact.lossNats, "\(cell): half weights not used")
        }
    }

    func testOneStreamScoresEveryNextCharacter() throws {
        for cell in CellKind.allCases {
            let m = try model(cell)
            let N = 53
            let data = randomTokens(count: N, vocabulary: V, seed: 8)
            // Windows of 7: 52 predictions = 7 full windows and a last one of 3.
            let report = evaluate(model: m, data: data, batch: 1, steps: 7)
            XCTAssertEqual(report.chars, N - 1, "\(cell)")

            let losses = perPositionLosses(m, data)
            let reference = losses.reduce(0, +) / Double(losses.count)
            XCTAssertEqual(
                report.lossNats, reference, accuracy: 1e-5 * reference, "\(cell): evaluate vs one position at a time")

            // The state carries over windows: one window of all 52 positions gives the same loss.
            let single = evaluate(model: m, data: data, batch: 1, steps: 512)
            XCTAssertEqual(single.chars, N - 1)
            XCTAssertEqual(
                single.lossNats, report.lossNats, accuracy: 1e-6 * reference, "\(cell): windows of 7 vs one window")
            XCTAssertEqual(report.bpc, report.lossNats / log(2), accuracy: 1e-12)
            XCTAssertEqual(report.perplexity, exp(report.lossNats), accuracy: 1e-9 * report.perplexity)
        }
    }

    func testWindowByWindowForwardMatches() throws {
        // The same sum computed by hand: windows of S with the state carried, the last one shorter.
        let m = try model(.lstm)
        let data = randomTokens(count: 40, vocabulary: V, seed: 9)
        let S = 6
        let state = ModelState(config: m.config, batch: 1)
        var total = 0.0, count = 0, p = 0
        while p < data.count - 1 {
            let n = min(S, data.count - 1 - p)
            let ws = Workspace(config: m.config, batch: 1, steps: n, training: false)
            let inputs = Array(data[p..<p + n]), targets = Array(data[p + 1..<p + n + 1])
            total += m.forward(inputs: inputs, targets: targets, state: state, workspace: ws, dropout: .off)
            count += n
            p += n
        }
        let report = evaluate(model: m, data: data, batch: 1, steps: S)
        XCTAssertEqual(report.chars, count)
        XCTAssertEqual(report.lossNats, total / Double(count), accuracy: 1e-6 * report.lossNats)
    }

    func testSeveralStreamsScoreBTimesL() throws {
        let m = try model(.gru)
        let data = randomTokens(count: 100, vocabulary: V, seed: 10)
        // B = 3: L = 33, 99 positions; stream b scores tokens b·L + 1 ... b·L + L.
        let report = evaluate(model: m, data: data, batch: 3, steps: 8)
        XCTAssertEqual(report.chars, 99)
        var expected = 0.0
        for b in 0..<3 {
            let stream = Array(data[b * 33...b * 33 + 33])
            expected += perPositionLosses(m, stream).reduce(0, +)
        }
        XCTAssertEqual(report.lossNats, expected / 99, accuracy: 1e-5 * report.lossNats)
        // Too little data: nothing to score, no crash.
        XCTAssertEqual(evaluate(model: m, data: [Int32(1)], batch: 1, steps: 4).chars, 0)
    }

    func testLossReportJSONKeys() throws {
        let report = LossReport(lossNats: 1.5, chars: 10)
        let o = try XCTUnwrap(JSONSerialization.jsonObject(with: JSONEncoder().encode(report)) as? [String: Any])
        XCTAssertEqual(Set(o.keys), ["loss_nats", "bpc", "ppl", "chars"])
        XCTAssertEqual(o["bpc"] as? Double ?? 0, 1.5 / log(2), accuracy: 1e-12)
        XCTAssertEqual(o["ppl"] as? Double ?? 0, exp(1.5), accuracy: 1e-12)
        XCTAssertEqual(try JSONDecoder().decode(LossReport.self, from: JSONEncoder().encode(report)), report)
    }
}
