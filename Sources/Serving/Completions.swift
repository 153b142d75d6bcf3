import CharNNKit
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// One choice of a completion: a prompt, the generation after it, and its place in the answer
/// (its index in the request's list of choices).
struct Choice: Sendable {
    var index: Int
    var prompt: String
    var generation: CharModel.Started
}

extension ModelServer {
    /// `POST /v1/completions`.
    func completions(_ request: Request, _ context: some RequestContext) async throws -> Response {
        let arrived = ContinuousClock.now
        let req = try CompletionRequest(try await fields(request), limits: settings.limits)
        let model = try self.model(req.model)
        let buffer = EventBuffer(metrics: metrics, arrived: arrived)
        // Every choice starts now or not at all: a refusal of the k-th ends the ones before it.
        var choices: [Choice] = []
        var warnings: [String] = []
        do {
            for (p, prompt) in req.prompts.enumerated() {
                for j in 0..<req.n {
                    var o = req.options
                    o.stream = j
                    let index = p * req.n + j
                    let g = try model.start(prompt: prompt, options: o, deliver: buffer.sink(index))
                    if j == 0 {
                        for u in g.unknown {
                            warnings.append("prompt \(p): \(u) is not in the model's vocabulary; skipped")
                        }
                        metrics.promptUnits.increment(by: Int64(g.promptUnits))
                    }
                    choices.append(Choice(index: index, prompt: prompt, generation: g))
                }
            }
        } catch let error as GenerationError {
            for c in choices { c.generation.cancel() }
            if case .overCapacity = error { metrics.rejected.increment() }
            throw APIError.from(error)
        }
        let id = "cmpl-" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(24)
        let created = Int(Date().timeIntervalSince1970)
        let promptUnits = choices.filter { $0.index % req.n == 0 }.map(\.generation.promptUnits).reduce(0, +)
        let answer = Answer(
            id: id, created: created, model: model.name, request: req, choices: choices, promptUnits: promptUnits,
            warnings: warnings)
        if req.stream { return stream(answer, buffer) }
        let cancelAll = { @Sendable [choices] in for c in choices { c.generation.cancel() } }
        var bodies = choices.map {
            ChoiceBody(
                text: req.echo ? $0.prompt : "", index: $0.index, logprobs: req.options.logprobs == nil ? nil : LogprobsBody(),
                finish_reason: nil)
        }
        var offsets = bodies.map { $0.text.count }
        var open = choices.count
        var generated = 0
        // A client that goes away cancels every choice (each then delivers its `.finished`).
        await withTaskCancellationHandler {
            while open > 0 {
                for (i, event) in await buffer.take(piecesFrom: nil) {
                    switch event {
                    case .piece(let p):
                        bodies[i].logprobs?.append(p, offset: offsets[i])
                        offsets[i] += p.text.count
                        bodies[i].text += p.text
                        generated += 1
                    case .finished(let reason):
                        bodies[i].finish_reason = reason.rawValue
                        open -= 1
                    }
                }
            }
        } onCancel: {
            cancelAll()
        }
        metrics.generated.increment(by: Int64(generated))
        let body = CompletionBody(
            id: id, created: created, model: model.name, choices: bodies,
            usage: UsageBody(prompt_tokens: promptUnits, completion_tokens: generated, total_tokens: promptUnits + generated),
            warnings: warnings.isEmpty ? nil : warnings)
        return try Self.json(body)
    }

    /// What every chunk of a streamed answer shares.
    struct Answer: Sendable {
        var id: String
        var created: Int
        var model: String
        var request: CompletionRequest
        var choices: [Choice]
        var promptUnits: Int
        var warnings: [String]

        func chunk(_ choices: [ChoiceBody], usage: UsageBody? = nil) -> CompletionBody {
            CompletionBody(id: id, created: created, model: model, choices: choices, usage: usage, warnings: nil)
        }
    }

    /// The answer as server-sent events: `data: {chunk}` events, each with the characters one
    /// choice drew since its last (at most one per choice every `streamInterval`; the first at
    /// once), each choice's last chunk with its `finish_reason`, then `data: [DONE]`. If the
    /// client goes away, a write fails, the body ends, and every choice is cancelled.
    func stream(_ answer: Answer, _ buffer: EventBuffer) -> Response {
        let metrics = self.metrics
        let interval = settings.streamInterval
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-cache"
        let body = ResponseBody { writer in
            defer { for c in answer.choices { c.generation.cancel() } }
            let request = answer.request
            var out = ByteBuffer()
            func add(_ chunk: CompletionBody) throws {
                out.writeString("data: ")
                out.writeBytes(try ModelServer.encoder.encode(chunk))
                out.writeString("\n\n")
            }
            if !answer.warnings.isEmpty || request.echo {
                for c in answer.choices {
                    var first = answer.chunk([
                        ChoiceBody(text: request.echo ? c.prompt : "", index: c.index, logprobs: nil, finish_reason: nil)
                    ])
                    first.warnings = answer.warnings.isEmpty ? nil : answer.warnings
                    try add(first)
                }
            }
            var open = answer.choices.count
            var generated = 0
            var offsets = [Int](repeating: 0, count: answer.choices.count)
            // Characters go out at once until the first have; then at most one event per tick.
            var next = ContinuousClock.now
            var pacing = false
            while open > 0 {
                if !out.readableBytesView.isEmpty {
                    try await writer.write(out)
                    out.clear()
                    if pacing { next = Self.tick(after: ContinuousClock.now, every: interval) }
                }
                try Task.checkCancellation()
                // Each choice's characters since the last event, in the order they were drawn.
                var pieces: [Int: ChoiceBody] = [:]
                var order: [Int] = []
                var finished: [(Int, FinishReason)] = []
                var drawn = 0
                for (i, event) in await buffer.take(piecesFrom: next) {
                    switch event {
                    case .piece(let p):
                        if interval == .zero, let held = pieces.removeValue(forKey: i) {
                            // An event per character: what this choice holds goes out first.
                            try add(answer.chunk([held]))
                            order.removeAll { $0 == i }
                        }
                        if pieces[i] == nil {
                            order.append(i)
                            pieces[i] = ChoiceBody(
                                text: "", index: i, logprobs: request.options.logprobs == nil ? nil : LogprobsBody(),
                                finish_reason: nil)
                        }
                        pieces[i]!.logprobs?.append(p, offset: offsets[i])
                        pieces[i]!.text += p.text
                        offsets[i] += p.text.count
                        drawn += 1
                    case .finished(let reason):
                        finished.append((i, reason))
                    }
                }
                generated += drawn
                metrics.generated.increment(by: Int64(drawn))
                for i in order { try add(answer.chunk([pieces[i]!])) }
                pacing = pacing || drawn > 0
                for (i, reason) in finished {
                    try add(answer.chunk([ChoiceBody(text: "", index: i, logprobs: nil, finish_reason: reason.rawValue)]))
                    open -= 1
                }
            }
            if request.includeUsage {
                let u = UsageBody(
                    prompt_tokens: answer.promptUnits, completion_tokens: generated,
                    total_tokens: answer.promptUnits + generated)
                try add(answer.chunk([], usage: u))
            }
            out.writeString("data: [DONE]\n\n")
            try await writer.write(out)
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: headers, body: body)
    }

    /// The first tick after `now` of a server-wide grid of `interval`s. Every streamed choice's
    /// next event falls on a tick, so the responses due wake together (the scheduler resumes them
    /// in one pass, at the first step after the tick) rather than one by one between the steps:
    /// fewer wake-ups to preempt the spinning team of the step.
    static func tick(after now: ContinuousClock.Instant, every interval: Duration) -> ContinuousClock.Instant {
        guard interval > .zero else { return now }
        let ticks = (gridOrigin.duration(to: now) / interval).rounded(.down) + 1
        return gridOrigin + interval * ticks
    }

    static let gridOrigin = ContinuousClock.now

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
