import Foundation
import NeuralCore

/// A synthetic corpus in which only memory can predict some characters: random lowercase
/// letters (the filler: every letter equally likely, so nothing local predicts the next one),
/// with nested bracket pairs `()`, `[]`, `{}`, `<>` whose closer comes D characters after its
/// opener. At a closer, which of the four it is was decided D characters ago; the probe's
/// closer-choice loss against D is then the model's memory as a curve (log 4 ≈ 1.386 nats when
/// the opener is forgotten, 0 when it is remembered).
///
/// Distances: a pair opened at the top level draws D log-uniformly from `span` (as many pairs
/// per octave of distance, so the probe's power-of-two buckets fill evenly); a pair opened
/// inside another draws from `span` cut to the room left before the outer closer (nested pairs
/// are shorter). Pairs never cross, and every pair closes inside the text.
public struct BracketCorpus: Sendable {
    /// One pair: the opener's and the closer's index in the text, and which of the four.
    public struct Pair: Equatable, Sendable {
        public var open: Int
        public var close: Int
        public var kind: Int
        public var distance: Int { close - open }
    }

    public static let openers: [UInt8] = Array("([{<".utf8)
    public static let closers: [UInt8] = Array(")]}>".utf8)
    public static let filler: [UInt8] = Array("abcdefghijklmnopqrstuvwxyz".utf8)

    /// The text, ASCII.
    public var bytes: [UInt8]
    /// Every pair, in the order of their openers.
    public var pairs: [Pair]

    /// Probability of opening a pair at a free position outside every pair.
    public static let topLevelOpening = 1.0 / 16
    /// Probability of opening a pair at a position inside a pair, where a pair of span's
    /// shortest distance still fits.
    public static let nestedOpening = 1.0 / 32

    /// - Parameters:
    ///   - count: characters (≥ 1).
    ///   - span: distances between an opener and its closer (lower bound ≥ 2: something between).
    ///   - seed: the same seed gives the same text.
    public init(count: Int, span: ClosedRange<Int>, seed: UInt64) {
        precondition(count >= 1 && span.lowerBound >= 2, "a text of at least 1 character, distances from 2")
        var rng = SplitMix64(seed: seed)
        func uniform() -> Double { Double(rng.next() >> 11) / Double(1 << 53) }
        /// D log-uniform in lo...hi.
        func distance(_ lo: Int, _ hi: Int) -> Int {
            let d = Int((Double(lo) * pow(Double(hi + 1) / Double(lo), uniform())).rounded(.down))
            return min(max(d, lo), hi)
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count)
        var pairs: [Pair] = []
        var open: [Int] = []  // indices into `pairs`
        while bytes.count < count {
            let j = bytes.count
            if let top = open.last, pairs[top].close == j {
                bytes.append(Self.closers[pairs[top].kind])
                open.removeLast()
                continue
            }
            // The farthest closer a new pair may have: before the enclosing closer, inside the text.
            let limit = min(open.last.map { pairs[$0].close - 1 } ?? count - 1, count - 1)
            let hi = min(span.upperBound, limit - j)
            let p = open.isEmpty ? Self.topLevelOpening : Self.nestedOpening
            if hi >= span.lowerBound && uniform() < p {
                let kind = Int(rng.next() % 4)
                pairs.append(Pair(open: j, close: j + distance(span.lowerBound, hi), kind: kind))
                open.append(pairs.count - 1)
                bytes.append(Self.openers[kind])
            } else {
                bytes.append(Self.filler[Int(rng.next() % UInt64(Self.filler.count))])
            }
        }
        self.bytes = bytes
        self.pairs = pairs
    }
}
