import NeuralCore
import XCTest

@testable import Models

/// The Float model's forward pass against the independent Double reference: logits,
/// loss and the outgoing state agree to ≤ 1e-5 for every cell.
final class GoldenForwardTests: XCTestCase {
    func golden(_ cell: CellKind) throws {
        let B = 2, S = 4, V = 6
        let config = ModelConfig(cell: cell, layers: 2, hidden: 12, embedding: 4, vocabularySize: V)
        let model = try LanguageModel(config: config, seed: 3, forgetBias: 1)
        var rng = SplitMix64(seed: 1)
        let inputs = (0..<(B * S)).map { _ in Int32(rng.next() % UInt64(V)) }
        let targets = (0..<(B * S)).map { _ in Int32(rng.next() % UInt64(V)) }
        let state = ModelState(config: config, batch: B)
        for buf in state.buffers { for i in 0..<buf.count { buf.pointer[i] = rng.nextFloat(in: -1, 1) } }
        let h0 = state.h.map { $0.array.map(Double.init) }, c0 = state.c.map { $0.array.map(Double.init) }
        let ws = Workspace(config: config, batch: B, steps: S, training: false)
        let sum = model.forward(inputs: inputs, targets: targets, state: state, workspace: ws, dropout: .off)
        let ref = ReferenceModel(model).run(inputs: inputs, targets: targets, B: B, S: S, h0: h0, c0: c0, masks: nil)
        XCTAssertEqual(sum / Double(B * S), ref.loss, accuracy: 1e-5)
        var worst = 0.0
        for pos in 0..<(B * S) {
            for v in 0..<V { worst = max(worst, abs(Double(ws.logits[pos * V + v]) - ref.logits[pos][v])) }
        }
        XCTAssertLessThanOrEqual(worst, 1e-5, "\(cell) logits")
        for l in 0..<2 {
            for i in 0..<(B * 12) {
                XCTAssertEqual(Double(state.h[l][i]), ref.h[l][i], accuracy: 1e-5)
                if cell.hasCellState { XCTAssertEqual(Double(state.c[l][i]), ref.c[l][i], accuracy: 1e-5) }
            }
        }
    }

    func testRNN() throws { try golden(.rnn) }
    func testLSTM() throws { try golden(.lstm) }
    func testPeephole() throws { try golden(.peephole) }
    func testGRU() throws { try golden(.gru) }

    /// Truncated BPTT carries the state: two windows of 3 steps give the same logits as one of 6.
    func testStateCarriesAcrossWindows() throws {
        for cell in CellKind.allCases {
            let config = ModelConfig(cell: cell, layers: 2, hidden: 9, embedding: 3, vocabularySize: 5)
            let model = try LanguageModel(config: config, seed: 8)
            let tokens: [Int32] = [0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 4, 3]  // [6, 2] time-major
            let whole = Workspace(config: config, batch: 2, steps: 6, training: false)
            let s1 = ModelState(config: config, batch: 2)
            model.forward(inputs: tokens, targets: nil, state: s1, workspace: whole, dropout: .off)
            let half = Workspace(config: config, batch: 2, steps: 3, training: false)
            let s2 = ModelState(config: config, batch: 2)
            model.forward(inputs: Array(tokens[0..<6]), targets: nil, state: s2, workspace: half, dropout: .off)
            model.forward(inputs: Array(tokens[6..<12]), targets: nil, state: s2, workspace: half, dropout: .off)
            for i in 0..<(6 * 5) { XCTAssertEqual(half.logits[i], whole.logits[30 + i], accuracy: 1e-6, "\(cell)") }
            // BLAS blocks a 12-row and a 6-row product differently: equal up to round-off.
            for (a, b) in zip(s1.buffers, s2.buffers) {
                for i in 0..<a.count { XCTAssertEqual(a[i], b[i], accuracy: 1e-6, "\(cell)") }
            }
        }
    }
}
