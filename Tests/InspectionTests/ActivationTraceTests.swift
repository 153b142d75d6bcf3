// The trace's activations are the model's own: its h and c agree with the model's per-step
// inference path (Predictor), its gates with a plain double-precision evaluation of the
// formulas, and its surprisal and top predictions with the step path's logits — for every
// cell kind, two layers, a hidden size that is not a multiple of the SIMD width.
import Foundation
import Inspection
import Models
import NeuralCore
import XCTest

final class ActivationTraceTests: XCTestCase {
    static let V = 7

    func model(_ cell: CellKind, hidden: Int = 5, layers: Int = 2, seed: UInt64 = 3) throws -> LanguageModel {
        let m = try LanguageModel(
            config: ModelConfig(
                cell: cell, layers: layers, hidden: hidden, embedding: 4,
                vocabularySize: Self.V), seed: seed)
        // Larger weights than PyTorch's default, so gates move well away from 0.5 (and saturate).
        for p in m.parameters { for i in 0..<p.count { p.value.pointer[i] *= 3 } }
        return m
    }

    func ids(_ n: Int, seed: UInt64 = 9) -> [Int32] {
        var rng = SplitMix64(seed: seed)
        return (0..<n).map { _ in Int32(rng.next() % UInt64(Self.V)) }
    }

    func testEveryCellKindMatchesTheModel() throws {
        for cell in CellKind.allCases {
            let m = try model(cell)
            let text = ids(23)
            let trace = ActivationTrace(model: m, ids: text, topK: 3)
            XCTAssertEqual(trace.kinds, SignalKind.of(cell))
            let c = m.config, H = c.hidden
            // The step path, one token at a time.
            let predictor = Predictor(model: m, batch: 1, threads: 1)
            var reference = Reference(model: m)
            for (t, token) in text.enumerated() {
                var x = token
                let logits = predictor.step(tokens: &x)
                let gates = reference.step(Int(token))
                for l in 0..<c.layers {
                    for u in 0..<H {
                        let h = trace.series(Signal(layer: l, kind: .h, unit: u))[t]
                        XCTAssertEqual(
                            h, predictor.state.h[l].pointer[u], accuracy: 2e-5,
                            "\(cell) h l\(l) u\(u) t\(t)")
                        XCTAssertEqual(Double(h), reference.h[l][u], accuracy: 1e-4, "\(cell) h vs reference")
                        if cell.hasCellState {
                            let cv = trace.series(Signal(layer: l, kind: .c, unit: u))[t]
                            XCTAssertEqual(
                                cv, predictor.state.c[l].pointer[u], accuracy: 2e-5,
                                "\(cell) c l\(l) u\(u) t\(t)")
                        }
                        for (kind, value) in gates[l] where kind != .h {
                            XCTAssertEqual(
                                Double(trace.series(Signal(layer: l, kind: kind, unit: u))[t]), value[u],
                                accuracy: 1e-4, "\(cell) \(kind) l\(l) u\(u) t\(t)")
                        }
                    }
                }
                // Predictions of the next token.
                let row = (0..<Self.V).map { Double(logits[$0]) }
                let logZ = log(row.map { exp($0) }.reduce(0, +))
                if t + 1 < text.count {
                    XCTAssertEqual(trace.nextSurprisal[t], logZ - row[Int(text[t + 1])], accuracy: 1e-4)
                }
                let best = trace.top[t]
                XCTAssertEqual(best.count, 3)
                XCTAssertEqual(best.first?.token, row.indices.max { row[$0] < row[$1] })
                for p in best { XCTAssertEqual(p.probability, exp(row[p.token] - logZ), accuracy: 1e-5) }
                XCTAssertTrue(zip(best, best.dropFirst()).allSatisfy { $0.probability >= $1.probability })
            }
            XCTAssertEqual(trace.nextSurprisal.count, text.count - 1)
            XCTAssertEqual(trace.meanSurprisal!, trace.nextSurprisal.reduce(0, +) / 22, accuracy: 1e-12)
        }
    }

    func testGatesSaturateSomewhere() throws {
        // A sanity check of the fixture: with scaled weights, some gate values are beyond 0.1 / 0.9,
        // so the saturation statistics below see both sides.
        let trace = ActivationTrace(model: try model(.lstm), ids: ids(40))
        let f = (0..<5).flatMap { trace.series(Signal(layer: 0, kind: .f, unit: $0)) }
        XCTAssertTrue(f.contains { $0 < 0.1 } && f.contains { $0 > 0.9 })
        let stats = Saturation.measure(trace)
        XCTAssertEqual(stats.map(\.kind), [.h, .i, .f, .g, .o, .h, .i, .f, .g, .o])
        for s in stats {
            for u in 0..<5 {
                let series = trace.series(Signal(layer: s.layer, kind: s.kind, unit: u))
                let mapped = series.map { s.kind.range == .symmetric ? (Double($0) + 1) / 2 : Double($0) }
                XCTAssertEqual(s.left[u], Double(mapped.filter { $0 < 0.1 }.count) / 40, accuracy: 1e-12)
                XCTAssertEqual(s.right[u], Double(mapped.filter { $0 > 0.9 }.count) / 40, accuracy: 1e-12)
            }
        }
        XCTAssertEqual(Saturation.scatterKinds(SignalKind.of(.lstm)), [.i, .f, .o])
        XCTAssertEqual(Saturation.scatterKinds(SignalKind.of(.gru)), [.r, .z])
        XCTAssertEqual(Saturation.scatterKinds(SignalKind.of(.rnn)), [.h])
    }

    func testStartsFromAGivenState() throws {
        let m = try model(.gru)
        let text = ids(12)
        // Feeding the first 5 tokens, then tracing the rest from that state, equals tracing it all.
        let whole = ActivationTrace(model: m, ids: text)
        let predictor = Predictor(model: m, batch: 1, threads: 1)
        for var x in text.prefix(5) { predictor.step(tokens: &x) }
        let rest = ActivationTrace(model: m, ids: Array(text.dropFirst(5)), state: predictor.state)
        for u in 0..<5 {
            let a = whole.series(Signal(layer: 1, kind: .z, unit: u)).dropFirst(5)
            let b = rest.series(Signal(layer: 1, kind: .z, unit: u))
            for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: 2e-5) }
        }
        XCTAssertEqual(Array(whole.nextSurprisal.dropFirst(5)), rest.nextSurprisal, accuracy: 1e-4)
    }
}

func XCTAssertEqual(
    _ a: [Double], _ b: [Double], accuracy: Double,
    file: StaticString = #filePath, line: UInt = #line
) {
    XCTAssertEqual(a.count, b.count, file: file, line: line)
    for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: accuracy, file: file, line: line) }
}

/// The cell formulas of docs/architecture.md in double precision, one step at a time (the test's
/// independent account of what each gate should be).
struct Reference {
    let model: LanguageModel
    var h: [[Double]], c: [[Double]]

    init(model: LanguageModel) {
        self.model = model
        let H = model.config.hidden
        h = Array(repeating: Array(repeating: 0, count: H), count: model.config.layers)
        c = h
    }

    static func sigmoid(_ x: Double) -> Double { 1 / (1 + exp(-x)) }

    /// Advances by `token`; returns each layer's activated signals by kind.
    mutating func step(_ token: Int) -> [[SignalKind: [Double]]] {
        let cfg = model.config, H = cfg.hidden, E = cfg.embedding
        var x = (0..<E).map { Double(model.encoder.value.pointer[token * E + $0]) }
        var out: [[SignalKind: [Double]]] = []
        for (l, p) in model.layers.enumerated() {
            let I = p.inputSize, G = cfg.cell.gateCount * H
            func w(_ q: Parameter, _ i: Int) -> Double { Double(q.value.pointer[i]) }
            var xp = [Double](repeating: 0, count: G), hp = xp
            for r in 0..<G {
                xp[r] = w(p.biasIH, r) + (0..<I).reduce(0) { $0 + w(p.weightIH, r * I + $1) * x[$1] }
                hp[r] = w(p.biasHH, r) + (0..<H).reduce(0) { $0 + w(p.weightHH, r * H + $1) * h[l][$1] }
            }
            var signals: [SignalKind: [Double]] = [:]
            switch cfg.cell {
            case .rnn:
                h[l] = (0..<H).map { tanh(xp[$0] + hp[$0]) }
            case .lstm, .peephole:
                let peep = cfg.cell == .peephole
                func pw(_ k: Int, _ u: Int) -> Double { peep ? w(p.peepholes[k], u) : 0 }
                var i = [Double](repeating: 0, count: H), f = i, g = i, o = i
                for u in 0..<H {
                    i[u] = Self.sigmoid(xp[u] + hp[u] + pw(0, u) * c[l][u])
                    f[u] = Self.sigmoid(xp[H + u] + hp[H + u] + pw(1, u) * c[l][u])
                    g[u] = tanh(xp[2 * H + u] + hp[2 * H + u])
                    c[l][u] = f[u] * c[l][u] + i[u] * g[u]
                    o[u] = Self.sigmoid(xp[3 * H + u] + hp[3 * H + u] + pw(2, u) * c[l][u])
                    h[l][u] = o[u] * tanh(c[l][u])
                }
                signals = [.i: i, .f: f, .g: g, .o: o, .c: c[l]]
            case .gru:
                var r = [Double](repeating: 0, count: H), z = r, n = r
                for u in 0..<H {
                    r[u] = Self.sigmoid(xp[u] + hp[u])
                    z[u] = Self.sigmoid(xp[H + u] + hp[H + u])
                    n[u] = tanh(xp[2 * H + u] + r[u] * hp[2 * H + u])
                    h[l][u] = (1 - z[u]) * n[u] + z[u] * h[l][u]
                }
                signals = [.r: r, .z: z, .n: n]
            }
            signals[.h] = h[l]
            out.append(signals)
            x = h[l]
        }
        return out
    }
}
