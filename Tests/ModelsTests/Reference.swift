import Foundation
import NeuralCore

@testable import Models

/// A plain scalar Double implementation of the model, written independently of the
/// SIMD/BLAS code from the formulas of docs/architecture.md (PyTorch's). It is the
/// oracle of the golden-value and gradient tests.
struct ReferenceModel {
    var config: ModelConfig
    /// Parameters by PyTorch name, row-major, in Double.
    var p: [String: [Double]]

    init(_ model: LanguageModel) {
        config = model.config
        p = [:]
        for q in model.parameters { p[q.name] = q.value.array.map(Double.init) }
    }

    static func sig(_ x: Double) -> Double { 1 / (1 + exp(-x)) }

    /// Returns (mean loss over scored positions, logits [N][V], final h, final c).
    /// `masks[l]` is the [N·H] dropout mask of layer l's output (nil = no dropout).
    func run(
        inputs: [Int32], targets: [Int32], B: Int, S: Int, h0: [[Double]], c0: [[Double]],
        masks: [[Double]]?
    ) -> (loss: Double, logits: [[Double]], h: [[Double]], c: [[Double]]) {
        let H = config.hidden, E = config.embedding, V = config.vocabularySize, L = config.layers
        let N = B * S
        // x[pos] for the current layer.
        var xs: [[Double]] = (0..<N).map { pos in
            let t = Int(inputs[pos])
            return Array(p["encoder.weight"]![(t * E)..<(t * E + E)])
        }
        var hFinal: [[Double]] = [], cFinal: [[Double]] = []
        for l in 0..<L {
            let I = l == 0 ? E : H
            let wih = p["rnn.weight_ih_l\(l)"]!, whh = p["rnn.weight_hh_l\(l)"]!
            let bih = p["rnn.bias_ih_l\(l)"]!, bhh = p["rnn.bias_hh_l\(l)"]!
            let G = config.cell.gateCount * H
            func lin(_ w: [Double], _ b: [Double], _ v: [Double], _ cols: Int) -> [Double] {
                (0..<G).map { r in
                    var s = b[r]
                    for k in 0..<cols { s += w[r * cols + k] * v[k] }
                    return s
                }
            }
            var ys = [[Double]](repeating: [], count: N)
            var hState = (0..<B).map { b in Array(h0[l][(b * H)..<(b * H + H)]) }
            var cState = config.cell.hasCellState ? (0..<B).map { b in Array(c0[l][(b * H)..<(b * H + H)]) } : []
            for t in 0..<S {
                for b in 0..<B {
                    let pos = t * B + b
                    let a = lin(wih, bih, xs[pos], I)
                    let r = lin(whh, bhh, hState[b], H)
                    var hNew = [Double](repeating: 0, count: H)
                    switch config.cell {
                    case .rnn:
                        for j in 0..<H { hNew[j] = tanh(a[j] + r[j]) }
                    case .lstm, .peephole:
                        let pe = config.cell == .peephole
                        let pi = pe ? p["rnn.weight_peephole_i_l\(l)"]! : [],
                            pf = pe ? p["rnn.weight_peephole_f_l\(l)"]! : []
                        let po = pe ? p["rnn.weight_peephole_o_l\(l)"]! : []
                        var cNew = [Double](repeating: 0, count: H)
                        for j in 0..<H {
                            let cp = cState[b][j]
                            let i = Self.sig(a[j] + r[j] + (pe ? pi[j] * cp : 0))
                            let f = Self.sig(a[H + j] + r[H + j] + (pe ? pf[j] * cp : 0))
                            let g = tanh(a[2 * H + j] + r[2 * H + j])
                            let c = f * cp + i * g
                            let o = Self.sig(a[3 * H + j] + r[3 * H + j] + (pe ? po[j] * c : 0))
                            cNew[j] = c
                            hNew[j] = o * tanh(c)
                        }
                        cState[b] = cNew
                    case .gru:
                        for j in 0..<H {
                            let rg = Self.sig(a[j] + r[j])
                            let z = Self.sig(a[H + j] + r[H + j])
                            let n = tanh(a[2 * H + j] + rg * r[2 * H + j])
                            hNew[j] = (1 - z) * n + z * hState[b][j]
                        }
                    }
                    hState[b] = hNew
                    var y = hNew
                    if let masks { for j in 0..<H { y[j] *= masks[l][pos * H + j] } }
                    ys[pos] = y
                }
            }
            hFinal.append(hState.flatMap { $0 })
            cFinal.append(cState.flatMap { $0 })
            xs = ys
        }
        let wd = p["decoder.weight"]!, bd = p["decoder.bias"]!
        var total = 0.0, scored = 0
        var logits: [[Double]] = []
        for pos in 0..<N {
            let z = (0..<V).map { v in
                var s = bd[v]
                for k in 0..<H { s += wd[v * H + k] * xs[pos][k] }
                return s
            }
            logits.append(z)
            let t = Int(targets[pos])
            if t >= 0 {
                let m = z.max()!
                let lse = m + log(z.reduce(0) { $0 + exp($1 - m) })
                total += lse - z[t]
                scored += 1
            }
        }
        return (total / Double(max(scored, 1)), logits, hFinal, cFinal)
    }
}
