import Checkpointing
import Foundation
import Models
import XCTest
import _TestSupport
import _TrainingTestSupport

@testable import Training

/// The one training loop: its evaluation schedules, its budget clock, stopping, and divergence.
final class TrainingLoopTests: XCTestCase {
    func trainer(_ budget: TrainingBudget) throws -> Trainer {
        let data = randomTokens(count: 600, vocabulary: 6, seed: 3)
        var settings = tinySettings(steps: 0)
        settings.budget = budget
        return try Trainer(
            config: ModelConfig(cell: .gru, layers: 1, hidden: 4, vocabularySize: 6),
            settings: settings, train: Array(data[0..<540]), validation: Array(data[540...]))
    }

    /// Runs `loop`, returning the evaluations and the losses of the steps.
    func run(_ loop: TrainingLoop, stopAfter: Int? = nil) throws -> (TrainingLoop.Outcome, [LoopEvaluation], [Double]) {
        var evaluations: [LoopEvaluation] = [], losses: [Double] = []
        let outcome = try loop.run(
            onStep: { losses.append($0.loss) }, onEvaluation: { evaluations.append($0) },
            shouldStop: { stopAfter.map { losses.count >= $0 } ?? false })
        return (outcome, evaluations, losses)
    }

    func testEveryNStepsThenAFinalEvaluation() throws {
        let t = try trainer(TrainingBudget(steps: 10))
        let (outcome, evaluations, losses) = try run(TrainingLoop(trainer: t, schedule: .everySteps(3)))
        XCTAssertEqual(outcome, .finished)
        XCTAssertEqual(losses.count, 10)
        XCTAssertEqual(evaluations.map(\.step), [3, 6, 9, 10])
        XCTAssertEqual(evaluations.map(\.isFinal), [false, false, false, true])
        // Each evaluation's training loss is the mean of the steps since the previous one.
        let mean = { (r: Range<Int>) in losses[r].reduce(0, +) / Double(r.count) }
        for (e, r) in zip(evaluations, [0..<3, 3..<6, 6..<9, 9..<10]) {
            XCTAssertEqual(e.trainLoss, mean(r), accuracy: 1e-12, "step \(e.step)")
            XCTAssertTrue(e.validation?.lossNats.isFinite ?? false)
        }
    }

    func testSpreadOverAStepBudget() throws {
        let t = try trainer(TrainingBudget(steps: 20))
        let (_, evaluations, _) = try run(TrainingLoop(trainer: t, schedule: .spread(4)))
        XCTAssertEqual(evaluations.map(\.step), [5, 10, 15, 20], "the last step was evaluated: no extra evaluation")
    }

    /// A fake clock that reads the step count: each step takes one second and an evaluation none.
    func testSpreadOverATimeBudgetWithAFakeClock() throws {
        let t = try trainer(TrainingBudget(maxTime: 10))
        let loop = TrainingLoop(
            trainer: t, schedule: .spread(5), timeIncludesEvaluations: false,
            clock: { Double(t.progress.step) })
        let (outcome, evaluations, losses) = try run(loop)
        XCTAssertEqual(outcome, .finished)
        XCTAssertEqual(losses.count, 10, "ten one-second steps fill the ten-second budget")
        XCTAssertEqual(evaluations.map(\.step), [2, 4, 6, 8, 10])
        XCTAssertEqual(evaluations.map(\.trainSeconds), [2, 4, 6, 8, 10])
        XCTAssertEqual(loop.trainSeconds, 10)
    }

    /// The budget reads the wall clock when evaluations count: one that costs 3 s ends the run sooner.
    func testTimeBudgetCountsEvaluationsWhenAsked() throws {
        let t = try trainer(TrainingBudget(maxTime: 10))
        var now = 0.0
        let loop = TrainingLoop(trainer: t, schedule: .everySteps(2), clock: { now })
        var steps = 0
        _ = try loop.run(
            onStep: { _ in
                steps += 1; now += 1
            }, onEvaluation: { _ in now += 3 })
        // Steps 1-2 (2 s) + eval (3 s) + steps 3-4 (2 s) + eval (3 s) = 10 s.
        XCTAssertEqual(steps, 4)
        XCTAssertEqual(t.progress.step, 4)
    }

    func testNeverEvaluates() throws {
        let t = try trainer(TrainingBudget(steps: 7))
        let (outcome, evaluations, losses) = try run(TrainingLoop(trainer: t, schedule: .never))
        XCTAssertEqual(outcome, .finished)
        XCTAssertEqual(losses.count, 7)
        XCTAssertTrue(evaluations.isEmpty)
    }

    func testStopRequestInterruptsWithoutAFinalEvaluation() throws {
        let t = try trainer(TrainingBudget(steps: 50))
        let (outcome, evaluations, losses) = try run(TrainingLoop(trainer: t, schedule: .everySteps(3)), stopAfter: 4)
        XCTAssertEqual(outcome, .interrupted)
        XCTAssertEqual(losses.count, 4)
        XCTAssertEqual(t.progress.step, 4)
        XCTAssertEqual(evaluations.map(\.step), [3])
    }

    func testRecentLossesKeepTheLastWindow() throws {
        let t = try trainer(TrainingBudget(steps: 60))
        let loop = TrainingLoop(trainer: t, schedule: .never)
        let (_, _, losses) = try run(loop)
        XCTAssertEqual(loop.recentLosses, Array(losses.suffix(TrainingLoop.recentWindow)))
        XCTAssertEqual(loop.recentMeanLoss, losses.suffix(50).reduce(0, +) / 50, accuracy: 1e-12)
    }

    /// Weights that give NaN on every window: the loop throws instead of stepping a trainer that
    /// gave up (bench and compare used to go on silently).
    func testDivergenceIsThrown() throws {
        let t = try trainer(TrainingBudget(steps: 100))
        t.model.decoderBias.value.pointer[0] = .nan
        XCTAssertThrowsError(try run(TrainingLoop(trainer: t, schedule: .never))) { error in
            guard case TrainingError.diverged = error else { return XCTFail("\(error)") }
        }
        XCTAssertEqual(t.progress.step, 0)
    }

    /// compare and bench refuse a model that cannot fit before allocating it.
    func testTrainerFromConfigChecksMemoryFirst() throws {
        let data = randomTokens(count: 600, vocabulary: 6, seed: 3)
        let huge = ModelConfig(cell: .lstm, layers: 64, hidden: 16384, vocabularySize: 6)
        XCTAssertThrowsError(
            try Trainer(
                config: huge, settings: tinySettings(steps: 1), train: data,
                validation: data)
        ) { error in
            guard error is InsufficientMemory else { return XCTFail("\(error)") }
        }
    }

    /// Roll-backs return to the weights of the last evaluation, not to the start.
    func testRollBackReturnsToTheLastEvaluation() throws {
        let t = try trainer(TrainingBudget(steps: 8))
        let loop = TrainingLoop(trainer: t, schedule: .everySteps(3))
        var evaluated: [Int: [[Float]]] = [:]
        var rolledBackTo: [[Float]]? = nil
        var poisoned = false
        _ = try loop.run(
            onStep: { s in
                // After the step-4 update, weights that give NaN on every window until the roll-back.
                let bias = t.model.decoderBias.value.pointer
                if s.step == 4 && !poisoned { poisoned = true; bias[0] = .nan }
            },
            onEvent: { e in
                guard case .nonFinite(_, let action) = e, action.contains("rolled back") else { return }
                rolledBackTo = weights(t.model)
            },
            onEvaluation: { e in evaluated[e.step] = weights(t.model) })
        XCTAssertTrue(poisoned)
        XCTAssertEqual(try XCTUnwrap(rolledBackTo), evaluated[3], "the snapshot of the step-3 evaluation")
        XCTAssertEqual(t.progress.step, 8)
    }
}
