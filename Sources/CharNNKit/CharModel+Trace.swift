import Inspection
import Models
import Tokenization

/// What one layer of the model did over a text: per unit of text, every hidden unit's gates and
/// states (the signals `charnn inspect` draws), and the model's prediction of the next unit.
public struct LayerTrace: Sendable {
    /// The units of text, in order.
    public var units: [String]
    /// The signals of this cell, h first, then c, then the gates in PyTorch's block order.
    public var kinds: [SignalKind]
    /// `values[kind][t]`: the layer's H values of that signal after unit t.
    public var values: [[[Float]]]
    /// −ln p(unit t | units before it), nil for t = 0.
    public var surprisal: [Double?]
    /// The most likely next units after unit t, with their probabilities.
    public var top: [[(text: String, probability: Double)]]
    public var unknown: [UnknownCharacter]
}

extension CharModel {
    /// The signals of `layer` over `text`, read as one stream from the zero state.
    public func trace(_ text: String, layer: Int, top: Int = 5) throws -> LayerTrace {
        guard (0..<config.layers).contains(layer) else {
            throw GenerationError.invalidOption("layer", "must be in 0...\(config.layers - 1), got \(layer)")
        }
        let (ids, unknown) = try encode(text)
        guard ids.count <= Self.maximumScoredUnits else {
            throw GenerationError.textTooLong(field: "text", length: ids.count, limit: Self.maximumScoredUnits)
        }
        guard !ids.isEmpty else {
            return LayerTrace(units: [], kinds: SignalKind.of(config.cell), values: [], surprisal: [], top: [], unknown: unknown)
        }
        let trace = ActivationTrace(model: model, ids: ids, topK: top)
        let H = config.hidden, N = ids.count
        let values = trace.kinds.map { kind -> [[Float]] in
            var rows = [[Float]](repeating: [Float](repeating: 0, count: H), count: N)
            for u in 0..<H {
                let series = trace.series(Signal(layer: layer, kind: kind, unit: u))
                for t in 0..<N { rows[t][u] = series[t] }
            }
            return rows
        }
        return LayerTrace(
            units: ids.map { vocabulary.token(at: Int($0)) }, kinds: trace.kinds, values: values,
            surprisal: [nil] + trace.nextSurprisal.map { Optional($0) },
            top: trace.top.map { $0.map { (vocabulary.token(at: $0.token), $0.probability) } }, unknown: unknown)
    }
}

extension LayerTrace {
    /// The layer's units ranked by how well they track simple properties of the traced text
    /// (in quotes, position in the line, …: `TextProperties.standard`), as `charnn inspect`
    /// ranks them: per property, the `top` signals of this layer by |Pearson r|, and the
    /// chance level. Nothing is ranked below `UnitRanking.minimumLength` characters.
    public func unitRanking(layer: Int, top: Int = 5) -> [PropertyRanking] {
        let N = units.count
        let H = values.first?.first?.count ?? 0
        let signals = kinds.flatMap { kind in (0..<H).map { Signal(layer: layer, kind: kind, unit: $0) } }
        let index = Dictionary(uniqueKeysWithValues: kinds.enumerated().map { ($1, $0) })
        return UnitRanking.rank(properties: TextProperties.standard(units), signals: signals, top: top) { signal in
            let rows = values[index[signal.kind]!]
            return (0..<N).map { rows[$0][signal.unit] }
        }
    }
}
