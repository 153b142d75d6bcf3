import Foundation
import Models
import XCTest
import _TrainingTestSupport

@testable import Training

/// When training stops: `--steps` and `--epochs` count from the start of training.
final class BudgetTests: XCTestCase {
    func trainer(budget: TrainingBudget) throws -> Trainer {
        let data = randomTokens(count: 501, vocabulary: 6, seed: 2)
        let model = try LanguageModel(config: ModelConfig(cell: .rnn, layers: 1, hidden: 4, vocabularySize: 6), seed: 1)
        var settings = tinySettings(steps: 0)
        settings.budget = budget
        // B 4, S 16 over 500 tokens: L = 124, 7 windows per epoch.
        return try Trainer(model: model, settings: settings, train: data, validation: Array(data.prefix(40)))
    }

    func stepsUntilBudget(_ t: Trainer) -> Int {
        var n = 0
        while !t.budgetReached(elapsed: 0) && n < 1000 {
            XCTAssertNotNil(t.step(elapsed: 0) { _ in })
            n += 1
        }
        return n
    }

    func testEpochBudgetTrainsWholeEpochsOnly() throws {
        for epochs in 1...3 {
            let t = try trainer(budget: TrainingBudget(epochs: epochs))
            XCTAssertEqual(t.progress.batcher.windowsPerEpoch, 7)
            XCTAssertEqual(
                stepsUntilBudget(t), 7 * epochs, "--epochs \(epochs) is \(epochs) passes, not one window more")
            XCTAssertEqual(t.completedEpochs, epochs)
            XCTAssertEqual(t.progress.batcher.epoch, epochs - 1, "the last pass has not wrapped yet")
        }
    }

    func testStepBudgetCountsFromTheStart() throws {
        let t = try trainer(budget: TrainingBudget(steps: 10))
        XCTAssertEqual(stepsUntilBudget(t), 10)
        XCTAssertEqual(t.progress.step, 10)
        XCTAssertEqual(t.completedEpochs, 1)
        // A trainer resumed from step 10 with the same budget has nothing left to do; with 15, five steps.
        let same = try trainer(budget: TrainingBudget(steps: 10))
        same.progress = t.progress
        XCTAssertEqual(stepsUntilBudget(same), 0)
        let more = try trainer(budget: TrainingBudget(steps: 15))
        more.progress = t.progress
        XCTAssertEqual(stepsUntilBudget(more), 5)
    }
}
