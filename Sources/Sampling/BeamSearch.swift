import Foundation
import Models
import NeuralCore
import Tokenization

/// Beam search: the continuation of `length` units with (approximately) the highest total
/// log-probability under the model, keeping the `width` best partial continuations at every
/// step. Deterministic; useful to see what a model considers most likely (greedy decoding is
/// width 1). Expect repetitive text from small models: likelihood is not the same as interest.
public final class BeamSearch: @unchecked Sendable {
    public let model: LanguageModel
    public let vocabulary: Vocabulary
    public let width: Int
    let predictor: Predictor
    let scratch: ModelState

    public init(model: LanguageModel, vocabulary: Vocabulary, width: Int) {
        precondition(width >= 1, "beam width must be ≥ 1")
        self.model = model
        self.vocabulary = vocabulary
        self.width = width
        predictor = Predictor(model: model, batch: width)
        scratch = ModelState(config: model.config, batch: width)
    }

    /// Runs the search after `prime` (unknown characters skipped and returned).
    /// - Returns: the best continuation, its total log-probability (nats), and the skipped characters.
    public func search(prime: String, length: Int) throws -> (
        text: String, logProbability: Double, unknowns: [UnknownCharacter]
    ) {
        let (ids, unknowns) = try vocabulary.encode(prime, unknown: .skip)
        predictor.reset()
        let start = ids.isEmpty ? [vocabulary.startID] : ids
        for id in start.dropLast() { feed([Int32](repeating: id, count: width)) }
        var inputs = [Int32](repeating: start.last!, count: width)
        var beams: [(tokens: [Int32], score: Double)] = [([], 0)]  // only one distinct beam at first
        let V = model.config.vocabularySize
        var logProbs = [Double](repeating: 0, count: V)
        for _ in 0..<length {
            let logits = inputs.withUnsafeBufferPointer { predictor.step(tokens: $0.baseAddress!) }
            var candidates: [(beam: Int, token: Int32, score: Double)] = []
            for (b, beam) in beams.enumerated() {
                let row = logits + b * V
                var m = -Double.infinity
                for v in 0..<V { m = max(m, Double(row[v])) }
                var s = 0.0
                for v in 0..<V { s += exp(Double(row[v]) - m) }
                let lse = m + log(s)
                for v in 0..<V { logProbs[v] = Double(row[v]) - lse }
                // The best `width` tokens of this beam are enough to find the best `width` overall.
                let top = (0..<V).sorted { logProbs[$0] > logProbs[$1] || (logProbs[$0] == logProbs[$1] && $0 < $1) }
                    .prefix(width)
                for v in top { candidates.append((b, Int32(v), beam.score + logProbs[v])) }
            }
            candidates.sort {
                $0.score > $1.score || ($0.score == $1.score && ($0.beam, $0.token) < ($1.beam, $1.token))
            }
            let chosen = Array(candidates.prefix(width))
            // Reorder the hidden state so row i continues the beam chosen for slot i.
            for (src, dst) in zip(predictor.state.buffers, scratch.buffers) { dst.copy(from: src) }
            let H = model.config.hidden
            for (i, c) in chosen.enumerated() {
                for (src, dst) in zip(scratch.buffers, predictor.state.buffers) {
                    (dst.pointer + i * H).update(from: src.pointer + c.beam * H, count: H)
                }
            }
            beams = chosen.map { (beams[$0.beam].tokens + [$0.token], $0.score) }
            for i in 0..<width { inputs[i] = chosen[min(i, chosen.count - 1)].token }
        }
        let best = beams[0]
        return (vocabulary.decode(best.tokens), best.score, unknowns)
    }

    func feed(_ tokens: [Int32]) {
        tokens.withUnsafeBufferPointer { _ = predictor.step(tokens: $0.baseAddress!) }
    }
}
