import Evaluation
import Foundation
import Models
import XCTest
import _TestSupport
import _TrainingTestSupport

@testable import Training

#if canImport(FoundationXML)
import FoundationXML
#endif

/// `loss.svg`: training and validation loss by step, and the learning rate.
final class LossPlotTests: XCTestCase {
    func testTwoPanelsWithTheirSeriesAndOnlyFinitePoints() throws {
        let history = [
            EvaluationRecord(
                step: 10, epoch: 0.1, trainLoss: .nan, validation: LossReport(lossNats: 3.0, chars: 100),
                seconds: 1, learningRate: 2e-3),
            EvaluationRecord(
                step: 20, epoch: 0.2, trainLoss: 2.5, validation: LossReport(lossNats: 2.4, chars: 100),
                seconds: 2, learningRate: 1e-3),
            EvaluationRecord(step: 30, epoch: 0.3, trainLoss: 2.1, validation: nil, seconds: 3, learningRate: 5e-4),
        ]
        let svg = LossPlot.svg(history: history, title: "charnn train: corpus.txt, 2×16 lstm")
        let document = try XMLDocument(data: Data(svg.utf8))
        let root = try XCTUnwrap(document.rootElement())
        func attribute(_ e: XMLElement, _ name: String) -> String? {
            e.attributes?.first { $0.name == name }?.stringValue
        }
        func elements(_ node: XMLElement) -> [XMLElement] {
            let children = (node.children ?? []).compactMap { $0 as? XMLElement }
            return children + children.flatMap(elements)
        }
        let panels = elements(root).filter { ($0.localName ?? $0.name) == "g" && attribute($0, "class") == "chart" }
        XCTAssertEqual(panels.count, 2)
        let series = panels.map { panel in
            elements(panel).filter { ($0.localName ?? $0.name) == "path" }.compactMap { attribute($0, "data-series") }
        }
        XCTAssertEqual(series[0].sorted(), ["training (mean since the previous evaluation)", "validation"])
        XCTAssertEqual(series[1], ["learning rate"])
        XCTAssertTrue(svg.contains("charnn train: corpus.txt, 2×16 lstm"))
        XCTAssertTrue(svg.contains("loss (nats/char)") && svg.contains("training step"))
        XCTAssertFalse(svg.contains("NaN") || svg.contains("nan"), "non-finite points are left out")
    }

    func series(_ svg: String) -> [String] {
        svg.components(separatedBy: "data-series=\"").dropFirst().compactMap { $0.split(separator: "\"").first }
            .map(String.init)
    }

    func testTheTrainingLossLoggedBetweenEvaluationsIsDrawnSmoothed() throws {
        let history = [
            EvaluationRecord(
                step: 100, epoch: 1, trainLoss: 2, validation: LossReport(lossNats: 2.2, chars: 100),
                seconds: 1, learningRate: 1e-3)
        ]
        let training = (1...10).map {
            LossPlot.TrainingPoint(step: $0 * 10, loss: $0 == 5 ? .nan : 4 - 0.2 * Double($0))
        }
        let svg = LossPlot.svg(history: history, training: training, title: "t")
        XCTAssertTrue(series(svg).contains("training (smoothed)"), "\(series(svg))")
        XCTAssertFalse(series(svg).contains("training (mean since the previous evaluation)"))
        XCTAssertTrue(series(svg).contains("validation"))
        let curve = LossPlot.smoothed(training)
        XCTAssertEqual(curve.count, 9, "the NaN is left out")
        XCTAssertEqual(curve[0].x, 10)
        XCTAssertEqual(curve[0].y, 3.8, accuracy: 1e-12, "debiased: the curve starts at the first loss")
        for (a, b) in zip(curve, curve.dropFirst()) { XCTAssertLessThan(b.y, a.y, "a falling loss falls smoothed") }
        XCTAssertGreaterThan(curve.last!.y, 2.0, "smoothing lags the raw loss")
        // A long log is averaged into at most `maximumPoints` points.
        let long = (1...5000).map { LossPlot.TrainingPoint(step: $0 * 10, loss: 1) }
        let drawn = LossPlot.smoothed(long)
        XCTAssertLessThanOrEqual(drawn.count, LossPlot.maximumPoints)
        XCTAssertEqual(drawn.last?.x, 50_000)
        XCTAssertEqual(drawn.last?.y ?? 0, 1, accuracy: 1e-12)
    }

    func testAResumedRunReadsItsTrainingCurveFromTheMetrics() throws {
        let dir = try temporaryDirectory(self, "metrics")
        let path = dir.appendingPathComponent("metrics.jsonl").path
        let lines = [
            #"{"type":"train","step":10,"train_loss":3.5}"#, #"{"type":"eval","step":10,"val_loss":3.4}"#,
            "not json", #"{"type":"train","step":20,"train_loss":3.0}"#,
            #"{"type":"train","step":30,"train_loss":2.5}"#,
        ]
        try Data(lines.joined(separator: "\n").utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertEqual(
            LossPlot.trainingPoints(metrics: path, upTo: 20),
            [LossPlot.TrainingPoint(step: 10, loss: 3.5), LossPlot.TrainingPoint(step: 20, loss: 3.0)])
        XCTAssertEqual(LossPlot.trainingPoints(metrics: path, upTo: 20, limit: 10), [], "too large: no curve")
        XCTAssertEqual(LossPlot.trainingPoints(metrics: dir.path + "/missing", upTo: 20), [])
    }

    func testAShortRunsPlotShowsItsTrainingCurve() throws {
        let dir = try temporaryDirectory(self, "shortplot")
        let corpus = dir.appendingPathComponent("corpus.txt").path
        try Data(pseudoEnglish(characters: 3000).utf8).write(to: URL(fileURLWithPath: corpus))
        let out = dir.appendingPathComponent("run").path
        // One evaluation, at the end: before, the plot had one training point and one validation point.
        let session = try TrainingSession(
            corpus: corpus, model: ModelConfig(cell: .rnn, layers: 1, hidden: 8, vocabularySize: 1),
            settings: tinySettings(steps: 40), text: TextOptions(), outDirectory: out)
        _ = try session.run(onStep: { _ in }, onEvent: { _ in }, shouldStop: { false })
        XCTAssertEqual(session.trainingCurve.map(\.step), [10, 20, 30, 40])
        let svg = try String(contentsOfFile: out + "/loss.svg", encoding: .utf8)
        XCTAssertTrue(series(svg).contains("training (smoothed)"), "\(series(svg))")
    }
}
