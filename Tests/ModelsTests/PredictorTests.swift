import Foundation
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

    /// A member held up (as the OS preempts one for a server's network thread) leaves its
    /// share to the others: steps complete without it, with the bits of one thread, and the
    /// member, released in the middle of a later step, finds that step's tag and takes part or
    /// stops, with no effect on the results.
    func testAHeldMemberLeavesItsShareToTheOthers() throws {
        for precision in [WeightPrecision.float32, .int8] {
            let config = ModelConfig(cell: .lstm, layers: 2, hidden: 64, embedding: 16, vocabularySize: 21)
            let model = try LanguageModel(config: config, seed: 5)
            let B = 4
            let alone = Predictor(model: model, batch: B, threads: 1, precision: precision)
            let team = Predictor(model: model, batch: B, threads: 3, precision: precision)
            let step = try XCTUnwrap(team.fewStreams)
            XCTAssertEqual(team.threadCount, 3)
            let held = DispatchSemaphore(value: 0)
            let holds = ManagedCounter()
            step.memberStarts = { rank in
                // Rank 1 is held in its first job until released; the others run free.
                if rank == 1 && holds.increment() == 1 { held.wait() }
            }
            var rng = SplitMix64(seed: 9)
            for t in 0..<40 {
                if t == 20 { held.signal() }
                let tokens = (0..<B).map { _ in Int32(rng.next() % 21) }
                let a = tokens.withUnsafeBufferPointer { alone.step(tokens: $0.baseAddress!, count: B) }
                let b = tokens.withUnsafeBufferPointer { team.step(tokens: $0.baseAddress!, count: B) }
                for i in 0..<(B * 21) { XCTAssertEqual(a[i].bitPattern, b[i].bitPattern, "\(precision) t=\(t) i=\(i)") }
            }
            // Released, rank 1 takes part again: it starts a later job (within a bound).
            let deadline = Date().addingTimeInterval(20)
            var more = 0
            while holds.value < 2 && Date() < deadline {
                let tokens = [Int32](repeating: 3, count: B)
                _ = tokens.withUnsafeBufferPointer { team.step(tokens: $0.baseAddress!, count: B) }
                more += 1
            }
            XCTAssertGreaterThanOrEqual(holds.value, 2, "rank 1 never started another job (\(more) more steps)")
        }
    }

    /// A member held up inside a chunk (preempted in the middle of its work, or after it and
    /// before publishing) does not hold the step: another member computes that chunk too and
    /// publishes it, with the bits of one thread. Released 20 steps later, the member finishes
    /// on inputs that later steps have overwritten, or tries to publish results of a step long
    /// past; either must be dropped (the state and logits stay those of one thread), and it
    /// takes part in later steps again. A watchdog releases the member after 60 s, so that a
    /// step that waits for it fails the test instead of hanging it.
    func testAChunkWhoseMemberIsHeldIsComputedByAnother() throws {
        let cases: [(CellKind, WeightPrecision)] =
            CellKind.allCases.map { ($0, .float32) } + [(.lstm, .int8), (.lstm, .float16)]
        for (cell, precision) in cases {
            for holdComputed in [false, true] {
                try checkHeldChunk(cell: cell, precision: precision, holdComputed: holdComputed)
            }
        }
    }

    private func checkHeldChunk(cell: CellKind, precision: WeightPrecision, holdComputed: Bool) throws {
        let label = "\(cell) \(precision) held \(holdComputed ? "before publishing" : "before computing")"
        let config = ModelConfig(cell: cell, layers: 2, hidden: 64, embedding: 16, vocabularySize: 21)
        let model = try LanguageModel(config: config, seed: 8)
        let B = 5
        let alone = Predictor(model: model, batch: B, threads: 1, precision: precision)
        let team = Predictor(model: model, batch: B, threads: 2, precision: precision)
        let step = try XCTUnwrap(team.fewStreams)
        let held = DispatchSemaphore(value: 0)
        let holds = ManagedCounter()
        step.chunkHook = { rank, _, computed in
            // Rank 1 is held at its first chunk, at the chosen point, until released.
            if rank == 1 && computed == holdComputed && holds.increment() == 1 { held.wait() }
        }
        let finished = ManagedCounter()
        let watchdog = ManagedCounter()
        DispatchQueue.global().asyncAfter(deadline: .now() + 60) {
            if finished.value == 0 {
                _ = watchdog.increment()
                held.signal()
            }
        }
        var rng = SplitMix64(seed: 4)
        var t = 0
        func stepBoth() {
            let count = t % 7 == 3 ? 3 : B  // some steps advance fewer streams
            let tokens = (0..<B).map { _ in Int32(rng.next() % 21) }
            tokens.withUnsafeBufferPointer { alone.fewStreams!.step(tokens: $0.baseAddress!, count: count) }
            tokens.withUnsafeBufferPointer { team.fewStreams!.step(tokens: $0.baseAddress!, count: count) }
            for i in 0..<(count * 21) where alone.logits.pointer[i].bitPattern != team.logits.pointer[i].bitPattern {
                XCTFail("\(label) t=\(t): logit \(i) differs")
                break
            }
            for (x, y) in zip(alone.state.buffers, team.state.buffers) {
                for i in 0..<x.count where x.pointer[i].bitPattern != y.pointer[i].bitPattern {
                    XCTFail("\(label) t=\(t): state differs at \(i)")
                    break
                }
            }
            t += 1
        }
        // Until rank 1 is held (it may first find every chunk taken), then 20 steps without it.
        let deadline = Date().addingTimeInterval(30)
        while holds.value < 1 && Date() < deadline { stepBoth() }
        XCTAssertEqual(holds.value, 1, "\(label): rank 1 never reached a chunk")
        for _ in 0..<20 { stepBoth() }
        held.signal()
        for _ in 0..<20 { stepBoth() }
        // Released, rank 1 takes part again (within a bound).
        let again = Date().addingTimeInterval(20)
        while holds.value < 2 && Date() < again { stepBoth() }
        _ = finished.increment()
        XCTAssertGreaterThanOrEqual(holds.value, 2, "\(label): rank 1 never reached another chunk")
        XCTAssertEqual(watchdog.value, 0, "\(label): a step waited for the held member until the watchdog released it")
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

/// A counter several threads bump.
final class ManagedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    /// Adds one; returns the new value.
    func increment() -> Int {
        lock.withLock {
            count += 1
            return count
        }
    }
    var value: Int { lock.withLock { count } }
}
