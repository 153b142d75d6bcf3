import NeuralCore
import XCTest

@testable import Models

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
                model.forward(
                    inputs: tokens, targets: nil, state: ModelState(config: config, batch: B), workspace: ws,
                    dropout: .off)
                let predictor = Predictor(model: model, batch: B)
                for t in 0..<S {
                    let logits = Array(tokens[(t * B)..<(t * B + B)]).withUnsafeBufferPointer {
                        predictor.step(tokens: $0.baseAddress!)
                    }
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
                            XCTAssertEqual(
                                logits[i], ws.logits[t * V + i], accuracy: 1e-5,
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
                    let a = Array(
                        UnsafeBufferPointer(
                            start: [t].withUnsafeBufferPointer { exact.step(tokens: $0.baseAddress!) }, count: V))
                    let b = Array(
                        UnsafeBufferPointer(
                            start: [t].withUnsafeBufferPointer { half.step(tokens: $0.baseAddress!) }, count: V))
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
                            XCTAssertEqual(
                                logits[i], ws.logits[t * B * V + i], accuracy: 1e-5,
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
