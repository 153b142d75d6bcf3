import Checkpointing
import Comparison
import Foundation
import Models
import Training
import XCTest
import _TestSupport
import _TrainingTestSupport

/// What the trainer's errors and limits do to a comparison, and what a comparison will take.
final class ComparisonBudgetTests: XCTestCase {
    /// The comparison's errors speak in facts, never in flags (the executable adds those).
    func testNoErrorNamesAFlag() {
        assertSpeaksInFacts([
            ComparisonError.validationTooSmall(path: "a.txt", units: 1),
            ComparisonError.cannotMatchParameters(cell: .gru, parameters: 1234, closestHidden: 7, relativeGap: 0.031),
            ComparisonError.rankFailed(rank: 1, ranks: 2, message: "a.txt: no such file"),
            ComparisonError.unreadableResults(rank: 1, reason: "truncated"),
        ])
    }

    /// compare: a learning rate that throws the weights far off ends the comparison with the
    /// divergence, not with a curve of NaN.
    func testComparisonReportsDivergence() throws {
        let dir = try temporaryDirectory(self, "loop-compare")
        let corpus = dir.appendingPathComponent("corpus.txt").path
        try pseudoEnglish(characters: 3000).write(toFile: corpus, atomically: true, encoding: .utf8)
        var settings = tinySettings(steps: 40)
        settings.optimizer.learningRate = 1e30
        let spec = ComparisonSpec(
            cells: [.rnn], match: .hidden, layers: 1, hidden: 8, embedding: nil, dropout: 0,
            settings: settings, seeds: [1], evaluations: 2)
        XCTAssertThrowsError(
            try Comparison.run(
                corpus: corpus, text: TextOptions(), spec: spec,
                onProgress: { _, _, _, _, _ in })
        ) { error in
            guard case TrainingError.diverged = error else { return XCTFail("\(error)") }
        }
    }

    /// compare refuses a comparison whose cells cannot fit before any run starts.
    func testComparisonChecksMemoryBeforeTheFirstRun() throws {
        let dir = try temporaryDirectory(self, "loop-compare-memory")
        let corpus = dir.appendingPathComponent("corpus.txt").path
        try pseudoEnglish(characters: 3000).write(toFile: corpus, atomically: true, encoding: .utf8)
        let spec = ComparisonSpec(
            cells: [.rnn, .lstm], match: .hidden, layers: 64, hidden: 16384, embedding: 8,
            dropout: 0, settings: tinySettings(steps: 2), seeds: [1], evaluations: 1)
        var progressed = false
        XCTAssertThrowsError(
            try Comparison.run(
                corpus: corpus, text: TextOptions(), spec: spec,
                onProgress: { _, _, _, _, _ in progressed = true })
        ) { error in
            guard error is InsufficientMemory else { return XCTFail("\(error)") }
        }
        XCTAssertFalse(progressed)
    }

    /// The estimate printed before the first run: the training budget of every run, and the
    /// evaluations that come on top of it (`--max-time 40s` for two cells is not 80 s).
    func testTheEstimateCoversEveryRunAndItsEvaluations() throws {
        let dir = try temporaryDirectory(self, "compare-estimate")
        let corpus = dir.appendingPathComponent("corpus.txt").path
        try Data(pseudoEnglish(characters: 6000).utf8).write(to: URL(fileURLWithPath: corpus))
        var settings = tinySettings(steps: 1)
        settings.budget = TrainingBudget(maxTime: 40)
        let spec = ComparisonSpec(
            cells: [.lstm, .gru], match: .hidden, layers: 1, hidden: 8, embedding: nil,
            dropout: 0, settings: settings, seeds: [1, 2], evaluations: 20)
        let plan = try ComparisonPlan(corpus: corpus, text: TextOptions(), spec: spec, fractions: [0.5, 1])
        let e = try plan.estimate()
        XCTAssertEqual(e.cells.map(\.cell), [.lstm, .gru])
        XCTAssertEqual(e.runsPerCell, 4, "2 fractions × 2 seeds")
        for c in e.cells {
            XCTAssertEqual(c.trainSeconds, 40, "--max-time is each run's training")
            XCTAssertEqual(c.evaluations, 20)
            XCTAssertGreaterThan(c.evaluationSeconds, 0)
            XCTAssertEqual(c.seconds, 40 + 20 * c.evaluationSeconds, accuracy: 1e-9)
        }
        XCTAssertEqual(e.totalSeconds, 4 * (e.cells[0].seconds + e.cells[1].seconds), accuracy: 1e-9)
        XCTAssertGreaterThan(e.totalSeconds, 8 * 40, "the evaluations come on top of the budget")
        XCTAssertEqual(e.totalSeconds - e.evaluationSeconds, 8 * 40, accuracy: 1e-6)

        // A step budget: the steps at the measured speed, a positive figure.
        var steps = spec
        steps.settings.budget = TrainingBudget(steps: 50)
        let byStep = try ComparisonPlan(corpus: corpus, text: TextOptions(), spec: steps).estimate()
        XCTAssertTrue(byStep.cells.allSatisfy { $0.trainSeconds > 0 && $0.trainSeconds.isFinite })
        XCTAssertEqual(byStep.runsPerCell, 2)
    }

    /// A training part too small for one batch is refused before the first run, naming the corpus.
    func testTheEstimateRefusesATrainingPartTooSmallNamingTheCorpus() throws {
        let dir = try temporaryDirectory(self, "compare-small")
        let corpus = dir.appendingPathComponent("corpus.txt").path
        try Data(pseudoEnglish(characters: 1000).utf8).write(to: URL(fileURLWithPath: corpus))
        var settings = TrainingSettings()
        settings.budget = TrainingBudget(steps: 5)
        let spec = ComparisonSpec(
            cells: [.rnn], match: .hidden, layers: 1, hidden: 4, embedding: nil, dropout: 0,
            settings: settings, seeds: [1], evaluations: 1)
        let plan = try ComparisonPlan(corpus: corpus, text: TextOptions(), spec: spec)
        XCTAssertThrowsError(try plan.estimate()) { error in
            guard case TrainingError.corpusTooSmall(_, 50, 50, corpus)? = error as? TrainingError else {
                return XCTFail("\(error)")
            }
        }
    }
}
