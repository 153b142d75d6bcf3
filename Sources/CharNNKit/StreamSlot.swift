import Atomics
import Foundation
import NeuralCore
import Sampling
import Tokenization

/// One text being generated: its inputs (the prompt's units), its own seeded sampler, and what it
/// has produced but not yet handed out (text that may turn out to start a stop string).
///
/// The scheduler's thread alone calls `input`, `advance` and `finish`; `cancelled` is set from
/// anywhere. Events go to `deliver`, on the scheduler's thread, in order, ending with one
/// `.finished`.
final class StreamSlot: @unchecked Sendable {
    /// Units read before the first draw: the prompt, or a newline when it is empty.
    let inputs: [Int32]
    let options: GenerationOptions
    let vocabulary: Vocabulary
    var sampler: Sampler
    let deliver: GenerationSink
    /// The non-empty stop strings, and the longest one's length.
    let stops: [String]
    let longestStop: Int
    let cancelled = ManagedAtomic<Bool>(false)
    /// When the slot was handed to the scheduler (for the queue's latency).
    let submitted = ContinuousClock.now

    private(set) var fed = 0
    private(set) var generated = 0
    private(set) var isFinished = false
    var pending: Int32 = 0
    /// Drawn but not yet sent: the end of the text that may begin a stop string.
    var held: [GeneratedPiece] = []
    /// Bytes of an incomplete UTF-8 character (byte vocabularies).
    var bytes: [UInt8] = []
    var bytesLogprob = 0.0
    var bytesTop: [Candidate] = []

    init(
        inputs: [Int32], options: GenerationOptions, vocabulary: Vocabulary, settings: SamplingSettings, seed: UInt64,
        deliver: @escaping GenerationSink
    ) {
        precondition(!inputs.isEmpty, "a stream starts from at least one unit")
        self.inputs = inputs
        self.options = options
        self.vocabulary = vocabulary
        sampler = Sampler(
            settings: settings, seed: SplitMix64.derived(seed: seed, stream: UInt64(options.stream)).state)
        self.deliver = deliver
        stops = options.stop.filter { !$0.isEmpty }
        longestStop = stops.map(\.count).max() ?? 0
    }

    /// The unit this stream reads at the next step.
    var input: Int32 { fed < inputs.count ? inputs[fed] : pending }

    /// Takes the logits the step computed after `input` ([V]): the next prompt unit, or a draw.
    /// Returns whether the stream is done.
    func advance(logits: UnsafeBufferPointer<Float>) -> Bool {
        if fed < inputs.count {
            fed += 1
            if fed < inputs.count { return false }
        }
        let id = sampler.draw(logits: logits)
        pending = Int32(id)
        generated += 1
        var logprob: Double? = nil
        var top: [Candidate] = []
        if let k = options.logprobs {
            let all = Self.logSoftmax(logits)
            logprob = all[id]
            if k > 0 {
                top = Self.best(all, count: k).map { Candidate(text: vocabulary.token(at: $0), logprob: all[$0]) }
            }
        }
        if vocabulary.unit == .byte {
            // Bytes go out once they form a complete UTF-8 character (as `Generator` does).
            if bytes.isEmpty { bytesTop = top }
            bytes.append(vocabulary.decodeBytes([id]).first ?? 0)
            bytesLogprob += logprob ?? 0
            let decoded = String(decoding: bytes, as: UTF8.self)
            if Array(decoded.utf8) == bytes || bytes.count >= 4 {
                accept(GeneratedPiece(text: decoded, logprob: logprob.map { _ in bytesLogprob }, top: bytesTop))
                bytes.removeAll()
                bytesLogprob = 0
            }
        } else {
            accept(GeneratedPiece(text: vocabulary.token(at: id), logprob: logprob, top: top))
        }
        if isFinished { return true }
        if generated >= options.maxTokens {
            finish(.length)
            return true
        }
        return false
    }

    /// Holds `piece` back while the held text may still begin a stop string; sends what cannot.
    func accept(_ piece: GeneratedPiece) {
        guard !stops.isEmpty else {
            if !piece.text.isEmpty { deliver(.piece(piece)) }
            return
        }
        held.append(piece)
        let text = held.map(\.text).joined()
        var cut: String.Index? = nil
        for s in stops {
            if let r = text.range(of: s), cut == nil || r.lowerBound < cut! { cut = r.lowerBound }
        }
        if let cut {
            // Everything before the stop string goes out; the rest is dropped.
            let keep = text.distance(from: text.startIndex, to: cut)
            var out: [GeneratedPiece] = []
            var used = 0
            for p in held where used < keep {
                var q = p
                if used + p.text.count > keep { q.text = String(p.text.prefix(keep - used)) }
                used += p.text.count
                out.append(q)
            }
            send(out)
            held.removeAll()
            finish(.stop)
            return
        }
        // The longest end of the held text that is the start of a stop string stays held.
        let chars = Array(text)
        var keep = 0
        for k in stride(from: min(chars.count, longestStop - 1), through: 1, by: -1) {
            let tail = String(chars[(chars.count - k)...])
            if stops.contains(where: { $0.hasPrefix(tail) }) {
                keep = k
                break
            }
        }
        var count = chars.count
        var out: [GeneratedPiece] = []
        while let first = held.first, count - first.text.count >= keep {
            count -= first.text.count
            out.append(held.removeFirst())
        }
        send(out)
    }

    func send(_ pieces: [GeneratedPiece]) {
        for p in pieces where !p.text.isEmpty { deliver(.piece(p)) }
    }

    /// Ends the stream: held text goes out unless a stop string or a cancellation ended it.
    func finish(_ reason: FinishReason) {
        guard !isFinished else { return }
        isFinished = true
        if reason == .length {
            if !bytes.isEmpty {
                held.append(GeneratedPiece(text: String(decoding: bytes, as: UTF8.self)))
                bytes.removeAll()
            }
            send(held)
        }
        held.removeAll()
        deliver(.finished(reason))
    }

    /// ln softmax of the logits, in double precision.
    static func logSoftmax(_ logits: UnsafeBufferPointer<Float>) -> [Double] {
        var m = -Double.infinity
        for x in logits where x.isFinite { m = max(m, Double(x)) }
        var sum = 0.0
        for x in logits where x.isFinite { sum += Foundation.exp(Double(x) - m) }
        let lse = m + Foundation.log(sum)
        return logits.map { $0.isFinite ? Double($0) - lse : -.infinity }
    }

    /// The indices of the `count` largest values, largest first (ties: lower index first).
    static func best(_ values: [Double], count: Int) -> [Int] {
        Array(values.indices.sorted { values[$0] > values[$1] || (values[$0] == values[$1] && $0 < $1) }.prefix(count))
    }
}
