// The numbers behind the inspection page, as written to inspect.json: the text, the
// surprisal of each character with the model's top predictions, the units ranked per
// property of the text, and the gate-saturation statistics of every layer.
import Foundation
import Models

/// One predicted token for JSON.
public struct PredictionEntry: Codable, Equatable, Sendable {
    public let token: String
    public let p: Double
}

/// The model in a few numbers.
public struct ModelSummary: Codable, Sendable {
    public let cell: String
    public let layers: Int
    public let hidden: Int
    public let embedding: Int
    public let vocabSize: Int
    public let parameters: Int

    enum CodingKeys: String, CodingKey {
        case cell, layers, hidden, embedding, vocabSize = "vocab_size", parameters
    }
}

/// One property's ranking for JSON.
public struct RankingEntry: Codable, Sendable {
    public struct Unit: Codable, Sendable {
        public let layer: Int
        public let kind: String
        public let unit: Int
        public let r: Double
    }
    public let property: String
    public let summary: String
    /// False when the property is constant over this text (nothing to rank).
    public let varies: Bool
    /// Best |r| against the property shifted circularly: what chance reaches.
    public let chanceLevel: Double?
    public let best: [Unit]

    enum CodingKeys: String, CodingKey {
        case property, summary, varies, chanceLevel = "chance_level", best
    }
}

public struct InspectionReport: Codable, Sendable {
    /// Where the model came from (a checkpoint path), for the page's title.
    public let source: String
    public let model: ModelSummary
    /// The text, one entry per token (character).
    public let tokens: [String]
    /// Per token: −log p(token | the tokens before it), nats; null for the first.
    public let surprisal: [Double?]
    /// Mean of `surprisal` over the tokens that have one.
    public let meanSurprisalNats: Double?
    /// Per token: the model's most likely tokens at that position, before reading it (empty for the first).
    public let predictions: [[PredictionEntry]]
    /// What the model expects after the last token.
    public let next: [PredictionEntry]
    /// How the ranking is computed, in words.
    public let rankingMethod: String
    public let ranking: [RankingEntry]
    public let saturation: [SaturationStats]

    enum CodingKeys: String, CodingKey {
        case source, model, tokens, surprisal, meanSurprisalNats = "mean_surprisal_nats", predictions, next
        case rankingMethod = "ranking_method", ranking, saturation
    }

    public static let method = """
        Each unit (every layer's h, and for gated cells c and every gate) is scored against each property \
        by |r|, the absolute Pearson correlation over the text between the unit's value after reading a \
        character and the property's value at that character; units are listed best first, with the sign \
        of r. chance_level is the best |r| any unit reaches against the same property shifted circularly \
        by 1/5, 2/5, 3/5 or 4/5 of the text (the largest): scores near it mean nothing.
        """

    /// Assembles the report of a trace.
    ///
    /// - Parameters:
    ///   - tokenText: the text of each vocabulary id (`Vocabulary.tokens`).
    ///   - top: units kept per property.
    public init(trace: ActivationTrace, tokenText: [String], source: String, top: Int = 5) {
        let c = trace.config
        self.source = source
        model = ModelSummary(
            cell: c.cell.rawValue, layers: c.layers, hidden: c.hidden, embedding: c.embedding,
            vocabSize: c.vocabularySize, parameters: c.parameterCount)
        let tokens = trace.ids.map { tokenText[Int($0)] }
        self.tokens = tokens
        surprisal = [nil] + trace.nextSurprisal.map { Optional(Self.round($0)) }
        meanSurprisalNats = trace.meanSurprisal.map { Self.round($0) }
        func entries(_ p: [Prediction]) -> [PredictionEntry] {
            p.map { PredictionEntry(token: tokenText[$0.token], p: Self.round($0.probability)) }
        }
        predictions = [[]] + trace.top.dropLast().map(entries)
        next = entries(trace.top.last ?? [])
        rankingMethod = Self.method
        ranking = UnitRanking.rank(trace, properties: TextProperties.standard(tokens), top: top).map { r in
            RankingEntry(
                property: r.property, summary: r.summary, varies: r.varies,
                chanceLevel: r.chanceLevel.map { Self.round($0) },
                best: r.best.map {
                    .init(
                        layer: $0.signal.layer, kind: $0.signal.kind.rawValue,
                        unit: $0.signal.unit, r: Self.round($0.correlation))
                })
        }
        saturation = Saturation.measure(trace).map {
            SaturationStats(
                layer: $0.layer, kind: $0.kind, left: $0.left.map { Self.round($0) },
                right: $0.right.map { Self.round($0) })
        }
    }

    /// Six decimals are plenty for people and keep the files small.
    static func round(_ x: Double) -> Double { (x * 1e6).rounded() / 1e6 }

    /// inspect.json: compact (it holds a few thousand predictions), keys sorted.
    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }
}
