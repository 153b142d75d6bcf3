import XCTest
@testable import Models
import NeuralCore

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
        for pos in 0..<(B * S) { for v in 0..<V { worst = max(worst, abs(Double(ws.logits[pos * V + v]) - ref.logits[pos][v])) } }
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

/// The per-step inference path gives the logits of the sequence forward pass.
final class PredictorTests: XCTestCase {
    func testPredictorMatchesSequenceForward() throws {
        for cell in CellKind.allCases {
            for B in [1, 3] {
                let config = ModelConfig(cell: cell, layers: 2, hidden: 11, embedding: 6, vocabularySize: 9)
                let model = try LanguageModel(config: config, seed: 21)
                let S = 5
                var rng = SplitMix64(seed: 4)
                let tokens = (0..<(S * B)).map { _ in Int32(rng.next() % 9) }
                let ws = Workspace(config: config, batch: B, steps: S, training: false)
                model.forward(inputs: tokens, targets: nil, state: ModelState(config: config, batch: B), workspace: ws, dropout: .off)
                let predictor = Predictor(model: model, batch: B)
                for t in 0..<S {
                    let logits = Array(tokens[(t * B)..<(t * B + B)]).withUnsafeBufferPointer { predictor.step(tokens: $0.baseAddress!) }
                    for i in 0..<(B * 9) {
                        XCTAssertEqual(logits[i], ws.logits[t * B * 9 + i], accuracy: 1e-5, "\(cell) B=\(B) t=\(t)")
                    }
                }
            }
        }
    }

    /// The single-stream path (hidden units split over a spinning team, one barrier per
    /// layer) on 1, 2 and 3 threads: the logits and the state of the sequence forward pass,
    /// for hidden sizes with SIMD tails, uneven splits and empty shares, and 3 layers.
    func testSingleStreamOnATeamMatchesSequenceForward() throws {
        for cell in CellKind.allCases {
            for (H, E, L) in [(11, 6, 2), (40, 24, 3), (20, 20, 1)] {
                let V = 13, S = 6
                let config = ModelConfig(cell: cell, layers: L, hidden: H, embedding: E, vocabularySize: V)
                let model = try LanguageModel(config: config, seed: 5, forgetBias: 1)
                var rng = SplitMix64(seed: 9)
                let tokens = (0..<S).map { _ in Int32(rng.next() % UInt64(V)) }
                let ws = Workspace(config: config, batch: 1, steps: S, training: false)
                let final = ModelState(config: config, batch: 1)
                model.forward(inputs: tokens, targets: nil, state: final, workspace: ws, dropout: .off)
                for threads in [1, 2, 3] {
                    let predictor = Predictor(model: model, batch: 1, threads: threads)
                    XCTAssertEqual(predictor.threadCount, threads)
                    for t in 0..<S {
                        let logits = [tokens[t]].withUnsafeBufferPointer { predictor.step(tokens: $0.baseAddress!) }
                        for i in 0..<V {
                            XCTAssertEqual(logits[i], ws.logits[t * V + i], accuracy: 1e-5,
                                           "\(cell) H=\(H) L=\(L) threads=\(threads) t=\(t)")
                        }
                    }
                    for (a, b) in zip(predictor.state.buffers, final.buffers) {
                        for i in 0..<a.count { XCTAssertEqual(a.pointer[i], b.pointer[i], accuracy: 1e-5) }
                    }
                }
            }
        }
    }

    /// Half-precision weights: logits within the rounding of the weights (relative 2⁻¹¹ each;
    /// with |h| ≤ 1 and these initial weights that bounds a logit's error by ~3e-3), but
    /// really computed from the half copies (not bit-identical to float), and `refresh()`
    /// picks up changed weights.
    func testSingleStreamWithHalfWeightsStaysCloseToFloat() throws {
        for cell in CellKind.allCases {
            let V = 13, S = 8
            let config = ModelConfig(cell: cell, layers: 2, hidden: 40, embedding: 16, vocabularySize: V)
            let model = try LanguageModel(config: config, seed: 6)
            var rng = SplitMix64(seed: 2)
            let tokens = (0..<S).map { _ in Int32(rng.next() % UInt64(V)) }
            for threads in [1, 2] {
                let exact = Predictor(model: model, threads: threads)
                let half = Predictor(model: model, threads: threads, precision: .float16)
                XCTAssertEqual(half.precision, .float16)
                var largest: Float = 0
                for t in tokens {
                    let a = Array(UnsafeBufferPointer(start: [t].withUnsafeBufferPointer { exact.step(tokens: $0.baseAddress!) }, count: V))
                    let b = Array(UnsafeBufferPointer(start: [t].withUnsafeBufferPointer { half.step(tokens: $0.baseAddress!) }, count: V))
                    for (x, y) in zip(a, b) { largest = max(largest, abs(x - y)) }
                }
                XCTAssertLessThan(largest, 5e-3, "\(cell) threads \(threads)")
                XCTAssertGreaterThan(largest, 0, "\(cell): the half copies were not used")
            }
            // Changed weights reach the half copies through refresh().
            let half = Predictor(model: model, precision: .float16)
            model.decoderWeight.value.zero()
            half.refresh()
            half.reset()
            let logits = [tokens[0]].withUnsafeBufferPointer { half.step(tokens: $0.baseAddress!) }
            for i in 0..<V { XCTAssertEqual(logits[i], model.decoderBias.value.pointer[i], accuracy: 1e-6) }
        }
    }

    /// A few streams on the team (each weight row read once for all of them), and past
    /// `maximumStepBatch` the GEMM path: the logits and state of the sequence forward pass.
    func testSeveralStreamsMatchSequenceForward() throws {
        for cell in CellKind.allCases {
            for B in [2, 5, Predictor.maximumStepBatch, Predictor.maximumStepBatch + 1] {
                let V = 11, S = 4, H = 24
                let config = ModelConfig(cell: cell, layers: 2, hidden: H, embedding: 8, vocabularySize: V)
                let model = try LanguageModel(config: config, seed: 8, forgetBias: 1)
                var rng = SplitMix64(seed: UInt64(B))
                let tokens = (0..<(S * B)).map { _ in Int32(rng.next() % UInt64(V)) }
                let ws = Workspace(config: config, batch: B, steps: S, training: false)
                let final = ModelState(config: config, batch: B)
                model.forward(inputs: tokens, targets: nil, state: final, workspace: ws, dropout: .off)
                for threads in [1, 2] {
                    let predictor = Predictor(model: model, batch: B, threads: threads)
                    for t in 0..<S {
                        let logits = Array(tokens[(t * B)..<((t + 1) * B)]).withUnsafeBufferPointer {
                            predictor.step(tokens: $0.baseAddress!)
                        }
                        for i in 0..<(B * V) {
                            XCTAssertEqual(logits[i], ws.logits[t * B * V + i], accuracy: 1e-5,
                                           "\(cell) B=\(B) threads=\(threads) t=\(t)")
                        }
                    }
                    for (a, b) in zip(predictor.state.buffers, final.buffers) {
                        for i in 0..<a.count { XCTAssertEqual(a.pointer[i], b.pointer[i], accuracy: 1e-5) }
                    }
                }
            }
        }
    }
}
