import CharNNKit
import Foundation
import Hummingbird
import Inspection

extension ModelServer {
    /// `POST /v1/trace` (charnn's): `{"model", "text", "layer"}` → the layer's gates and states
    /// after each character, its surprisal and the model's top 5 next characters.
    ///
    /// For a page that follows a generation as it streams, three optional fields:
    /// - `from` (default 0): return the steps from this character on only (the whole text is
    ///   still read, from the zero state, so the values are those of the full context);
    /// - `digits` (1…8): round every value to that many decimals (a smaller answer);
    /// - `ranking` (default false): add `ranking`, the layer's units ranked by how well they
    ///   track simple properties of the text, as `charnn inspect` ranks them.
    func trace(_ request: Request, _ context: some RequestContext) async throws -> Response {
        let f = try await fields(request)
        let model = try self.model(try f.string("model"))
        guard let text = try f.string("text") else { throw f.bad("text", "is required") }
        let limit = min(settings.limits.promptCharacters, Self.maximumTraceCharacters)
        guard text.count <= limit else { throw f.bad("text", "is \(text.count) characters long; the limit is \(limit)") }
        let layer = Int(try f.integer("layer", in: 0...Int64(model.config.layers - 1)) ?? Int64(model.config.layers - 1))
        let from = Int(try f.integer("from", in: 0...Int64(limit)) ?? 0)
        let digits = try f.integer("digits", in: 1...8).map(Int.init)
        let wantsRanking = try f.bool("ranking") ?? false
        let (t, ranking) = try await analysis {
            let t = try model.trace(text, layer: layer)
            let ranking = wantsRanking ? t.unitRanking(layer: layer).map(TraceBody.Ranking.init) : nil
            return (t, ranking)
        }
        let round: (Float) -> Float
        if let digits {
            let scale = Float(pow(10, Double(digits)))
            round = { ($0 * scale).rounded() / scale }
        } else {
            round = { $0 }
        }
        let steps = t.units.indices.dropFirst(from).map { i in
            TraceBody.Step(
                text: t.units[i], surprisal: t.surprisal[i],
                top: t.top[i].map { TraceBody.Alternative(text: $0.text, probability: $0.probability) },
                values: Dictionary(
                    uniqueKeysWithValues: t.kinds.enumerated().map { ($1.rawValue, t.values[$0][i].map(round)) }))
        }
        return try Self.json(
            TraceBody(
                model: model.name, cell: model.config.cell.rawValue, layer: layer, hidden: model.config.hidden,
                kinds: t.kinds.map(\.rawValue), count: t.units.count, from: from, steps: steps, ranking: ranking,
                warnings: t.unknown.isEmpty ? nil : t.unknown.map { "\($0) is not in the model's vocabulary; skipped" }))
    }

    /// A trace carries every unit's values per character: its length is bounded apart.
    static let maximumTraceCharacters = 4096
}

/// The answer of `/v1/trace`.
struct TraceBody: Encodable {
    struct Alternative: Encodable {
        var text: String
        var probability: Double
    }
    struct Step: Encodable {
        var text: String
        var surprisal: Double?
        var top: [Alternative]
        var values: [String: [Float]]

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(text, forKey: .text)
            try c.encode(surprisal, forKey: .surprisal)  // null for the first character
            try c.encode(top, forKey: .top)
            try c.encode(values, forKey: .values)
        }
        enum CodingKeys: String, CodingKey { case text, surprisal, top, values }
    }
    var object = "trace"
    var model: String
    var cell: String
    var layer: Int
    var hidden: Int
    var kinds: [String]
    /// Characters read (the steps returned are those from `from` on).
    var count: Int
    var from: Int
    var steps: [Step]
    /// Present when asked for (`"ranking": true`).
    var ranking: [Ranking]?
    var warnings: [String]?

    /// The best units of the layer for one property of the text (`charnn inspect`'s ranking).
    struct Ranking: Encodable, Sendable {
        struct Unit: Encodable, Sendable {
            var kind: String
            var unit: Int
            /// Pearson's r of the unit's value and the property over the text.
            var r: Double
        }
        var property: String
        var summary: String
        var varies: Bool
        /// The best |r| against the property shifted circularly (null: text too short).
        var chance_level: Double?
        var units: [Unit]

        init(_ p: PropertyRanking) {
            property = p.property
            summary = p.summary
            varies = p.varies
            chance_level = p.chanceLevel
            units = p.best.map { Unit(kind: $0.signal.kind.rawValue, unit: $0.signal.unit, r: $0.correlation) }
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(property, forKey: .property)
            try c.encode(summary, forKey: .summary)
            try c.encode(varies, forKey: .varies)
            try c.encode(chance_level, forKey: .chance_level)  // null, not absent
            try c.encode(units, forKey: .units)
        }
        enum CodingKeys: String, CodingKey { case property, summary, varies, chance_level, units }
    }
}
