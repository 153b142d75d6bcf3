import Foundation
import Models
import NeuralCore

/// Loss of a model over some text, in the units people report.
public struct LossReport: Codable, Equatable, Sendable {
    /// Mean cross-entropy in nats per character.
    public var lossNats: Double
    /// Characters (units) scored.
    public var chars: Int

    public init(lossNats: Double, chars: Int) {
        self.lossNats = lossNats
        self.chars = chars
    }

    /// Bits per character: loss / ln 2.
    public var bpc: Double { bits(fromNats: lossNats) }
    /// Perplexity: e^loss.
    public var perplexity: Double { exp(lossNats) }

    enum CodingKeys: String, CodingKey { case lossNats = "loss_nats", chars, bpc, ppl }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        lossNats = try c.decode(Double.self, forKey: .lossNats)
        chars = try c.decode(Int.self, forKey: .chars)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(lossNats, forKey: .lossNats)
        try c.encode(bpc, forKey: .bpc)
        try c.encode(perplexity, forKey: .ppl)
        try c.encode(chars, forKey: .chars)
    }
}

/// Scores `data` with the model: B streams (state carried from a zero state, no dropout),
/// windows of S steps, the last window shorter. With B = 1 this is the one-stream protocol of
/// `charnn eval`: every one of the N − 1 next-character predictions of the text is scored.
///
/// - Parameter workspace: buffers to reuse when they have this batch and window (the trainer's,
///   free between two steps: a second B × S workspace during validation is a large share of
///   training's peak memory); otherwise a workspace is allocated for the call.
/// - Returns: the mean loss over all scored positions.
public func evaluate<S: TokenSource>(
    model: LanguageModel, data: S, batch: Int, steps: Int, workspace: Workspace? = nil,
    shouldStop: () -> Bool = { false }
) -> LossReport {
    let B = batch
    let L = max(0, (data.count - 1) / B)
    guard L > 0 else { return LossReport(lossNats: .nan, chars: 0) }
    let S = min(steps, L)
    let ws =
        if let workspace, workspace.batch == B, workspace.steps == S { workspace } else {
            Workspace(config: model.config, batch: B, steps: S, training: false)
        }
    let state = ModelState(config: model.config, batch: B)
    var inputs = [Int32](repeating: 0, count: B * S), targets = inputs
    var total = 0.0, count = 0
    var p0 = 0
    while p0 < L {
        if shouldStop() { break }
        let n = min(S, L - p0)
        for b in 0..<B {
            for t in 0..<S {
                if t < n {
                    inputs[t * B + b] = data[b * L + p0 + t]
                    targets[t * B + b] = data[b * L + p0 + t + 1]
                } else {
                    inputs[t * B + b] = 0
                    targets[t * B + b] = -1
                }
            }
        }
        total += model.forward(inputs: inputs, targets: targets, state: state, workspace: ws, dropout: .off)
        count += n * B
        p0 += S
    }
    return LossReport(lossNats: count > 0 ? total / Double(count) : .nan, chars: count)
}

/// Scores `data` as one stream, one step at a time through a `Predictor` — the path that
/// sampling takes — with the weights stored at `precision`. Scores the same N − 1
/// positions as `evaluate(model:data:batch: 1, …)`; with `.float32` it agrees with it to
/// rounding, with `.float16` it measures what half-precision weights cost.
public func evaluateStepwise<S: TokenSource>(
    model: LanguageModel, data: S, precision: WeightPrecision,
    shouldStop: () -> Bool = { false }
) -> LossReport {
    guard data.count >= 2 else { return LossReport(lossNats: .nan, chars: 0) }
    let V = model.config.vocabularySize
    let predictor = Predictor(model: model, batch: 1, precision: precision)
    var token: [Int32] = [0], target: [Int32] = [0]
    var total = 0.0, count = 0
    for i in 0..<(data.count - 1) {
        if i & 1023 == 0 && shouldStop() { break }
        token[0] = data[i]
        target[0] = data[i + 1]
        let logits = predictor.step(tokens: token)
        total += Kernels.softmaxCrossEntropy(logits, rows: 1, v: V, targets: target, scale: 1, gradient: false)
        count += 1
    }
    return LossReport(lossNats: count > 0 ? total / Double(count) : .nan, chars: count)
}

/// What `charnn eval` reports: the one-stream figure under its historical keys (`loss_nats`,
/// `bpc`, `ppl`, `chars`), and beside it, each under its own prefix, the figures of the other
/// protocols that were asked for: `window_*` (nanoGPT's windows) and `dynamic_*` (dynamic
/// evaluation, with its settings). The figures are never mixed: each names its protocol.
public struct EvaluationSummary: Encodable, Sendable {
    public var oneStream: LossReport
    /// Characters per window and the windowed figure (`evaluateWindows`).
    public var window: (size: Int, report: LossReport)?
    /// Dynamic-evaluation settings and figure (`evaluateDynamic`).
    public var dynamic: (settings: DynamicEvaluationSettings, report: LossReport)?
    /// The long-range memory probe of the one-stream pass (`MemoryProbe`), under `memory_probe`.
    public var memoryProbe: MemoryProbeResult?

    public init(
        oneStream: LossReport, window: (size: Int, report: LossReport)? = nil,
        dynamic: (settings: DynamicEvaluationSettings, report: LossReport)? = nil
    ) {
        self.oneStream = oneStream
        self.window = window
        self.dynamic = dynamic
    }

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public func encode(to encoder: Encoder) throws {
        try oneStream.encode(to: encoder)
        var c = encoder.container(keyedBy: Key.self)
        func put(_ r: LossReport, _ prefix: String) throws {
            try c.encode(r.lossNats, forKey: Key(stringValue: prefix + "loss_nats"))
            try c.encode(r.bpc, forKey: Key(stringValue: prefix + "bpc"))
            try c.encode(r.perplexity, forKey: Key(stringValue: prefix + "ppl"))
            try c.encode(r.chars, forKey: Key(stringValue: prefix + "chars"))
        }
        if let window {
            try c.encode(window.size, forKey: Key(stringValue: "window"))
            try put(window.report, "window_")
        }
        if let dynamic {
            try dynamic.settings.encode(to: encoder)
            try put(dynamic.report, "dynamic_")
        }
        if let memoryProbe { try c.encode(memoryProbe, forKey: Key(stringValue: "memory_probe")) }
    }
}
