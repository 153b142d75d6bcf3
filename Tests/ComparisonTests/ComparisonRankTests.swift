import Communication
import Comparison
import Foundation
import Models
import Training
import XCTest
import _TestSupport
import _TrainingTestSupport

/// How `compare` deals its runs over ranks (`mpirun -np N`), checked in one process: the shares
/// tile the runs, and the parts put together give the single-process report.
final class ComparisonRankTests: XCTestCase {
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

    func testOneProcessRunsThePlanAndGathersNothing() throws {
        let dir = try temporaryDirectory(self, "compare-world")
        let corpus = dir.appendingPathComponent("corpus.txt").path
        try Data(pseudoEnglish(characters: 2500).utf8).write(to: URL(fileURLWithPath: corpus))
        var settings = tinySettings(steps: 6)
        settings.budget = TrainingBudget(steps: 3)
        let spec = ComparisonSpec(
            cells: [.rnn, .gru], match: .hidden, layers: 1, hidden: 6, embedding: nil,
            dropout: 0, settings: settings, seeds: [1], evaluations: 1)
        let plan = try ComparisonPlan(corpus: corpus, text: TextOptions(), spec: spec)
        var finished: [CellKind] = []
        let runs = try XCTUnwrap(
            try plan.run(
                on: SingleProcess(), onProgress: { _, _, _, _, _ in }, onRunFinished: { finished.append($0.cell) }))
        XCTAssertEqual(runs.map(\.cell), [.rnn, .gru])
        XCTAssertEqual(finished, [.rnn, .gru])
        // One process: a failure is its own (the executable's words), with no rank to name.
        XCTAssertThrowsError(try RankRuns.gather([], failure: "corpus.txt: gone", world: SingleProcess())) {
            XCTAssertEqual($0 as? ComparisonError, .rankFailed(rank: 0, ranks: 1, message: "corpus.txt: gone"))
            XCTAssertEqual("\($0)", "corpus.txt: gone")
        }
        XCTAssertEqual(
            "\(ComparisonError.rankFailed(rank: 2, ranks: 3, message: "no space"))", "no space (rank 2 of 3)")
    }
}
