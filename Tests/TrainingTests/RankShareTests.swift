import Evaluation
import Foundation
import Models
import NeuralCore
import XCTest
import _TestSupport

@testable import Training

/// How `compare` and `eval` split their work over ranks (`mpirun -np N`), checked in one process:
/// the shares tile the work, and the parts put together give the single-process figures.
final class RankShareTests: XCTestCase {
    func testCompareRunsAreDealtRoundRobin() {
        XCTAssertEqual(ComparisonPlan.share(rank: 0, of: 3, runs: 8), [0, 3, 6])
        XCTAssertEqual(ComparisonPlan.share(rank: 2, of: 3, runs: 8), [2, 5])
        XCTAssertEqual(ComparisonPlan.share(rank: 3, of: 4, runs: 2), [])
        for runs in 0..<20 {
            for size in 1...5 {
                let all = (0..<size).flatMap { ComparisonPlan.share(rank: $0, of: size, runs: runs) }
                XCTAssertEqual(all.sorted(), Array(0..<runs), "\(runs) runs over \(size)")
            }
        }
    }

    /// Runs done in shares by "ranks" and put in run order give the report of one process, bit for
    /// bit in every figure that does not measure time.
    func testCompareSharesAssembleTheSingleProcessReport() throws {
        let dir = try temporaryDirectory(self, "compare-shares")
        let corpus = dir.appendingPathComponent("corpus.txt").path
        try Data(pseudoEnglish(characters: 2500).utf8).write(to: URL(fileURLWithPath: corpus))
        var settings = tinySettings(steps: 6)
        settings.budget = TrainingBudget(steps: 5)
        let spec = ComparisonSpec(
            cells: [.lstm, .gru], match: .hidden, layers: 1, hidden: 10, embedding: nil,
            dropout: 0, settings: settings, seeds: [3, 4], evaluations: 2)
        let plan = try ComparisonPlan(corpus: corpus, text: TextOptions(), spec: spec)
        let whole = try Comparison.run(
            corpus: corpus, text: TextOptions(), spec: spec, onProgress: { _, _, _, _, _ in })
        // Three ranks, the last one running first: the order of completion must not matter.
        var pieces: [(index: Int, run: ComparisonRun)] = []
        for rank in [2, 0, 1] {
            pieces += try plan.run(
                ComparisonPlan.share(rank: rank, of: 3, runs: plan.runCount),
                onProgress: { _, _, _, _, _ in })
        }
        let assembled = plan.report(runs: pieces.sorted { $0.index < $1.index }.map { $0.run })
        XCTAssertEqual(assembled.runs.count, 4)
        XCTAssertFalse(assembled.interrupted)
        for (a, b) in zip(assembled.runs, whole.runs) {
            XCTAssertEqual(a.cell, b.cell)
            XCTAssertEqual(a.seed, b.seed)
            XCTAssertEqual(a.steps, b.steps)
            XCTAssertEqual(a.trainLoss.bitPattern, b.trainLoss.bitPattern)
            XCTAssertEqual(a.validation?.lossNats.bitPattern, b.validation?.lossNats.bitPattern)
            XCTAssertEqual(a.history.map(\.valLoss.bitPattern), b.history.map(\.valLoss.bitPattern))
        }
        XCTAssertEqual(assembled.summaries.map(\.valLossMean.bitPattern), whole.summaries.map(\.valLossMean.bitPattern))
        XCTAssertEqual(assembled.summaries.map(\.valLossStd.bitPattern), whole.summaries.map(\.valLossStd.bitPattern))
    }

    func testWindowSharesTileTheText() {
        for count in [0, 1, 2, 3, 10, 101, 257] {
            for window in [1, 3, 7, 256, 1000] {
                let targets = max(count - 1, 0)
                for parts in 1...4 {
                    var scored = 0, next = 0
                    for part in 0..<parts {
                        let r = windowShare(count: count, window: window, part: part, parts: parts)
                        if r.isEmpty { continue }
                        XCTAssertEqual(r.lowerBound, next, "count \(count) W \(window) part \(part)/\(parts)")
                        XCTAssertEqual(r.lowerBound % window, 0)
                        scored += r.count - 1
                        next = r.upperBound - 1  // the next part starts at this part's last token
                    }
                    XCTAssertEqual(scored, targets, "count \(count) W \(window) parts \(parts)")
                }
            }
        }
    }

    func testWindowSharesSumToTheWholeFigure() throws {
        let V = 11
        let data = randomTokens(count: 203, vocabulary: V, seed: 5)
        for cell in [CellKind.lstm, .gru] {
            let m = try LanguageModel(
                config: ModelConfig(
                    cell: cell, layers: 2, hidden: 8, embedding: 6,
                    vocabularySize: V), seed: 9)
            for W in [1, 7, 40, 500] {
                let whole = evaluateWindows(model: m, data: data, window: W)
                for parts in [1, 2, 3] {
                    var sum = 0.0, count = 0
                    for part in 0..<parts {
                        let s = evaluateWindowShare(model: m, data: data, window: W, part: part, parts: parts)
                        sum += s.lossSum
                        count += s.count
                    }
                    XCTAssertEqual(count, whole.chars)
                    XCTAssertEqual(
                        sum / Double(count), whole.lossNats, accuracy: 1e-5 * whole.lossNats,
                        "\(cell) W \(W) parts \(parts)")
                }
            }
        }
    }
}
