import CharNNKit
import Foundation

/// What the server accepts from one request; every bound is a setting of `charnn serve`.
public struct RequestLimits: Sendable, Equatable {
    /// Bytes of a request body.
    public var bodyBytes: Int
    /// `max_tokens` at most (characters per choice).
    public var maxTokens: Int
    /// `max_tokens` when the request does not say.
    public var defaultMaxTokens: Int
    /// Characters of one prompt (and of a text to score or trace).
    public var promptCharacters: Int
    /// Choices of one request (prompts × n).
    public var choices: Int
    /// Scores and traces running at once (beyond them, 503).
    public var analyses: Int = 4

    public init(
        bodyBytes: Int = 1 << 20, maxTokens: Int = 4096, defaultMaxTokens: Int = 256, promptCharacters: Int = 65_536,
        choices: Int = 16
    ) {
        self.bodyBytes = bodyBytes
        self.maxTokens = maxTokens
        self.defaultMaxTokens = defaultMaxTokens
        self.promptCharacters = promptCharacters
        self.choices = choices
    }
}

/// `POST /v1/completions`, read and checked: OpenAI's fields, plus `top_k`.
struct CompletionRequest {
    var model: String?
    var prompts: [String]
    var n: Int
    var stream: Bool
    var includeUsage: Bool
    var echo: Bool
    var options: GenerationOptions

    /// Fields OpenAI's clients may send that a character model has no use for: accepted at
    /// their neutral value, refused otherwise (so no setting is silently dropped).
    static let neutral: [String: JSONBody] = [
        "frequency_penalty": .integer(0), "presence_penalty": .integer(0), "best_of": .integer(1),
    ]

    init(_ f: Fields, limits: RequestLimits) throws(APIError) {
        model = try f.string("model")
        if f.has("suffix") { throw f.bad("suffix", "is not supported by a left-to-right character model") }
        for (name, value) in Self.neutral where f.has(name) {
            let given = f.members[name]!
            let same: Bool
            switch (given, value) {
            case (.integer(let a), .integer(let b)): same = a == b
            case (.number(let a), .integer(let b)): same = a == Double(b)
            default: same = false
            }
            if !same { throw f.bad(name, "is not supported (only its neutral value is accepted)") }
        }
        prompts = try f.strings("prompt", maxCount: limits.choices) ?? [""]
        if prompts.isEmpty { throw f.bad("prompt", "must hold at least one string") }
        for p in prompts where p.count > limits.promptCharacters {
            throw f.bad("prompt", "is \(p.count) characters long; the limit is \(limits.promptCharacters)")
        }
        n = Int(try f.integer("n", in: 1...Int64(limits.choices)) ?? 1)
        if prompts.count * n > limits.choices {
            throw f.bad("n", "× \(prompts.count) prompts asks for \(prompts.count * n) completions; the limit is \(limits.choices)")
        }
        stream = try f.bool("stream") ?? false
        includeUsage = false
        if case .object(let o)? = f.members["stream_options"] {
            includeUsage = try Fields(o).bool("include_usage") ?? false
        } else if f.has("stream_options") {
            throw f.bad("stream_options", "must be an object")
        }
        echo = try f.bool("echo") ?? false
        var o = GenerationOptions()
        o.maxTokens = Int(try f.integer("max_tokens", in: 0...Int64(limits.maxTokens)) ?? Int64(limits.defaultMaxTokens))
        o.temperature = Float(try f.number("temperature", in: 0...1000) ?? 1)
        if let k = try f.integer("top_k", in: 0...Int64(Int32.max)) { o.topK = k == 0 ? nil : Int(k) }
        if let p = try f.number("top_p", in: 0...1) { o.topP = Float(p) }
        if let s = try f.integer("seed", in: Int64.min...Int64.max) { o.seed = UInt64(bitPattern: s) }
        o.stop = try f.strings("stop", maxCount: GenerationOptions.maximumStops) ?? []
        if let l = try f.integer("logprobs", in: 0...Int64(GenerationOptions.maximumLogprobs)) { o.logprobs = Int(l) }
        options = o
    }
}

/// OpenAI's legacy `logprobs` object of a completion choice.
struct LogprobsBody: Encodable {
    var tokens: [String] = []
    var token_logprobs: [Double] = []
    var top_logprobs: [[String: Double]] = []
    var text_offset: [Int] = []

    mutating func append(_ p: GeneratedPiece, offset: Int) {
        tokens.append(p.text)
        token_logprobs.append(Self.finite(p.logprob ?? 0))
        var top: [String: Double] = [:]
        for c in p.top { top[c.text] = Self.finite(c.logprob) }
        top_logprobs.append(top)
        text_offset.append(offset)
    }

    /// JSON has no infinity: a unit the model gives probability 0 gets a very negative number.
    static func finite(_ x: Double) -> Double { x.isFinite ? x : -1e9 }
}

struct ChoiceBody: Encodable {
    var text: String
    var index: Int
    var logprobs: LogprobsBody?
    var finish_reason: String?

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(text, forKey: .text)
        try c.encode(index, forKey: .index)
        try c.encode(logprobs, forKey: .logprobs)  // null, not absent
        try c.encode(finish_reason, forKey: .finish_reason)
    }
    enum CodingKeys: String, CodingKey { case text, index, logprobs, finish_reason }
}

struct UsageBody: Encodable {
    var prompt_tokens: Int
    var completion_tokens: Int
    var total_tokens: Int
}

struct CompletionBody: Encodable {
    var id: String
    var object = "text_completion"
    var created: Int
    var model: String
    var choices: [ChoiceBody]
    var usage: UsageBody?
    /// charnn's extension: what was skipped from the prompt.
    var warnings: [String]?
}
