import CharNNKit
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// One choice of a completion: a prompt, the generation after it, and its place in the answer.
struct Choice {
    var index: Int
    var prompt: String
    var generation: CharModel.Generation
}

extension ModelServer {
    /// `POST /v1/completions`.
    func completions(_ request: Request, _ context: some RequestContext) async throws -> Response {
        let arrived = ContinuousClock.now
        let req = try CompletionRequest(try await fields(request), limits: settings.limits)
        let model = try self.model(req.model)
        // Every choice starts now or not at all: a refusal of the k-th ends the ones before it.
        var choices: [Choice] = []
        var warnings: [String] = []
        do {
            for (p, prompt) in req.prompts.enumerated() {
                for j in 0..<req.n {
                    var o = req.options
                    o.stream = j
                    let g = try model.start(prompt: prompt, options: o)
                    if j == 0 {
                        for u in g.unknown {
                            warnings.append("prompt \(p): \(u) is not in the model's vocabulary; skipped")
                        }
                        metrics.promptUnits.increment(by: Int64(g.promptUnits))
                    }
                    choices.append(Choice(index: p * req.n + j, prompt: prompt, generation: g))
                }
            }
        } catch let error as GenerationError {
            if case .overCapacity = error { metrics.rejected.increment() }
            throw APIError.from(error)
        }
        let id = "cmpl-" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(24)
        let created = Int(Date().timeIntervalSince1970)
        let promptUnits = choices.filter { $0.index % req.n == 0 }.map(\.generation.promptUnits).reduce(0, +)
        if req.stream {
            return stream(
                choices, id: id, created: created, model: model.name, request: req, promptUnits: promptUnits,
                warnings: warnings, arrived: arrived)
        }
        var bodies: [ChoiceBody] = []
        var generated = 0
        var first = true
        for choice in choices {
            var text = req.echo ? choice.prompt : ""
            var logprobs = req.options.logprobs == nil ? nil : LogprobsBody()
            var finish = FinishReason.length
            var last = ContinuousClock.now
            for try await event in choice.generation.events {
                switch event {
                case .piece(let p):
                    let now = ContinuousClock.now
                    if first {
                        metrics.firstCharacter.record(arrived.duration(to: now))
                        first = false
                    } else {
                        metrics.perCharacter.record(last.duration(to: now))
                    }
                    last = now
                    logprobs?.append(p, offset: text.count)
                    text += p.text
                    generated += 1
                case .finished(let reason): finish = reason
                }
            }
            bodies.append(ChoiceBody(text: text, index: choice.index, logprobs: logprobs, finish_reason: finish.rawValue))
        }
        metrics.generated.increment(by: Int64(generated))
        let body = CompletionBody(
            id: id, created: created, model: model.name, choices: bodies,
            usage: UsageBody(prompt_tokens: promptUnits, completion_tokens: generated, total_tokens: promptUnits + generated),
            warnings: warnings.isEmpty ? nil : warnings)
        return try Self.json(body)
    }

    /// The answer as server-sent events: one `data: {chunk}` per piece of any choice, each choice's
    /// last chunk with its `finish_reason`, then `data: [DONE]`. If the client goes away, the
    /// write fails, the body ends, and every choice's generation is cancelled (its stream dropped).
    func stream(
        _ choices: [Choice], id: String, created: Int, model: String, request: CompletionRequest, promptUnits: Int,
        warnings: [String], arrived: ContinuousClock.Instant
    ) -> Response {
        let metrics = self.metrics
        let (merged, sink) = AsyncStream<(Int, GenerationEvent?)>.makeStream()
        let forwarders = choices.map { choice in
            Task {
                do {
                    for try await event in choice.generation.events { sink.yield((choice.index, event)) }
                } catch {}
                sink.yield((choice.index, nil))
            }
        }
        sink.onTermination = { _ in for t in forwarders { t.cancel() } }
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-cache"
        let body = ResponseBody { writer in
            defer { for t in forwarders { t.cancel() } }
            func send(_ chunk: CompletionBody) async throws {
                var data = Data("data: ".utf8)
                data += try ModelServer.encoder.encode(chunk)
                data += Data("\n\n".utf8)
                try await writer.write(ByteBuffer(bytes: data))
            }
            func chunk(_ choice: ChoiceBody) -> CompletionBody {
                CompletionBody(id: id, created: created, model: model, choices: [choice], usage: nil, warnings: nil)
            }
            if !warnings.isEmpty || request.echo {
                for c in choices {
                    let text = request.echo ? c.prompt : ""
                    var first = chunk(ChoiceBody(text: text, index: c.index, logprobs: nil, finish_reason: nil))
                    first.warnings = warnings.isEmpty ? nil : warnings
                    try await send(first)
                }
            }
            var open = choices.count
            var generated = 0
            var offsets = [Int: Int]()
            var last = [Int: ContinuousClock.Instant]()
            for await (index, event) in merged {
                guard let event else {
                    open -= 1
                    if open == 0 { break }
                    continue
                }
                switch event {
                case .piece(let p):
                    let now = ContinuousClock.now
                    if let before = last[index] {
                        metrics.perCharacter.record(before.duration(to: now))
                    } else if last.isEmpty {
                        metrics.firstCharacter.record(arrived.duration(to: now))
                    }
                    last[index] = now
                    var lp: LogprobsBody? = nil
                    if request.options.logprobs != nil {
                        lp = LogprobsBody()
                        lp!.append(p, offset: offsets[index, default: 0])
                    }
                    offsets[index, default: 0] += p.text.count
                    generated += 1
                    metrics.generated.increment()
                    try await send(chunk(ChoiceBody(text: p.text, index: index, logprobs: lp, finish_reason: nil)))
                case .finished(let reason):
                    try await send(chunk(ChoiceBody(text: "", index: index, logprobs: nil, finish_reason: reason.rawValue)))
                }
            }
            if request.includeUsage {
                try await send(
                    CompletionBody(
                        id: id, created: created, model: model, choices: [],
                        usage: UsageBody(
                            prompt_tokens: promptUnits, completion_tokens: generated,
                            total_tokens: promptUnits + generated), warnings: nil))
            }
            try await writer.write(ByteBuffer(string: "data: [DONE]\n\n"))
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: headers, body: body)
    }

    /// `POST /v1/score` (charnn's): `{"model", "text"}` → the surprisal of each character.
    func score(_ request: Request, _ context: some RequestContext) async throws -> Response {
        let f = try await fields(request)
        let model = try self.model(try f.string("model"))
        guard let text = try f.string("text") else { throw f.bad("text", "is required") }
        guard text.count <= settings.limits.promptCharacters else {
            throw f.bad("text", "is \(text.count) characters long; the limit is \(settings.limits.promptCharacters)")
        }
        let result = try await analysis { try model.score(text) }
        let body = ScoreBody(
            model: model.name, units: result.units.map { ScoreBody.Unit(text: $0.text, surprisal: $0.surprisal) },
            mean_surprisal: result.meanSurprisal, bits_per_character: result.bitsPerUnit, count: result.units.count,
            warnings: result.unknown.isEmpty ? nil : result.unknown.map { "\($0) is not in the model's vocabulary; skipped" })
        return try Self.json(body)
    }

    /// Runs a score or a trace away from the event loops, at most `limits.analyses` at a time
    /// (each is seconds of CPU for a long text): beyond them, 503.
    func analysis<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        guard analyses.enter(limit: settings.limits.analyses) else {
            throw APIError.unavailable(
                "\(settings.limits.analyses) scores or traces are already running; retry later", code: "over_capacity")
        }
        defer { analyses.leave() }
        return try await Self.offThread(work)
    }

    /// Runs blocking model work away from the event loops.
    static func offThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try work() }) }
        }
    }
}

/// The answer of `/v1/score`.
struct ScoreBody: Encodable {
    struct Unit: Encodable {
        var text: String
        var surprisal: Double?

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(text, forKey: .text)
            try c.encode(surprisal, forKey: .surprisal)  // null for the first character
        }
        enum CodingKeys: String, CodingKey { case text, surprisal }
    }
    var object = "text_score"
    var model: String
    var units: [Unit]
    var mean_surprisal: Double?
    var bits_per_character: Double?
    var count: Int
    var warnings: [String]?
}
