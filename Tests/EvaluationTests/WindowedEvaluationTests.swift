import Foundation
import Models
import NeuralCore
import XCTest

@testable import Evaluation

/// `evaluateWindows`: nanoGPT's protocol (windows from a zero state, every position scored).
final class WindowedEvaluationTests: XCTestCase {
    let V = 11

    func model(_ cell: CellKind, seed: UInt64 = 3) throws -> LanguageModel {
        let config = ModelConfig(cell: cell, layers: 2, hidden: 8, embedding: 6, vocabularySize: V)
        return try LanguageModel(config: config, seed: seed)
    }

    /// Brute force: every window on its own, a fresh zero state, one forward pass of exactly its
    /// length; window j reads data[jW ..< jW + n] and scores data[jW + 1 ... jW + n].
    func bruteForce(_ m: LanguageModel, _ data: [Int32], window W: Int) -> (loss: Double, chars: Int) {
        var total = 0.0, count = 0, start = 0
        while start < data.count - 1 {
            let n = min(W, data.count - 1 - start)
            let ws = Workspace(config: m.config, batch: 1, steps: n, training: false)
            let state = ModelState(config: m.config, batch: 1)
            total += m.forward(
                inputs: Array(data[start..<start + n]), targets: Array(data[start + 1...start + n]),
                state: state, workspace: ws, dropout: .off)
            count += n
            start += n
        }
        return (total / Double(count), count)
    }

    func testMatchesBruteForcePerWindow() throws {
        let data = randomTokens(count: 103, vocabulary: V, seed: 21)
        for cell in CellKind.allCases {
            let m = try model(cell)
            // 102 targets: W 7 leaves a last window of 4, W 17 divides it, W 40 leaves 22.
            for W in [2, 7, 17, 40] {
                let reference = bruteForce(m, data, window: W)
                // Several budgets: many windows per pass, one window per pass, a window in chunks.
                for budget in [8192, W, 5] {
                    let r = evaluateWindows(model: m, data: data, window: W, positionsPerPass: budget)
                    XCTAssertEqual(r.chars, 102, "\(cell) W \(W) budget \(budget)")
                    XCTAssertEqual(
                        r.lossNats, reference.loss, accuracy: 1e-5 * reference.loss,
                        "\(cell) W \(W) budget \(budget)")
                }
            }
        }
    }

    /// Windows differ from one stream: a zero state every W characters changes the figure.
    func testShortWindowsDifferFromOneStream() throws {
        let m = try model(.lstm)
        let data = randomTokens(count: 200, vocabulary: V, seed: 22)
        let one = evaluate(model: m, data: data, batch: 1, steps: 64)
        let windowed = evaluateWindows(model: m, data: data, window: 3)
        XCTAssertEqual(windowed.chars, one.chars)
        XCTAssertGreaterThan(abs(windowed.lossNats - one.lossNats), 1e-4)
    }

    func testWindowAsLongAsTheTextIsTheOneStreamFigure() throws {
        let data = randomTokens(count: 150, vocabulary: V, seed: 23)
        for cell in CellKind.allCases {
            let m = try model(cell)
            let one = evaluate(model: m, data: data, batch: 1, steps: 64)
            for W in [149, 150, 10_000] {
                for budget in [8192, 16] {
                    let r = evaluateWindows(model: m, data: data, window: W, positionsPerPass: budget)
                    XCTAssertEqual(r.chars, 149)
                    XCTAssertEqual(r.lossNats, one.lossNats, accuracy: 1e-5 * one.lossNats, "\(cell) W \(W)")
                }
            }
        }
    }

    /// W = 1: every target predicted from its previous character alone, from a zero state —
    /// computed here on the sampling path (a fresh single-step predictor per position) in Double.
    func testWindowOfOneIsThePreviousCharacterFromAZeroState() throws {
        let data = randomTokens(count: 60, vocabulary: V, seed: 24)
        for cell in CellKind.allCases {
            let m = try model(cell)
            var total = 0.0
            for i in 0..<data.count - 1 {
                let predictor = Predictor(model: m, batch: 1)
                let logits = [data[i]].withUnsafeBufferPointer { predictor.step(tokens: $0.baseAddress!) }
                let x = (0..<V).map { Double(logits[$0]) }
                let mx = x.max()!
                total += mx + log(x.map { exp($0 - mx) }.reduce(0, +)) - x[Int(data[i + 1])]
            }
            let reference = total / Double(data.count - 1)
            let r = evaluateWindows(model: m, data: data, window: 1)
            XCTAssertEqual(r.chars, data.count - 1)
            XCTAssertEqual(r.lossNats, reference, accuracy: 1e-5 * reference, "\(cell)")
        }
    }

    func testTooLittleText() throws {
        let m = try model(.gru)
        XCTAssertEqual(evaluateWindows(model: m, data: [Int32(1)], window: 4).chars, 0)
        XCTAssertEqual(evaluateWindows(model: m, data: [Int32](), window: 4).chars, 0)
        let two = evaluateWindows(model: m, data: [Int32(1), 2], window: 4)
        XCTAssertEqual(two.chars, 1)
        XCTAssertTrue(two.lossNats.isFinite)
    }

    func testSummaryJSONKeepsTheOneStreamKeys() throws {
        let one = LossReport(lossNats: 1.5, chars: 10), windowed = LossReport(lossNats: 1.75, chars: 10)
        let dyn = LossReport(lossNats: 1.25, chars: 10)
        let settings = DynamicEvaluationSettings(segment: 20, learningRate: 0.5, decay: 0.01)
        let data = try JSONEncoder().encode(
            EvaluationSummary(
                oneStream: one, window: (256, windowed),
                dynamic: (settings, dyn)))
        let o = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        XCTAssertEqual(
            Set(o.keys),
            [
                "loss_nats", "bpc", "ppl", "chars",
                "window", "window_loss_nats", "window_bpc", "window_ppl", "window_chars",
                "dynamic_window", "dynamic_lr", "dynamic_decay",
                "dynamic_loss_nats", "dynamic_bpc", "dynamic_ppl", "dynamic_chars",
            ])
        XCTAssertEqual(o["loss_nats"] as? Double, 1.5)
        XCTAssertEqual(o["window_loss_nats"] as? Double, 1.75)
        XCTAssertEqual(o["window"] as? Int, 256)
        XCTAssertEqual(o["window_bpc"] as? Double ?? 0, 1.75 / log(2), accuracy: 1e-12)
        XCTAssertEqual(o["dynamic_loss_nats"] as? Double, 1.25)
        XCTAssertEqual(o["dynamic_window"] as? Int, 20)
        XCTAssertEqual(o["dynamic_lr"] as? Double ?? 0, 0.5, accuracy: 1e-7)
        let alone = try JSONEncoder().encode(EvaluationSummary(oneStream: one))
        let plain = try XCTUnwrap(JSONSerialization.jsonObject(with: alone) as? [String: Any])
        XCTAssertEqual(Set(plain.keys), ["loss_nats", "bpc", "ppl", "chars"])
    }
}
