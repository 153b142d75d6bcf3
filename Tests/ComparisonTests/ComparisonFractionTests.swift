import Evaluation
import Foundation
import Models
import Training
import XCTest
import _TestSupport
import _TrainingTestSupport

@testable import Comparison

/// `--data-fractions`, mean ± std in the report, and the memory probe in a comparison.
final class ComparisonFractionTests: XCTestCase {
    func testParseFractions() throws {
        XCTAssertEqual(try Comparison.parseFractions("0.05,0.2,1"), [0.05, 0.2, 1])
        XCTAssertEqual(try Comparison.parseFractions(" 1, 0.2 "), [0.2, 1], "unsorted is sorted")
        for bad in ["0", "1.5", "-0.1", "x", "", "0.2,", "nan", "inf"] {
            XCTAssertThrowsError(try Comparison.parseFractions(bad), bad) { error in
                guard case FractionListError.notAFraction = error else { return XCTFail("\(error)") }
                assertSpeaksInFacts([error])
            }
        }
        XCTAssertThrowsError(try Comparison.parseFractions("0.2,1,0.2")) { error in
            XCTAssertTrue("\(error)".contains("twice"), "\(error)")
        }
        XCTAssertEqual(fractionEnd(1000, 0.05), 50)
        XCTAssertEqual(fractionEnd(1000, 1), 1000)
        XCTAssertEqual(fractionEnd(10, 0.001), 1, "at least one unit")
    }

    func corpus(_ label: String) throws -> String {
        let dir = try temporaryDirectory(self, label)
        let path = dir.appendingPathComponent("brackets.txt").path
        try Data(BracketCorpus(count: 3000, span: 3...40, seed: 2).bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    func spec(seeds: [UInt64]) -> ComparisonSpec {
        var settings = tinySettings(steps: 4)
        settings.budget = TrainingBudget(steps: 4)
        var s = ComparisonSpec(
            cells: [.lstm, .gru], match: .params, layers: 1, hidden: 12, embedding: nil,
            dropout: 0, settings: settings, seeds: seeds, evaluations: 2)
        s.memoryProbe = true
        return s
    }

    func testFractionsSeedsAndProbe() throws {
        let path = try corpus("fractions")
        var finished = 0
        let report = try Comparison.run(
            corpus: path, text: TextOptions(), spec: spec(seeds: [1, 2]),
            fractions: [1, 0.5], onProgress: { _, _, _, _, _ in },
            onRunFinished: { _ in finished += 1 })
        XCTAssertEqual(finished, 8)
        XCTAssertFalse(report.interrupted)
        XCTAssertEqual(report.fractions, [0.5, 1])
        XCTAssertEqual(report.runs.map(\.fraction), [0.5, 0.5, 0.5, 0.5, 1, 1, 1, 1], "fractions ascending")
        let split = report.trainChars
        XCTAssertEqual(report.runs[0].trainChars, split / 2)
        XCTAssertEqual(report.runs[7].trainChars, split)
        // Same steps on half the data: about twice the passes.
        XCTAssertEqual(report.runs[0].epochs / report.runs[4].epochs, 2, accuracy: 0.5)
        XCTAssertEqual(report.summaries.count, 4)
        for s in report.summaries {
            let runs = report.runs.filter { $0.cell == s.cell && $0.fraction == s.fraction }
            XCTAssertEqual(s.valLosses, runs.map { $0.validation!.lossNats })
            let (mean, std) = meanAndStd(s.valLosses)
            XCTAssertEqual(s.valLossMean, mean, accuracy: 1e-12)
            XCTAssertEqual(s.valLossStd, std, accuracy: 1e-12)
            XCTAssertGreaterThan(s.valLossStd, 0, "two seeds differ")
        }
        // The probe: every run, then per cell × fraction over the seeds.
        XCTAssertTrue(report.runs.allSatisfy { $0.memoryProbe != nil })
        let probes = try XCTUnwrap(report.memoryProbes)
        XCTAssertEqual(probes.count, 4)
        for p in probes {
            XCTAssertFalse(p.closerChoice.isEmpty)
            for b in p.closerChoice + p.sinceAnchor {
                XCTAssertEqual(b.n, 2)
                XCTAssertEqual(b.mean, b.values.reduce(0, +) / 2, accuracy: 1e-12)
            }
        }
        // JSON keys and the figure: curves, loss by fraction, two probe panels, error bars.
        let enc = JSONEncoder()
        enc.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf", negativeInfinity: "-inf",
            nan: "nan")
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: enc.encode(report)) as? [String: Any])
        XCTAssertEqual(json["fractions"] as? [Double], [0.5, 1])
        let cell = try XCTUnwrap((json["cells"] as? [[String: Any]])?.first)
        for key in ["val_loss_per_seed", "fraction", "train_chars", "epochs", "val_loss_std", "seeds"] {
            XCTAssertNotNil(cell[key], "cells[] lacks \(key)")
        }
        XCTAssertNotNil((json["memory_probes"] as? [[String: Any]])?.first?["closer_choice"])
        let svg = Comparison.figure(report)
        XCTAssertEqual(svg.components(separatedBy: "<g class=\"chart\"").count - 1, 5)
        XCTAssertTrue(svg.contains("Final validation loss by data fraction"))
        XCTAssertTrue(svg.contains("data-errors=\"lstm (h 12)\""))
    }

    func testAFractionTooSmallForOneWindowIsRefusedBeforeTraining() throws {
        let path = try corpus("too-small")
        var finished = 0
        XCTAssertThrowsError(
            try Comparison.run(
                corpus: path, text: TextOptions(), spec: spec(seeds: [1]),
                fractions: [0.01, 1], onProgress: { _, _, _, _, _ in },
                onRunFinished: { _ in finished += 1 })
        ) { error in
            let text = "\(error)"
            XCTAssertEqual(
                error as? FractionTooSmall,
                FractionTooSmall(
                    fraction: 0.01, chars: (error as? FractionTooSmall)?.chars ?? -1, batch: 4,
                    seq: 16), text)
            assertSpeaksInFacts([error])
        }
        XCTAssertEqual(finished, 0)
    }
}
