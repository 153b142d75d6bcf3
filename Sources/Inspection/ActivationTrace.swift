// What a model did over one text: every layer's hidden state, memory cell and gate
// activations at every character, and its prediction of each next character. Everything
// is read from the model's own forward pass (the buffers the training workspace keeps for
// BPTT), not recomputed here, so the page shows exactly what the model computes.
import Foundation
import Models
import NeuralCore

/// One time series a cell produces per hidden unit.
public enum SignalKind: String, Codable, CaseIterable, Sendable {
    /// The hidden state (the layer's output).
    case h
    /// The LSTM memory cell.
    case c
    /// LSTM gates: input, forget, candidate (tanh), output.
    case i, f, g, o
    /// GRU gates: reset, update, candidate (tanh).
    case r, z, n

    /// The range the values live in.
    public enum Range: String, Codable, Sendable {
        /// A sigmoid gate: [0, 1].
        case unit
        /// A tanh: [−1, 1].
        case symmetric
        /// Unbounded (the LSTM cell).
        case unbounded
    }

    public var range: Range {
        switch self {
        case .i, .f, .o, .r, .z: return .unit
        case .h, .g, .n: return .symmetric
        case .c: return .unbounded
        }
    }

    /// A few words for people.
    public var label: String {
        switch self {
        case .h: return "hidden state h"
        case .c: return "cell state c"
        case .i: return "input gate i"
        case .f: return "forget gate f"
        case .g: return "candidate g"
        case .o: return "output gate o"
        case .r: return "reset gate r"
        case .z: return "update gate z"
        case .n: return "candidate n"
        }
    }

    /// The signals of a cell, h first; the gates in PyTorch's block order.
    public static func of(_ cell: CellKind) -> [SignalKind] {
        switch cell {
        case .rnn: return [.h]
        case .lstm, .peephole: return [.h, .c, .i, .f, .g, .o]
        case .gru: return [.h, .r, .z, .n]
        }
    }

    /// The gate block this signal occupies in the workspace's gate rows (nil for h and c).
    var gateBlock: Int? {
        switch self {
        case .i, .r: return 0
        case .f, .z: return 1
        case .g, .n: return 2
        case .o: return 3
        case .h, .c: return nil
        }
    }
}

/// One unit's signal: layer, kind, unit index.
public struct Signal: Hashable, Codable, Sendable, CustomStringConvertible {
    public let layer: Int
    public let kind: SignalKind
    public let unit: Int

    public init(layer: Int, kind: SignalKind, unit: Int) {
        self.layer = layer
        self.kind = kind
        self.unit = unit
    }

    public var description: String { "layer \(layer) \(kind.rawValue)[\(unit)]" }
}

/// A predicted next token and its probability.
public struct Prediction: Equatable, Sendable {
    public let token: Int
    public let probability: Double
}

/// The model's activations and predictions over a text of `length` tokens, read from one
/// forward pass from the zero state (or a given state).
public final class ActivationTrace: @unchecked Sendable {
    public let config: ModelConfig
    /// The text's token ids.
    public let ids: [Int32]
    public var length: Int { ids.count }
    /// The signals each unit of each layer has (`SignalKind.of(config.cell)`).
    public let kinds: [SignalKind]
    /// `values[layer][kind index]`: unit-major [H][length] (one unit's series is contiguous).
    let values: [[[Float]]]
    /// `nextSurprisal[t]` = −log p(ids[t+1] | ids[0...t]) in nats, for t < length − 1.
    public let nextSurprisal: [Double]
    /// `top[t]`: the most likely tokens after ids[0...t], most likely first (t < length).
    public let top: [[Prediction]]

    /// Runs `model` over `ids` (at least one) and keeps what it computed.
    ///
    /// - Parameters:
    ///   - topK: how many predictions to keep per position.
    ///   - state: the state before the first token (copied; nil: zero).
    public init(model: LanguageModel, ids: [Int32], topK: Int = 5, state: ModelState? = nil) {
        precondition(!ids.isEmpty, "an activation trace needs at least one token")
        let c = model.config, N = ids.count, H = c.hidden, V = c.vocabularySize
        config = c
        self.ids = ids
        let kinds = SignalKind.of(c.cell)
        self.kinds = kinds
        let ws = Workspace(config: c, batch: 1, steps: N, training: false)
        let start = ModelState(config: c, batch: 1)
        if let state { start.copy(from: state) }
        model.forward(inputs: ids, targets: nil, state: start, workspace: ws, dropout: .off)

        let G = c.cell.gateCount * H
        values = (0..<c.layers).map { l in
            kinds.map { kind -> [Float] in
                let (source, stride, offset): (UnsafeBufferPointer<Float>, Int, Int)
                switch kind {
                case .h: (source, stride, offset) = (ws.hiddenStates(layer: l), H, 0)
                case .c: (source, stride, offset) = (ws.cellStates(layer: l)!, H, 0)
                default: (source, stride, offset) = (ws.gateActivations(layer: l), G, kind.gateBlock! * H)
                }
                // Time-major [N, stride] → unit-major [H, N].
                var out = [Float](repeating: 0, count: H * N)
                for t in 0..<N {
                    let row = t * stride + offset
                    for u in 0..<H { out[u * N + t] = source[row + u] }
                }
                return out
            }
        }

        let logits = ws.logits.pointer
        var surprisal: [Double] = []
        surprisal.reserveCapacity(max(N - 1, 0))
        var top: [[Prediction]] = []
        top.reserveCapacity(N)
        let k = min(max(topK, 0), V)
        for t in 0..<N {
            let row = logits + t * V
            var maxLogit = -Double.infinity
            for v in 0..<V { maxLogit = max(maxLogit, Double(row[v])) }
            var sum = 0.0
            for v in 0..<V { sum += Foundation.exp(Double(row[v]) - maxLogit) }
            let logZ = maxLogit + Foundation.log(sum)
            if t + 1 < N { surprisal.append(logZ - Double(row[Int(ids[t + 1])])) }
            let best = (0..<V).sorted { row[$0] != row[$1] ? row[$0] > row[$1] : $0 < $1 }.prefix(k)
            top.append(best.map { Prediction(token: $0, probability: Foundation.exp(Double(row[$0]) - logZ)) })
        }
        nextSurprisal = surprisal
        self.top = top
    }

    /// Every signal of the model, layer by layer, kind by kind, unit by unit.
    public var signals: [Signal] {
        (0..<config.layers).flatMap { l in
            kinds.flatMap { kind in (0..<config.hidden).map { Signal(layer: l, kind: kind, unit: $0) } }
        }
    }

    /// One signal over the text (`length` values, indexed from 0). The kind must belong to the cell.
    public func series(_ s: Signal) -> [Float] {
        guard let k = kinds.firstIndex(of: s.kind) else {
            preconditionFailure("a \(config.cell.rawValue) cell has no \(s.kind.rawValue)")
        }
        let N = length
        return Array(values[s.layer][k][(s.unit * N)..<((s.unit + 1) * N)])
    }

    /// Mean surprisal over the text's predictions (nats per token); nil for a single token.
    public var meanSurprisal: Double? {
        nextSurprisal.isEmpty ? nil : nextSurprisal.reduce(0, +) / Double(nextSurprisal.count)
    }
}
