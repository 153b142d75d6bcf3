import NeuralCore

/// The recurrent cell of every layer of a model.
///
/// Gate order and formulas follow PyTorch (`torch.nn.RNN`, `LSTM`, `GRU`) exactly,
/// so a checkpoint loads into PyTorch and gives the same outputs:
///
/// - `rnn`: h' = tanh(W_ih x + b_ih + W_hh h + b_hh)
/// - `lstm`: gates (i, f, g, o) stacked in that order in `weight_ih` [4H, I] / `weight_hh` [4H, H];
///   i, f, o = σ(·), g = tanh(·); c' = f⊙c + i⊙g; h' = o⊙tanh(c')
/// - `peephole`: the LSTM plus diagonal peepholes (Gers & Schmidhuber 2000):
///   i = σ(… + p_i⊙c), f = σ(… + p_f⊙c), o = σ(… + p_o⊙c')
/// - `gru`: gates (r, z, n); r = σ(W_ir x + b_ir + W_hr h + b_hr), z likewise,
///   n = tanh(W_in x + b_in + r⊙(W_hn h + b_hn)); h' = (1 − z)⊙n + z⊙h
public enum CellKind: String, Codable, CaseIterable, Sendable {
    case rnn, lstm, peephole, gru

    /// Number of stacked gate blocks in `weight_ih` / `weight_hh`.
    @inlinable
    public var gateCount: Int {
        switch self {
        case .rnn: return 1
        case .lstm, .peephole: return 4
        case .gru: return 3
        }
    }

    /// Whether the cell carries a memory cell `c` besides `h`.
    @inlinable
    public var hasCellState: Bool { self == .lstm || self == .peephole }
}

/// Everything that fixes a model's architecture (saved as `config.json`).
public struct ModelConfig: Codable, Equatable, Sendable {
    /// Version of the checkpoint format this config belongs to.
    public static let currentFormat = 1

    public var cell: CellKind
    public var layers: Int
    public var hidden: Int
    public var embedding: Int
    public var vocabularySize: Int
    /// Inverted-dropout probability between layers and before the decoder (training only).
    public var dropout: Float
    public var format: Int

    public init(
        cell: CellKind = .lstm, layers: Int = 2, hidden: Int = 256, embedding: Int? = nil,
        vocabularySize: Int, dropout: Float = 0
    ) {
        self.cell = cell
        self.layers = layers
        self.hidden = hidden
        self.embedding = embedding ?? hidden
        self.vocabularySize = vocabularySize
        self.dropout = dropout
        self.format = ModelConfig.currentFormat
    }

    enum CodingKeys: String, CodingKey {
        case cell, layers, hidden, embedding, vocabularySize = "vocab_size", dropout, format = "format_version"
    }

    /// Largest values a configuration may hold: beyond them no machine holds the model.
    public static let limits: [(field: String, range: ClosedRange<Int>)] = [
        ("layers", 1...64), ("hidden", 1...16384), ("embedding", 1...16384), ("vocab_size", 1...(1 << 22)),
    ]

    /// Decodes config.json's fields. A number the field's type cannot hold (1e30 for `hidden`,
    /// 1e39 for `dropout`) is reported by name and value, not as "not valid JSON".
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func integer(_ key: CodingKeys) throws -> Int {
            if let v = try? c.decode(Int.self, forKey: key) { return v }
            let d = try c.decode(Double.self, forKey: key)  // not a number: the decoding error names the key
            let range = Self.limits.first { $0.field == key.stringValue }?.range
            throw ModelError.invalidConfig(
                "'\(key.stringValue)' is \(d), not a whole number"
                    + (range.map { " in \($0.lowerBound)...\($0.upperBound)" } ?? ""))
        }
        cell = try c.decode(CellKind.self, forKey: .cell)
        layers = try integer(.layers)
        hidden = try integer(.hidden)
        embedding = try integer(.embedding)
        vocabularySize = try integer(.vocabularySize)
        let p = try c.decode(Double.self, forKey: .dropout)
        guard p >= 0 && p < 1 else { throw ModelError.invalidConfig("'dropout' is \(p), not in [0, 1)") }
        dropout = Float(p)
        format = try integer(.format)
    }

    /// Checks the values; throws `ModelError.invalidConfig` naming the bad field as config.json
    /// spells it ("'hidden' is 10000000000, more than 16384").
    public func validate() throws {
        func bad(_ s: String) -> ModelError { .invalidConfig(s) }
        let values = ["layers": layers, "hidden": hidden, "embedding": embedding, "vocab_size": vocabularySize]
        for (field, range) in Self.limits {
            let v = values[field]!
            if v < range.lowerBound { throw bad("'\(field)' is \(v), less than \(range.lowerBound)") }
            if v > range.upperBound { throw bad("'\(field)' is \(v), more than \(range.upperBound)") }
        }
        guard dropout >= 0 && dropout < 1 else { throw bad("'dropout' is \(dropout), not in [0, 1)") }
        guard format >= 0 else { throw bad("'format_version' is \(format), less than 0") }
        guard format <= ModelConfig.currentFormat else {
            throw bad(
                "checkpoint format \(format) is newer than this charnn understands (\(ModelConfig.currentFormat))")
        }
    }

    /// Number of trainable scalars.
    public var parameterCount: Int {
        let g = cell.gateCount * hidden
        var n = vocabularySize * embedding + vocabularySize * hidden + vocabularySize
        for l in 0..<layers {
            let input = l == 0 ? embedding : hidden
            n += g * input + g * hidden + 2 * g
            if cell == .peephole { n += 3 * hidden }
        }
        return n
    }
}

/// Errors from building, loading or running a model.
public enum ModelError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidConfig(String)
    case missingTensor(String)
    case shapeMismatch(name: String, expected: [Int], found: [Int])
    case unexpectedTensor(String)
    case nonFiniteValues(String)

    public var description: String {
        switch self {
        case .invalidConfig(let s): return "invalid model configuration: \(s)"
        case .missingTensor(let n): return "tensor '\(n)' is missing"
        case .shapeMismatch(let n, let e, let f): return "tensor '\(n)' has shape \(f), expected \(e)"
        case .unexpectedTensor(let n): return "unexpected tensor '\(n)' (does the checkpoint belong to another model?)"
        case .nonFiniteValues(let n): return "tensor '\(n)' holds NaN or infinite values"
        }
    }
}

/// A trainable tensor: its PyTorch name and shape, values and gradient (same size).
public final class Parameter: @unchecked Sendable {
    public let name: String
    public let shape: [Int]
    public let value: FloatBuffer
    public let grad: FloatBuffer

    public init(name: String, shape: [Int]) {
        self.name = name
        self.shape = shape
        let n = shape.reduce(1, *)
        value = FloatBuffer(count: n)
        grad = FloatBuffer(count: n)
    }

    @inlinable public var count: Int { value.count }
}
