import Foundation
import Models
import Training
import XCTest
import _TestSupport
import _TrainingTestSupport

@testable import Comparison

#if canImport(FoundationXML)
import FoundationXML
import _TestSupport
#endif

/// Comparison of cells: size matching, the report, the chart.
final class ComparisonTests: XCTestCase {
    func spec(_ cells: [CellKind], match: SizeMatching = .params, hidden: Int, layers: Int) -> ComparisonSpec {
        ComparisonSpec(
            cells: cells, match: match, layers: layers, hidden: hidden, embedding: nil, dropout: 0,
            settings: TrainingSettings(), seeds: [1])
    }

    /// `hiddenSizes(.params)` against a brute-force search: for every order of the four cells,
    /// widths, depths and vocabulary sizes, each later cell gets the width whose parameter count
    /// is closest to the first cell's, and that count is within 2%; where no width is within 2%
    /// (small layers, coarse steps), it is an error saying so.
    func testParameterMatchingWithinTwoPercent() throws {
        let all = CellKind.allCases
        var matched = 0
        for first in all {
            let cells = [first] + all.filter { $0 != first }
            for hidden in [32, 64, 100, 256] {
                for layers in [1, 2] {
                    for V in [30, 65, 200] {
                        func params(_ cell: CellKind, _ h: Int) -> Int {
                            ModelConfig(cell: cell, layers: layers, hidden: h, embedding: hidden, vocabularySize: V)
                                .parameterCount
                        }
                        let target = Double(params(first, hidden))
                        func gap(_ cell: CellKind, _ h: Int) -> Double {
                            abs(Double(params(cell, h)) - target) / target
                        }
                        let reference = cells.map { cell in (1...2048).min { gap(cell, $0) < gap(cell, $1) }! }
                        let feasible = zip(cells, reference).allSatisfy { gap($0, $1) <= 0.02 }
                        let label = "\(cells.map(\.rawValue)) hidden \(hidden) layers \(layers) V \(V)"
                        let s = spec(cells, hidden: hidden, layers: layers)
                        guard feasible else {
                            XCTAssertThrowsError(try Comparison.hiddenSizes(spec: s, vocabularySize: V), label) {
                                error in
                                XCTAssertTrue("\(error)".contains("within 2%"), "\(error)")
                            }
                            continue
                        }
                        let widths = try Comparison.hiddenSizes(spec: s, vocabularySize: V)
                        XCTAssertEqual(widths.first, hidden, "the first cell keeps --hidden")
                        for (i, (cell, h)) in zip(cells, widths).enumerated() {
                            XCTAssertLessThanOrEqual(gap(cell, h), 0.02, "\(label): \(cell) h \(h)")
                            XCTAssertEqual(
                                gap(cell, h), gap(cell, reference[i]),
                                "\(label): \(cell) h \(h), closest \(reference[i])")
                        }
                        matched += 1
                    }
                }
            }
        }
        // Wide enough layers always match; an LSTM-first comparison (the default order) at every width here.
        XCTAssertGreaterThan(matched, 60)
        for hidden in [32, 64, 100, 256] {
            XCTAssertNoThrow(
                try Comparison.hiddenSizes(
                    spec: spec([.lstm, .gru, .rnn, .peephole], hidden: hidden, layers: 2),
                    vocabularySize: 65))
        }
        // A smaller gate count needs a wider layer.
        let widths = try Comparison.hiddenSizes(
            spec: spec([.lstm, .gru, .rnn], hidden: 128, layers: 2), vocabularySize: 65)
        XCTAssertTrue(widths[0] < widths[1] && widths[1] < widths[2], "\(widths)")
        // Matching by hidden size keeps every width.
        XCTAssertEqual(
            try Comparison.hiddenSizes(spec: spec(all, match: .hidden, hidden: 64, layers: 2), vocabularySize: 50),
            [64, 64, 64, 64])
    }

    func testRunReportAndChart() throws {
        let dir = try temporaryDirectory(self, "compare")
        let corpus = dir.appendingPathComponent("corpus.txt").path
        try Data(pseudoEnglish(characters: 2500).utf8).write(to: URL(fileURLWithPath: corpus))
        var settings = tinySettings(steps: 6)
        settings.budget = TrainingBudget(steps: 6)
        let spec = ComparisonSpec(
            cells: [.lstm, .gru], match: .params, layers: 1, hidden: 12, embedding: nil, dropout: 0,
            settings: settings, seeds: [3], evaluations: 2)
        var finished: [CellKind] = []
        let report = try Comparison.run(
            corpus: corpus, text: TextOptions(), spec: spec, onProgress: { _, _, _, _, _ in },
            onRunFinished: { finished.append($0.cell) })
        XCTAssertEqual(finished, [.lstm, .gru])

        let encoder = JSONEncoder()
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: encoder.encode(report)) as? [String: Any])
        for key in [
            "corpus", "unit", "vocab_size", "train_chars", "val_chars", "match", "layers", "batch", "seq",
            "optimizer", "budget", "cells", "runs",
        ] {
            XCTAssertNotNil(json[key], "compare.json lacks \(key)")
        }
        let cells = try XCTUnwrap(json["cells"] as? [[String: Any]])
        XCTAssertEqual(cells.compactMap { $0["cell"] as? String }, ["lstm", "gru"])
        for cell in cells {
            for key in [
                "hidden", "parameters", "steps", "val_loss_nats", "val_loss_std", "bpc", "ppl", "train_loss", "seeds",
            ] {
                XCTAssertNotNil(cell[key], "cells[] lacks \(key)")
            }
            let loss = try XCTUnwrap(cell["val_loss_nats"] as? Double)
            XCTAssertTrue(loss.isFinite && loss > 0)
            XCTAssertEqual(try XCTUnwrap(cell["bpc"] as? Double), loss / log(2), accuracy: 1e-9)
            XCTAssertEqual(cell["steps"] as? Double, 6)
        }
        let runs = try XCTUnwrap(json["runs"] as? [[String: Any]])
        XCTAssertEqual(runs.count, 2)
        for run in runs {
            XCTAssertEqual(run["seed"] as? Int, 3)
            let history = try XCTUnwrap(run["history"] as? [[String: Any]])
            XCTAssertEqual(history.compactMap { $0["step"] as? Int }, [3, 6], "2 evaluations over 6 steps")
            for point in history {
                for key in ["step", "seconds", "train_loss", "val_loss"] {
                    XCTAssertNotNil(point[key], "history[] lacks \(key)")
                }
            }
            let val = try XCTUnwrap(run["val"] as? [String: Any])
            XCTAssertNotNil(val["loss_nats"])
        }
        // Matched sizes: parameter counts within 2%.
        let p0 = Double(report.runs[0].parameters), p1 = Double(report.runs[1].parameters)
        XCTAssertLessThanOrEqual(abs(p1 - p0) / p0, 0.02)

        // The chart parses as XML; each of its panels has exactly one line per cell.
        let svg = Comparison.chart(report)
        let document = try XMLDocument(data: Data(svg.utf8))
        let root = try XCTUnwrap(document.rootElement())
        XCTAssertEqual(root.localName ?? root.name, "svg")
        /// An attribute's value (`attribute(forName:)` finds nothing in a default namespace on Linux).
        func attribute(_ e: XMLElement, _ name: String) -> String? {
            e.attributes?.first { $0.name == name }?.stringValue
        }
        /// Every element under `node` (depth first).
        func elements(_ node: XMLElement) -> [XMLElement] {
            let children = (node.children ?? []).compactMap { $0 as? XMLElement }
            return children + children.flatMap(elements)
        }
        let panels = elements(root).filter { ($0.localName ?? $0.name) == "g" && attribute($0, "class") == "chart" }
        XCTAssertEqual(panels.count, 2, "validation loss by step and by time")
        let labels = report.runs.map { "\($0.cell.rawValue) (h \($0.hidden))" }
        for panel in panels {
            let series = elements(panel).filter { ($0.localName ?? $0.name) == "path" }
                .compactMap { attribute($0, "data-series") }
            XCTAssertEqual(series.sorted(), labels.sorted(), "one <path data-series> per cell")
        }
    }
}
