import CKernels
import Foundation
import XCTest

@testable import NeuralCore

/// Runs `body` on every kernel level this CPU has (portable first), then restores the best one.
func forEachKernelLevel(_ body: (KernelLevel) -> Void) {
    defer { KernelLevel.use(KernelLevel.best) }
    for level in KernelLevel.available {
        XCTAssertEqual(KernelLevel.use(level), level)
        body(level)
    }
}

/// The run-time choice of kernels, and every level against the others.
final class KernelLevelTests: XCTestCase {
    /// The CPU's flags as Linux reports them (empty elsewhere).
    static var cpuFlags: Set<String> {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") })
        else { return [] }
        return Set(line.split(separator: ":").last!.split(separator: " ").map(String.init))
    }

    /// A build without `-target-cpu` must still run the AVX2+FMA kernels on a CPU that has them.
    func testDispatchPicksAVX2OnACPUThatHasIt() throws {
        let flags = Self.cpuFlags
        try XCTSkipUnless(flags.contains("avx2") && flags.contains("fma"), "this CPU has no AVX2+FMA")
        XCTAssertEqual(KernelLevel.best, .avx2)
        XCTAssertEqual(KernelLevel.current, .avx2)
        XCTAssertEqual(KernelLevel.summary, "avx2+fma floats, avx2 int8, f16c half")
        XCTAssertTrue(HalfBuffer.isVectorized)
    }

    /// The one level picks the half-precision and 8-bit kernels too, not only the float ones: at
    /// `.portable` the half row dots are the sequential loop's exact bits, at `.avx2` they are the
    /// F16C kernel's (other summation order, other bits); the names `bench` prints follow.
    func testTheOneLevelGovernsHalfAndInt8Kernels() {
        var rng = SplitMix64(seed: 8)
        let rows = 64, cols = 256
        let w = (0..<(rows * cols)).map { _ in rng.nextFloat(in: -1, 1) }
        let x = (0..<cols).map { _ in rng.nextFloat(in: -1, 1) }
        let b = (0..<rows).map { _ in rng.nextFloat(in: -1, 1) }
        let half = w.withUnsafeBufferPointer { HalfBuffer(from: $0.baseAddress!, count: w.count) }
        let wf = half.floats
        // The portable loop, in its order: s += w·x over k, then the base.
        let sequential = (0..<rows).map { i in
            (0..<cols).reduce(Float(0)) { s, k in s + wf[i * cols + k] * x[k] } + b[i]
        }
        let q = w.withUnsafeBufferPointer { Int8Matrix(from: $0.baseAddress!, rows: rows, cols: cols) }
        var int8Results: [[Float]] = []
        forEachKernelLevel { level in
            var y = [Float](repeating: .nan, count: rows)
            rowDots(half: half.pointer, ld: cols, rows: rows, cols: cols, x: x, base: b, into: &y)
            var z = [Float](repeating: .nan, count: rows)
            q.dots(rows: 0..<rows, x: x, base: b, into: &z)
            int8Results.append(z)
            switch level {
            case .portable:
                XCTAssertEqual(y, sequential)
                XCTAssertFalse(HalfBuffer.isVectorized)
                XCTAssertEqual(KernelLevel.summary, "portable floats, portable int8, portable half")
            case .avx2:
                XCTAssertNotEqual(y, sequential, "the F16C kernel sums in another order")
                XCTAssertTrue(HalfBuffer.isVectorized)
                XCTAssertEqual(KernelLevel.summary, "avx2+fma floats, avx2 int8, f16c half")
            }
        }
        // 8-bit sums are exact integers: every level gives the same bits.
        for r in int8Results.dropFirst() { XCTAssertEqual(r, int8Results[0]) }
    }

    func testLevelsCanBeLoweredAndRestored() {
        XCTAssertEqual(KernelLevel.use(.portable), .portable)
        XCTAssertEqual(KernelLevel.current, .portable)
        XCTAssertEqual(KernelLevel.use(.avx2), KernelLevel.best)
        XCTAssertEqual(KernelLevel.current, KernelLevel.best)
    }

    /// Each kernel on each level against the portable one (the best level is checked against
    /// Double references here and in BLASTests, and through the models' gradient checks).
    func testEveryKernelAgreesAcrossLevels() {
        var rng = SplitMix64(seed: 21)
        func random(_ n: Int, _ a: Float = -3, _ b: Float = 3) -> [Float] {
            (0..<n).map { _ in rng.nextFloat(in: a, b) }
        }
        for (B, H) in [(1, 5), (2, 8), (3, 13), (2, 40)] {
            let g4 = random(B * 4 * H), g3 = random(B * 3 * H), c = random(B * H), dh = random(B * H)
            let hp = random(B * 3 * H), peep = (random(H), random(H), random(H))
            let logits = random(B * 70, -8, 8), targets: [Int32] = (0..<B).map { Int32($0 == 1 ? -1 : $0 * 7) }
            var results: [[Float]] = []
            forEachKernelLevel { _ in
                var out: [Float] = []
                // LSTM with peepholes, forward then backward.
                var gates = g4, cNew = [Float](repeating: 0, count: B * H), tc = cNew, h = cNew
                ck_lstm_forward(&gates, c, &cNew, &tc, &h, B, H, peep.0, peep.1, peep.2, 0, H)
                // Training passes no tanh(c) buffer; sampling and the gradients must not notice.
                var gates2 = g4, cNew2 = [Float](repeating: 0, count: B * H), h2 = cNew2
                ck_lstm_forward(&gates2, c, &cNew2, nil, &h2, B, H, peep.0, peep.1, peep.2, 0, H)
                XCTAssertEqual(gates2, gates)
                XCTAssertEqual(cNew2, cNew)
                XCTAssertEqual(h2, h)
                var dc = c, dPre = [Float](repeating: 0, count: B * 4 * H)
                var pg = (
                    [Float](repeating: 0, count: H), [Float](repeating: 0, count: H), [Float](repeating: 0, count: H)
                )
                ck_lstm_backward(dh, &dc, gates, cNew, c, &dPre, B, H, peep.0, peep.1, peep.2, &pg.0, &pg.1, &pg.2)
                out += gates + cNew + tc + h + dc + dPre + pg.0 + pg.1 + pg.2
                // GRU forward and backward.
                var xp = g3, hn = [Float](repeating: 0, count: B * H), hOut = hn
                ck_gru_forward(&xp, hp, c, &hn, &hOut, B, H, 0, H)
                var dX = [Float](repeating: 0, count: B * 3 * H), dHn = hn, dPrev = hn
                ck_gru_backward(dh, xp, hn, c, &dX, &dHn, &dPrev, B, H)
                out += xp + hn + hOut + dX + dHn + dPrev
                // RNN.
                var pre = c, hr = c
                ck_rnn_forward(&pre, &hr, B, H, 0, H)
                var dr = c
                ck_rnn_backward(dh, hr, &dr, B * H)
                out += hr + dr
                // Softmax cross-entropy, element-wise kernels.
                var l = logits
                let loss = Kernels.softmaxCrossEntropy(&l, rows: B, v: 70, targets: targets, scale: 0.5)
                out += l + [Float(loss)]
                var y = c
                Kernels.addRowBias(&y, rows: B, peep.0, H)
                Kernels.add(dh, into: &y, B * H)
                Kernels.multiply(y, c, into: &y, B * H)
                Kernels.scale(&y, B * H, by: 0.3)
                out += y + [Float(Kernels.sumOfSquares(y, B * H))]
                results.append(out)
            }
            for r in results.dropFirst() {
                XCTAssertEqual(r.count, results[0].count)
                for (a, b) in zip(r, results[0]) {
                    XCTAssertEqual(a, b, accuracy: 2e-5 * max(1, abs(b)), "B \(B) H \(H)")
                }
            }
        }
    }

    /// Training writes each step's gradients over its gates (no second B×S×G buffer): the
    /// backward kernels must give the same bits whether `dPre` is `gates` or separate memory.
    func testBackwardKernelsMayWriteOverTheirGates() {
        var rng = SplitMix64(seed: 5)
        func random(_ n: Int) -> [Float] { (0..<n).map { _ in rng.nextFloat(in: -2, 2) } }
        forEachKernelLevel { level in
            for (B, H) in [(1, 3), (2, 8), (3, 13), (2, 40)] {
                let c = random(B * H), dh = random(B * H), peep = (random(H), random(H), random(H))
                var gates = random(B * 4 * H), cNew = [Float](repeating: 0, count: B * H), h = cNew
                ck_lstm_forward(&gates, c, &cNew, nil, &h, B, H, peep.0, peep.1, peep.2, 0, H)
                let zeros = [Float](repeating: 0, count: H)
                var dc = c, dPre = [Float](repeating: 0, count: B * 4 * H), pg = (zeros, zeros, zeros)
                ck_lstm_backward(dh, &dc, gates, cNew, c, &dPre, B, H, peep.0, peep.1, peep.2, &pg.0, &pg.1, &pg.2)
                var inPlace = gates, dcInPlace = c, pgInPlace = (zeros, zeros, zeros)
                inPlace.withUnsafeMutableBufferPointer { g in
                    ck_lstm_backward(
                        dh, &dcInPlace, g.baseAddress, cNew, c, g.baseAddress, B, H, peep.0, peep.1, peep.2,
                        &pgInPlace.0, &pgInPlace.1, &pgInPlace.2)
                }
                XCTAssertEqual(inPlace, dPre, "lstm \(level) B \(B) H \(H)")
                XCTAssertEqual(dcInPlace, dc)
                XCTAssertEqual([pgInPlace.0, pgInPlace.1, pgInPlace.2], [pg.0, pg.1, pg.2])
                XCTAssertNotEqual(dPre, gates)

                var xp = random(B * 3 * H), hn = [Float](repeating: 0, count: B * H), hOut = hn
                ck_gru_forward(&xp, random(B * 3 * H), c, &hn, &hOut, B, H, 0, H)
                var dX = [Float](repeating: 0, count: B * 3 * H), dHn = hn, dPrev = hn
                ck_gru_backward(dh, xp, hn, c, &dX, &dHn, &dPrev, B, H)
                // Both outputs over their inputs: dX over the gates, the n block over hn.
                var gruInPlace = xp, hnInPlace = hn, dPrev2 = dPrev
                gruInPlace.withUnsafeMutableBufferPointer { g in
                    hnInPlace.withUnsafeMutableBufferPointer { n in
                        ck_gru_backward(
                            dh, g.baseAddress, n.baseAddress, c, g.baseAddress, n.baseAddress, &dPrev2, B, H)
                    }
                }
                XCTAssertEqual(gruInPlace, dX, "gru \(level) B \(B) H \(H)")
                XCTAssertEqual(hnInPlace, dHn)
                XCTAssertNotEqual(dHn, hn)
                XCTAssertEqual(dPrev2, dPrev)
            }
        }
    }
}
