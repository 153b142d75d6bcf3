import Foundation
import Models
import NeuralCore
import Tokenization

/// The symbols the long-range memory probe watches, as token ids of one vocabulary.
public struct ProbeSymbols: Sendable, Equatable {
    /// Ids after which the "distance since the last anchor" starts again at 1.
    public var anchors: Set<Int32>
    /// Closing id → its opening id (brackets; a quote is its own closer and is not a pair).
    public var pairs: [Int32: Int32]

    public init(anchors: Set<Int32>, pairs: [Int32: Int32]) {
        self.anchors = anchors
        self.pairs = pairs
    }

    /// Opening brackets, the double quote and the newline start a distance.
    public static let anchorCharacters = ["(", "[", "{", "<", "\"", "\n"]
    /// The bracket pairs whose closers are scored against their opener.
    public static let pairCharacters = [("(", ")"), ("[", "]"), ("{", "}"), ("<", ">")]

    /// The ids of ``anchorCharacters`` and ``pairCharacters`` that `vocabulary` holds.
    public init(vocabulary: Vocabulary) {
        func id(_ s: String) -> Int32? { vocabulary.id(of: s).map { Int32($0) } }
        anchors = Set(Self.anchorCharacters.compactMap(id))
        var pairs: [Int32: Int32] = [:]
        for (open, close) in Self.pairCharacters {
            if let o = id(open), let c = id(close) { pairs[c] = o }
        }
        self.pairs = pairs
    }

    /// The closing ids, ascending.
    public var closers: [Int32] { pairs.keys.sorted() }
}

/// Positions whose distance falls in `from...to`, and their mean loss (nats).
public struct DistanceBucket: Codable, Equatable, Sendable {
    public var from: Int
    public var to: Int
    public var count: Int
    public var meanLoss: Double

    public init(from: Int, to: Int, count: Int, meanLoss: Double) {
        self.from = from
        self.to = to
        self.count = count
        self.meanLoss = meanLoss
    }

    enum CodingKeys: String, CodingKey { case from, to, count, meanLoss = "mean_loss" }
}

/// Loss as a function of how far back the deciding context lies. Distances are bucketed by
/// powers of two (1, 2–3, 4–7, 8–15, …); empty buckets are left out.
public struct MemoryProbeResult: Codable, Equatable, Sendable {
    /// Every scored position, by its distance from the last anchor (opening bracket, quote or
    /// newline) at or before the position that predicts it; positions before the first anchor
    /// are not counted.
    public var sinceAnchor: [DistanceBucket]
    /// Closing brackets whose opener is in the text, by the distance from that opener: the loss
    /// of the closer, which also pays for *when* it comes.
    public var closerLoss: [DistanceBucket]
    /// The same closers, scored by the choice among the closing symbols only:
    /// −log(p(right closer) / Σ p(closers)). Timing is left out, so this is what memory decides:
    /// log(number of closers) when the opener is forgotten, 0 when it is remembered.
    public var closerChoice: [DistanceBucket]

    public init(sinceAnchor: [DistanceBucket], closerLoss: [DistanceBucket], closerChoice: [DistanceBucket]) {
        self.sinceAnchor = sinceAnchor
        self.closerLoss = closerLoss
        self.closerChoice = closerChoice
    }

    enum CodingKeys: String, CodingKey {
        case sinceAnchor = "since_anchor", closerLoss = "closer_loss", closerChoice = "closer_choice"
    }
}

public enum MemoryProbe {
    /// Deeper nesting than this forgets its oldest openers (a text of unclosed brackets stays small).
    static let maximumDepth = 4096

    /// The bucket of a distance ≥ 1: ⌊log2 d⌋ (1 → 0, 2–3 → 1, 4–7 → 2, …).
    public static func bucket(of distance: Int) -> Int {
        precondition(distance >= 1, "distances start at 1")
        return Int.bitWidth - 1 - distance.leadingZeroBitCount
    }

    /// The distances of bucket `k`: 2^k … 2^(k+1) − 1.
    public static func bounds(ofBucket k: Int) -> (from: Int, to: Int) { (1 << k, (1 << (k + 1)) - 1) }

    /// The probe from per-position scores: `losses[i]` is −log p(tokens[i+1] | tokens[0...i]);
    /// `choices[i]`, where given, the closer-choice loss of that position (NaN where the target
    /// is no closer).
    public static func analyze<S: TokenSource>(
        tokens: S, losses: [Double], choices: [Double]? = nil,
        symbols: ProbeSymbols
    ) -> MemoryProbeResult {
        var anchor = Accumulator(), closer = Accumulator(), choice = Accumulator()
        var lastAnchor: Int? = nil
        var open: [(id: Int32, at: Int)] = []
        let n = min(tokens.count, losses.count + 1)
        for j in 0..<n {
            let t = tokens[j]
            if j >= 1 {
                // Position j is predicted from tokens[0..<j]: its loss is losses[j − 1].
                if let k = lastAnchor { anchor.add(distance: j - k, losses[j - 1]) }
                if let opener = symbols.pairs[t], let depth = open.lastIndex(where: { $0.id == opener }) {
                    let d = j - open[depth].at
                    closer.add(distance: d, losses[j - 1])
                    if let choices, j - 1 < choices.count, choices[j - 1].isFinite {
                        choice.add(distance: d, choices[j - 1])
                    }
                    // Openers left unclosed inside this pair are dropped with it.
                    open.removeSubrange(depth...)
                }
            }
            if symbols.anchors.contains(t) { lastAnchor = j }
            if symbols.pairs.values.contains(t) {
                if open.count == maximumDepth { open.removeFirst() }
                open.append((t, j))
            }
        }
        return MemoryProbeResult(sinceAnchor: anchor.buckets, closerLoss: closer.buckets, closerChoice: choice.buckets)
    }

    /// Per-bucket sums.
    struct Accumulator {
        var sums: [Double] = [], counts: [Int] = []
        mutating func add(distance: Int, _ loss: Double) {
            let k = MemoryProbe.bucket(of: distance)
            while sums.count <= k { sums.append(0); counts.append(0) }
            sums[k] += loss
            counts[k] += 1
        }
        var buckets: [DistanceBucket] {
            sums.indices.compactMap { k in
                guard counts[k] > 0 else { return nil }
                let (from, to) = MemoryProbe.bounds(ofBucket: k)
                return DistanceBucket(from: from, to: to, count: counts[k], meanLoss: sums[k] / Double(counts[k]))
            }
        }
    }
}

/// The loss of every next-character prediction of a one-stream evaluation.
public struct PositionScores: Sendable {
    /// `losses[i]` = −log p(data[i+1] | data[0...i]), nats.
    public var losses: [Double]
    /// Where data[i+1] is one of the `closers` asked for: −log of its probability among them; NaN elsewhere.
    public var choices: [Double]

    /// The mean loss, as `evaluateStepwise` reports it.
    public var report: LossReport {
        LossReport(lossNats: losses.isEmpty ? .nan : losses.reduce(0, +) / Double(losses.count), chars: losses.count)
    }
}

/// Scores `data` as one stream from a zero state, step by step through a `Predictor` (the path
/// of `evaluateStepwise`, the same N − 1 positions), keeping every position's loss.
public func scorePositions<S: TokenSource>(
    model: LanguageModel, data: S, closers: [Int32] = [],
    precision: WeightPrecision = .float32,
    shouldStop: () -> Bool = { false }
) -> PositionScores {
    guard data.count >= 2 else { return PositionScores(losses: [], choices: []) }
    let V = model.config.vocabularySize
    let closerSet = Set(closers)
    let predictor = Predictor(model: model, batch: 1, precision: precision)
    var token: [Int32] = [0], target: [Int32] = [0]
    var losses: [Double] = [], choices: [Double] = []
    losses.reserveCapacity(data.count - 1)
    choices.reserveCapacity(data.count - 1)
    for i in 0..<(data.count - 1) {
        if i & 1023 == 0 && shouldStop() { break }
        token[0] = data[i]
        target[0] = data[i + 1]
        let logits = predictor.step(tokens: token)
        var choice = Double.nan
        if closerSet.contains(target[0]) {
            // Read before the cross-entropy kernel, which may work in place.
            let ls = closers.map { Double(logits[Int($0)]) }
            let m = ls.max() ?? 0
            choice = m + log(ls.map { exp($0 - m) }.reduce(0, +)) - Double(logits[Int(target[0])])
        }
        losses.append(Kernels.softmaxCrossEntropy(logits, rows: 1, v: V, targets: target, scale: 1, gradient: false))
        choices.append(choice)
    }
    return PositionScores(losses: losses, choices: choices)
}

extension MemoryProbe {
    /// Scores `data` one position at a time and buckets the losses (see ``MemoryProbeResult``).
    /// - Returns: the one-stream loss of the text (as `evaluateStepwise`) and the probe.
    public static func measure<S: TokenSource>(
        model: LanguageModel, data: S, symbols: ProbeSymbols,
        precision: WeightPrecision = .float32,
        shouldStop: () -> Bool = { false }
    )
        -> (report: LossReport, probe: MemoryProbeResult)
    {
        let scores = scorePositions(
            model: model, data: data, closers: symbols.closers, precision: precision,
            shouldStop: shouldStop)
        return (scores.report, analyze(tokens: data, losses: scores.losses, choices: scores.choices, symbols: symbols))
    }
}
