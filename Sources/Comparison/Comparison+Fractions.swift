import Evaluation
import Foundation
import Models

/// "Better on less data": the same comparison with each cell trained on the first fraction of the
/// training part (the validation part is the same for every fraction).

/// A fraction of the training part too small for one training window.
public struct FractionTooSmall: Error, Equatable, Sendable, CustomStringConvertible {
    public var fraction: Double
    public var chars: Int
    public var batch: Int
    public var seq: Int

    /// "the first 1% of the training part is 9,000 characters, too few for a batch of …".
    public var facts: String {
        let pct = String(format: "%g%%", fraction * 100)
        return "the first \(pct) of the training part is \(chars) characters, too few for a batch of \(batch) "
            + "streams × \(seq) steps (one window needs more than \(batch * seq))"
    }

    public var description: String {
        "data fraction \(String(format: "%g", fraction)): " + facts
            + "; use a larger fraction, or fewer streams or steps"
    }
}

/// A list of data fractions that cannot be read: an item that is not a number in (0, 1], or one given twice.
public enum FractionListError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Item `item` (from 1) of the list, as written.
    case notAFraction(item: Int, text: String)
    case repeated(String)

    public var description: String {
        switch self {
        case .notAFraction(let item, let text):
            return "item \(item) '\(text)' is not a number in (0, 1] (e.g. 0.05,0.2,1)"
        case .repeated(let text): return "\(text) is given twice"
        }
    }
}

/// Mean ± std over seeds of one memory-probe bucket.
public struct ProbeBucketSummary: Codable, Equatable, Sendable {
    public var from: Int
    public var to: Int
    /// Positions in the bucket (the same for every seed: the validation text is the same).
    public var count: Int
    public var mean: Double
    public var std: Double
    /// Seeds with positions in this bucket.
    public var n: Int
    /// Each seed's mean loss in the bucket.
    public var values: [Double]
}

/// The memory probe of one cell at one fraction, over its seeds.
public struct ProbeSummary: Codable, Equatable, Sendable {
    public var cell: CellKind
    public var hidden: Int
    public var fraction: Double
    public var sinceAnchor: [ProbeBucketSummary]
    public var closerLoss: [ProbeBucketSummary]
    public var closerChoice: [ProbeBucketSummary]

    enum CodingKeys: String, CodingKey {
        case cell, hidden, fraction, sinceAnchor = "since_anchor", closerLoss = "closer_loss",
            closerChoice = "closer_choice"
    }
}

/// The end of the first `fraction` of a training part of `count` units (at least 1 unit).
func fractionEnd(_ count: Int, _ fraction: Double) -> Int {
    fraction >= 1 ? count : min(count, max(1, Int((Double(count) * fraction).rounded(.down))))
}

/// Mean and sample standard deviation (0 for one value).
func meanAndStd(_ values: [Double]) -> (mean: Double, std: Double) {
    guard !values.isEmpty else { return (.nan, .nan) }
    let mean = values.reduce(0, +) / Double(values.count)
    guard values.count > 1 else { return (mean, 0) }
    let ss = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +)
    return (mean, (ss / Double(values.count - 1)).squareRoot())
}

extension Comparison {
    /// Parses a list of data fractions ("0.05,0.2,1"): comma-separated numbers in (0, 1], no duplicates;
    /// returned ascending.
    ///
    /// - Throws: `FractionListError`.
    public static func parseFractions(_ text: String) throws -> [Double] {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        var values: [Double] = []
        for (i, part) in parts.enumerated() {
            guard let v = Double(part), v.isFinite, v > 0, v <= 1 else {
                throw FractionListError.notAFraction(item: i + 1, text: part)
            }
            if values.contains(v) {
                throw FractionListError.repeated(part)
            }
            values.append(v)
        }
        return values.sorted()
    }

    /// The memory probe of the finished runs, per cell and fraction: each bucket's mean ± std over seeds.
    public static func probeSummaries(_ runs: [ComparisonRun]) -> [ProbeSummary] {
        var keys: [(CellKind, Double)] = []
        for r in runs where r.memoryProbe != nil && !keys.contains(where: { $0 == (r.cell, r.fraction) }) {
            keys.append((r.cell, r.fraction))
        }
        return keys.map { cell, fraction in
            let rs = runs.filter { $0.cell == cell && $0.fraction == fraction && !$0.interrupted }
            let probes = rs.compactMap(\.memoryProbe)
            func summarize(_ pick: (MemoryProbeResult) -> [DistanceBucket]) -> [ProbeBucketSummary] {
                let starts = Set(probes.flatMap { pick($0).map(\.from) }).sorted()
                return starts.map { from in
                    let hits = probes.compactMap { pick($0).first { $0.from == from } }
                    let values = hits.map(\.meanLoss)
                    let (mean, std) = meanAndStd(values)
                    return ProbeBucketSummary(
                        from: from, to: hits[0].to, count: hits.map(\.count).max() ?? 0,
                        mean: mean, std: std, n: values.count, values: values)
                }
            }
            return ProbeSummary(
                cell: cell, hidden: rs.first?.hidden ?? 0, fraction: fraction,
                sinceAnchor: summarize(\.sinceAnchor), closerLoss: summarize(\.closerLoss),
                closerChoice: summarize(\.closerChoice))
        }
    }
}
