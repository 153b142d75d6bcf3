import Comparison
import Foundation

// The memory probe's table under `compare`'s: per fraction and probe, one row per distance
// bucket and one column per cell, mean ± std over seeds.
extension CompareCommand {
    func probeTable(_ probes: [ProbeSummary]) -> String {
        var out: [String] = []
        let fractions = probes.map(\.fraction).reduce(into: [Double]()) { if !$0.contains($1) { $0.append($1) } }
        let kinds: [(String, (ProbeSummary) -> [ProbeBucketSummary])] = [
            ("loss by distance since the last ( [ { < \" or newline", \.sinceAnchor),
            ("loss at closing brackets by distance to the opener", \.closerLoss),
            ("closer choice −log p(right closer | a closer) by distance to the opener", \.closerChoice),
        ]
        for fraction in fractions {
            let shown = probes.filter { $0.fraction == fraction }
            for (title, pick) in kinds {
                let starts = Set(shown.flatMap { pick($0).map(\.from) }).sorted()
                guard !starts.isEmpty else { continue }
                let data = fractions.count > 1 || fraction < 1 ? ", \(Comparison.percent(fraction)) data" : ""
                out.append("memory probe\(data): \(title) (nats, mean ± std over seeds)")
                var rows = [["distance", "positions"] + shown.map { "\($0.cell.rawValue) (h \($0.hidden))" }]
                for from in starts {
                    let buckets = shown.map { pick($0).first { $0.from == from } }
                    let to = buckets.compactMap { $0?.to }.first ?? from
                    let count = buckets.compactMap { $0?.count }.max() ?? 0
                    rows.append(
                        [from == to ? "\(from)" : "\(from)-\(to)", "\(count)"]
                            + buckets.map { b in
                                guard let b else { return "—" }
                                return b.n > 1
                                    ? String(format: "%.4f ± %.4f", b.mean, b.std) : String(format: "%.4f", b.mean)
                            })
                }
                out.append(aligned(rows))
            }
        }
        return out.joined(separator: "\n")
    }

    /// Columns padded to their widest cell, the first left-aligned, a rule under the header.
    func aligned(_ rows: [[String]]) -> String {
        let widths = rows[0].indices.map { i in rows.map { $0[i].count }.max() ?? 0 }
        return rows.enumerated().map { n, row in
            let line = row.enumerated().map { i, cell in
                i == 0
                    ? cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: widths[i] - cell.count) + cell
            }.joined(separator: "  ")
            return n == 0 ? line + "\n" + String(repeating: "-", count: line.count) : line
        }.joined(separator: "\n")
    }
}
