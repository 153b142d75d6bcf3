import Foundation
import Models
import NeuralCore
import Tokenization

/// How well the model predicts a text: one entry per unit the model read.
public struct TextScore: Sendable, Equatable {
    public struct Unit: Sendable, Equatable {
        public var text: String
        /// −ln p(unit | the units before it), nil for the first (nothing predicts it).
        public var surprisal: Double?
    }

    public var units: [Unit]
    /// The characters of the text the model never saw (skipped, not scored).
    public var unknown: [UnknownCharacter]

    /// Mean surprisal over the predicted units, in nats (nil with fewer than two units): the
    /// loss `charnn eval` reports for the same text.
    public var meanSurprisal: Double? {
        let s = units.compactMap(\.surprisal)
        return s.isEmpty ? nil : s.reduce(0, +) / Double(s.count)
    }

    /// The same in bits per unit.
    public var bitsPerUnit: Double? { meanSurprisal.map { $0 / M_LN2 } }
}

extension CharModel {
    /// The longest text `score` and `probabilities` read.
    public static let maximumScoredUnits = 1 << 20

    /// Runs `ids` through a one-stream predictor of its own, handing each step's logits [V] to
    /// `body` (after unit t, the prediction of unit t + 1). Off the scheduler: scoring never
    /// waits for generation.
    func readThrough(_ ids: [Int32], _ body: (Int, UnsafeBufferPointer<Float>) -> Void) {
        let predictor = Predictor(model: model, batch: 1, threads: 1)
        let V = config.vocabularySize
        for (t, id) in ids.enumerated() {
            var token = id
            let logits = predictor.step(tokens: &token)
            body(t, UnsafeBufferPointer(start: logits, count: V))
        }
    }

    /// Per-unit surprisal of `text`, read as one stream from the zero state (`charnn eval`'s
    /// protocol: the first unit is not predicted).
    public func score(_ text: String) throws -> TextScore {
        let (ids, unknown) = try encode(text)
        guard ids.count <= Self.maximumScoredUnits else {
            throw GenerationError.textTooLong(field: "text", length: ids.count, limit: Self.maximumScoredUnits)
        }
        var units = ids.map { TextScore.Unit(text: vocabulary.token(at: Int($0)), surprisal: nil) }
        readThrough(Array(ids.dropLast())) { t, logits in
            units[t + 1].surprisal = -StreamSlot.logSoftmax(logits)[Int(ids[t + 1])]
        }
        return TextScore(units: units, unknown: unknown)
    }

    /// The `top` most likely next units after `context` (an empty context: after a newline),
    /// with their log-probabilities, best first.
    public func probabilities(after context: String, top: Int = 5) throws -> [Candidate] {
        let (ids, _) = try encode(context)
        guard ids.count <= Self.maximumScoredUnits else {
            throw GenerationError.textTooLong(field: "context", length: ids.count, limit: Self.maximumScoredUnits)
        }
        var last: [Double] = []
        let input = ids.isEmpty ? [startUnit] : ids
        readThrough(input) { t, logits in
            if t == input.count - 1 { last = StreamSlot.logSoftmax(logits) }
        }
        return StreamSlot.best(last, count: max(0, top)).map {
            Candidate(text: vocabulary.token(at: $0), logprob: last[$0])
        }
    }
}
