import Evaluation
import Foundation
import XCTest

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
}
