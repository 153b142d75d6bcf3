import Evaluation
import Foundation
import Models
import Plotting

/// `compare.svg`: the validation curves (mean ± std over seeds when there are several), the final
/// loss against the data fraction (several fractions), and the memory probe (when asked for).
extension Comparison {
    /// One cell at one fraction: its finished runs.
    struct Group {
        var cell: CellKind
        var fraction: Double
        var runs: [ComparisonRun]
        var hidden: Int { runs.first?.hidden ?? 0 }
    }

    static func groups(_ report: ComparisonReport) -> [Group] {
        var out: [Group] = []
        for r in report.runs where !r.history.isEmpty {
            if let i = out.firstIndex(where: { $0.cell == r.cell && $0.fraction == r.fraction }) {
                out[i].runs.append(r)
            } else {
                out.append(Group(cell: r.cell, fraction: r.fraction, runs: [r]))
            }
        }
        return out
    }

    /// "5%", "100%", "12.5%".
    public static func percent(_ fraction: Double) -> String { String(format: "%g%%", fraction * 100) }

    public static func figure(_ report: ComparisonReport) -> String {
        let multiSeed = Set(report.runs.map(\.seed)).count > 1
        let multiFraction = report.fractions.count > 1
        func label(_ cell: CellKind, _ hidden: Int, _ fraction: Double) -> String {
            "\(cell.rawValue) (h \(hidden))" + (multiFraction ? ", \(percent(fraction)) data" : "")
        }
        func curves(_ x: (CurvePoint) -> Double) -> [Series] {
            groups(report).flatMap { g -> [Series] in
                let steps = g.runs.map { $0.history.map(\.step) }
                // Mean ± std at each evaluation when every seed evaluated at the same steps.
                if multiSeed, g.runs.count > 1, steps.allSatisfy({ $0 == steps[0] }) {
                    let n = steps[0].count
                    let xs = (0..<n).map { i in g.runs.map { x($0.history[i]) }.reduce(0, +) / Double(g.runs.count) }
                    let stats = (0..<n).map { i in meanAndStd(g.runs.map { $0.history[i].valLoss }) }
                    return [
                        Series(
                            label: label(g.cell, g.hidden, g.fraction), x: xs, y: stats.map(\.mean),
                            errors: stats.map(\.std))
                    ]
                }
                return g.runs.map { r in
                    Series(
                        label: label(g.cell, g.hidden, g.fraction) + (multiSeed ? " seed \(r.seed)" : ""),
                        x: r.history.map(x), y: r.history.map(\.valLoss))
                }
            }
        }
        let band = multiSeed ? " (mean ± std over seeds)" : ""
        var charts = [
            LineChart(
                title: "Validation loss by training step" + band, xLabel: "training step",
                yLabel: "validation loss (nats/char)", series: curves { Double($0.step) }),
            LineChart(
                title: "Validation loss by training time" + band, xLabel: "training time (s)",
                yLabel: "validation loss (nats/char)", series: curves(\.seconds)),
        ]
        if multiFraction {
            let cells = report.summaries.reduce(into: [CellKind]()) { if !$0.contains($1.cell) { $0.append($1.cell) } }
            let series = cells.map { cell -> Series in
                let ss = report.summaries.filter { $0.cell == cell }.sorted { $0.fraction < $1.fraction }
                return Series(
                    label: "\(cell.rawValue) (h \(ss.first?.hidden ?? 0))", x: ss.map(\.fraction),
                    y: ss.map(\.valLossMean), errors: ss.map(\.valLossStd))
            }
            charts.append(
                LineChart(
                    title: "Final validation loss by data fraction" + band,
                    xLabel: "fraction of the training part", yLabel: "validation loss (nats/char)",
                    series: series, markers: .always))
        }
        if let probes = report.memoryProbes, let largest = probes.map(\.fraction).max() {
            let shown = probes.filter { $0.fraction == largest }
            func panel(_ title: String, _ pick: (ProbeSummary) -> [ProbeBucketSummary]) -> LineChart? {
                let series = shown.map { p in
                    Series(
                        label: "\(p.cell.rawValue) (h \(p.hidden))", x: pick(p).map { log2(Double($0.from)) },
                        y: pick(p).map(\.mean), errors: pick(p).map(\.std))
                }
                guard series.contains(where: { !$0.points.isEmpty }) else { return nil }
                let data = multiFraction ? ", \(percent(largest)) data" : ""
                return LineChart(
                    title: title + data, xLabel: "log2 of the distance (k: distances 2^k to 2^(k+1)−1)",
                    yLabel: "mean loss (nats)", series: series, markers: .always)
            }
            charts += [
                panel("Loss by distance since the last ( [ { < \" or newline", \.sinceAnchor),
                panel("Closer choice loss by distance to its opener", \.closerChoice),
            ].compactMap { $0 }
        }
        let name = (report.corpus as NSString).lastPathComponent
        return SVGRenderer.render(
            charts, columns: 2,
            title: "charnn compare: \(name), \(report.layers) layers, matched \(report.match.rawValue)")
    }
}
