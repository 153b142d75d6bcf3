import CharNNKit
import Foundation
import Hummingbird

extension ModelServer {
    /// `POST /v1/trace` (charnn's): `{"model", "text", "layer"}` → the layer's gates and states
    /// after each character, its surprisal and the model's top 5 next characters.
    func trace(_ request: Request, _ context: some RequestContext) async throws -> Response {
        let f = try await fields(request)
        let model = try self.model(try f.string("model"))
        guard let text = try f.string("text") else { throw f.bad("text", "is required") }
        let limit = min(settings.limits.promptCharacters, Self.maximumTraceCharacters)
        guard text.count <= limit else { throw f.bad("text", "is \(text.count) characters long; the limit is \(limit)") }
        let layer = Int(try f.integer("layer", in: 0...Int64(model.config.layers - 1)) ?? Int64(model.config.layers - 1))
        let t = try await Self.offThread { try model.trace(text, layer: layer) }
        let steps = t.units.indices.map { i in
            TraceBody.Step(
                text: t.units[i], surprisal: t.surprisal[i],
                top: t.top[i].map { TraceBody.Alternative(text: $0.text, probability: $0.probability) },
                values: Dictionary(uniqueKeysWithValues: t.kinds.enumerated().map { ($1.rawValue, t.values[$0][i]) }))
        }
        return try Self.json(
            TraceBody(
                model: model.name, cell: model.config.cell.rawValue, layer: layer, hidden: model.config.hidden,
                kinds: t.kinds.map(\.rawValue), steps: steps,
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
    var steps: [Step]
    var warnings: [String]?
}
