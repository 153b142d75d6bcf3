import Foundation
import NeuralCore

// MARK: - Settings

/// How a `Sampler` turns logits into a token: temperature, then top-k, then
/// top-p (nucleus), then one categorical draw.
///
/// The initializer validates every value; it is the place where user input
/// (`--temperature`, `--top-k`, `--top-p`, REPL commands) becomes settings.
/// The properties stay writable for convenience; a value set directly skips
/// validation and is then read leniently: a temperature that is not > 0 means
/// greedy, a top-k ≤ 0 means off, a top-p ≥ 1 or NaN means off and a top-p ≤ 0
/// keeps the single most likely token.
public struct SamplingSettings: Sendable, Equatable {
    /// The softmax temperature T: probabilities are proportional to exp(logit / T).
    ///
    /// - `0`: greedy decoding, the token with the largest logit (lowest id on ties).
    /// - below 1: more conservative (sharper distribution); above 1: more random (flatter).
    /// - `1` (the default): the model's own distribution, as char-rnn, torch-rnn
    ///   and PyTorch's word_language_model sample by default.
    public var temperature: Float

    /// Keeps only the K most likely tokens before drawing (`nil` or 0 = off).
    ///
    /// Exactly K tokens are kept, ranked by probability (equivalently by logit)
    /// with ties broken by the lower id; tokens with probability 0 (−∞ or NaN
    /// logits) are never kept, so fewer than K may remain.
    public var topK: Int?

    /// Nucleus sampling: keeps the smallest set of most likely tokens whose
    /// probability sums to at least P (`nil` or 1 = off).
    ///
    /// Applied after top-k, to the distribution renormalized over the top-k
    /// survivors. Tokens enter the nucleus in the top-k ranking order
    /// (probability descending, lower id first on ties); the most likely token
    /// is always kept, so a tiny P is greedy decoding.
    public var topP: Float?

    /// Validated settings.
    ///
    /// - Parameters:
    ///   - temperature: finite and ≥ 0; 0 = greedy. Default 1.
    ///   - topK: ≥ 0; `nil` or 0 = off.
    ///   - topP: in (0, 1]; `nil` or 1 = off.
    /// - Throws: `SamplingError` naming the offending value.
    public init(temperature: Float = 1, topK: Int? = nil, topP: Float? = nil) throws {
        guard temperature.isFinite, temperature >= 0 else {
            throw SamplingError.invalidTemperature(temperature)
        }
        if let topK, topK < 0 { throw SamplingError.invalidTopK(topK) }
        if let topP, !(topP > 0 && topP <= 1) { throw SamplingError.invalidTopP(topP) }
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
    }

    /// True when a draw is the argmax (temperature 0, or any value not > 0).
    var isGreedy: Bool { !(temperature > 0) }
    /// Top-k as the kernels read it: 0 = off.
    var effectiveTopK: Int { max(topK ?? 0, 0) }
    /// Top-p as the kernels read it: ≥ 1 = off.
    var effectiveTopP: Double { topP.map { $0.isNaN ? 1 : Double($0) } ?? 1 }
}

// MARK: - Errors

/// An invalid sampling setting, with a message fit for the user.
public enum SamplingError: Error, LocalizedError, Equatable, CustomStringConvertible {
    /// The temperature is negative, infinite or NaN.
    case invalidTemperature(Float)
    /// Top-k is negative.
    case invalidTopK(Int)
    /// Top-p is outside (0, 1] or NaN.
    case invalidTopP(Float)

    public var errorDescription: String? { description }

    public var description: String {
        switch self {
        case .invalidTemperature(let t):
            return "temperature must be a finite number ≥ 0 (0 = greedy), got \(Self.format(t))"
        case .invalidTopK(let k):
            return "top-k must be ≥ 0 (0 = off), got \(k)"
        case .invalidTopP(let p):
            return "top-p must be in (0, 1] (1 = off), got \(Self.format(p))"
        }
    }

    /// Equal cases with equal payloads; NaN payloads compare equal to each other.
    public static func == (a: SamplingError, b: SamplingError) -> Bool {
        func same(_ x: Float, _ y: Float) -> Bool { x == y || (x.isNaN && y.isNaN) }
        switch (a, b) {
        case let (.invalidTemperature(x), .invalidTemperature(y)): return same(x, y)
        case let (.invalidTopK(x), .invalidTopK(y)): return x == y
        case let (.invalidTopP(x), .invalidTopP(y)): return same(x, y)
        default: return false
        }
    }

    /// `-1` rather than `-1.0`; `nan`, `inf` and fractions as Swift prints them.
    private static func format(_ x: Float) -> String {
        if x.isFinite, x == x.rounded(), abs(x) < 1e9 { return String(Int64(x)) }
        return "\(x)"
    }
}

// MARK: - Sampler

/// Turns a vector of logits into a token id, reproducibly.
///
/// Pipeline, in this order (the same for `draw` and `distribution`):
/// 1. **Temperature**: p_i ∝ exp((logit_i − max) / T), computed in `Double`.
///    NaN logits count as −∞ (probability 0); if some logits are +∞ they share
///    all the probability equally. Tokens whose probability underflows to 0
///    are never drawn. T = 0 is greedy: the largest logit, lowest id on ties.
/// 2. **Top-k** (`settings.topK`): the K best tokens by (probability desc, id asc).
/// 3. **Top-p** (`settings.topP`): the smallest prefix of that ranking, over the
///    distribution renormalized after top-k, whose mass is ≥ P (at least one token).
/// 4. **Categorical draw** by inverse CDF: one `rng.nextUnitDouble()` u, then the
///    first id, in ascending id order, whose cumulative kept probability exceeds u.
///
/// Randomness: a greedy draw (T = 0) consumes nothing from `rng`; every other
/// draw consumes exactly one `nextUnitDouble()`, even when a single token
/// survives the filters, so the stream position equals the number of
/// non-greedy draws. The same seed, settings and logits give the same ids.
///
/// If no logit is above −∞ (all −∞ or NaN), every mode returns id 0 (the
/// argmax rule) instead of trapping. An empty logit vector is a programmer
/// error (precondition).
///
/// Cost per draw: three O(V) passes, plus, with top-k / top-p, an O(V) heap
/// build and O(log V) per kept token; no sorting of the whole vocabulary and
/// no heap allocation after the first draw for a given V.
public struct Sampler: Sendable {
    /// The filters and temperature applied at each draw (may change between draws).
    public var settings: SamplingSettings
    /// The sampler's own random stream; save `rng.state` to resume it exactly.
    public var rng: SplitMix64
    /// Reused scratch; replaced before writing when shared with a copy.
    private var scratch = SamplerScratch()

    /// A sampler whose stream is `SplitMix64(seed: seed)`.
    ///
    /// - Parameters:
    ///   - settings: validated settings.
    ///   - seed: the seed of this sampler's own stream (e.g. a `--seed`, or a
    ///     `SplitMix64.derived` value to keep it apart from training streams).
    public init(settings: SamplingSettings, seed: UInt64) {
        self.settings = settings
        self.rng = SplitMix64(seed: seed)
    }

    /// Draws a token id from unnormalized logits.
    ///
    /// Allocation-free after the first call for a given V (and for any smaller V).
    ///
    /// - Parameter logits: [V] unnormalized log-probabilities, V ≥ 1.
    /// - Returns: an id in `0..<V`.
    public mutating func draw(logits: UnsafeBufferPointer<Float>) -> Int {
        precondition(!logits.isEmpty, "Sampler.draw: the logit vector is empty")
        if settings.isGreedy { return LogitKernels.argmax(logits) }
        let u = rng.nextUnitDouble()
        if !isKnownUniquelyReferenced(&scratch) { scratch = SamplerScratch() }
        scratch.reserve(logits.count)
        let total = LogitKernels.finalWeights(
            logits: logits, temperature: settings.temperature,
            topK: settings.effectiveTopK, topP: settings.effectiveTopP,
            weights: scratch.weights, order: scratch.order)
        return LogitKernels.inverseCDF(weights: scratch.weights, count: logits.count, total: total, u: u)
    }

    /// Draws a token id from unnormalized logits ([V], V ≥ 1); see `draw(logits:)`.
    public mutating func draw(logits: [Float]) -> Int {
        logits.withUnsafeBufferPointer { draw(logits: $0) }
    }

    /// The distribution `draw` samples from under the current settings, after
    /// temperature, top-k and top-p: [V] probabilities in `Double` summing to 1,
    /// zero for dropped tokens; one-hot at the argmax when T = 0.
    ///
    /// - Parameter logits: [V] unnormalized log-probabilities, V ≥ 1.
    public func distribution(logits: [Float]) -> [Double] {
        precondition(!logits.isEmpty, "Sampler.distribution: the logit vector is empty")
        return logits.withUnsafeBufferPointer { buffer in
            let n = buffer.count
            if settings.isGreedy {
                var result = [Double](repeating: 0, count: n)
                result[LogitKernels.argmax(buffer)] = 1
                return result
            }
            let order = UnsafeMutablePointer<Int>.allocate(capacity: n)
            defer { order.deallocate() }
            return [Double](unsafeUninitializedCapacity: n) { out, initialized in
                let total = LogitKernels.finalWeights(
                    logits: buffer, temperature: settings.temperature,
                    topK: settings.effectiveTopK, topP: settings.effectiveTopP,
                    weights: out.baseAddress!, order: order)
                for i in 0..<n { out[i] /= total }
                initialized = n
            }
        }
    }

    /// The `count` most likely next tokens at a temperature, best first, for
    /// displays such as the REPL's `/probs`. No top-k / top-p is applied.
    ///
    /// Tokens are ranked by logit (NaN as −∞), ties by the lower id; the
    /// probabilities are the temperature softmax over the whole vocabulary
    /// (one-hot at the first entry when T = 0, which is what a greedy draw does).
    ///
    /// - Parameters:
    ///   - logits: [V] unnormalized log-probabilities.
    ///   - temperature: finite and ≥ 0 (precondition; validate user input with `SamplingSettings`).
    ///   - count: how many tokens to list; clamped to `0...V`.
    /// - Returns: `min(max(count, 0), V)` pairs in rank order.
    public static func topCandidates(
        logits: [Float], temperature: Float, count: Int
    ) -> [(id: Int, probability: Double)] {
        precondition(
            temperature.isFinite && temperature >= 0,
            "Sampler.topCandidates: temperature must be finite and ≥ 0, got \(temperature)")
        let n = logits.count
        let listed = min(max(count, 0), n)
        guard listed > 0 else { return [] }
        let keys = logits.map { $0.isNaN ? -Float.infinity : $0 }
        var probabilities = [Double](repeating: 0, count: n)
        var ids = Array(0..<n)
        keys.withUnsafeBufferPointer { keys in
            ids.withUnsafeMutableBufferPointer { ids in
                if temperature == 0 {
                    probabilities[LogitKernels.argmax(keys)] = 1
                } else {
                    probabilities.withUnsafeMutableBufferPointer { p in
                        let total = LogitKernels.finalWeights(
                            logits: keys, temperature: temperature, topK: 0, topP: 1,
                            weights: p.baseAddress!, order: ids.baseAddress!)
                        for i in 0..<n { p[i] /= total }
                    }
                    for i in 0..<n { ids[i] = i }
                }
                let heap = RankHeap(keys: keys.baseAddress!, ids: ids.baseAddress!)
                heap.build(count: n)
                var end = n
                for _ in 0..<listed { end = heap.pop(end: end) }
            }
        }
        // The popped ids sit at the end of `ids`, best last.
        return (1...listed).map { j in
            let id = ids[n - j]
            return (id: id, probability: probabilities[id])
        }
    }
}
