import Checkpointing
import Foundation
import Models
import NeuralCore
import Optimization
import Tokenization
import XCTest
import _TestSupport
import _TrainingTestSupport

@testable import Training

/// Non-finite losses: skipped updates, learning-rate back-off, roll-back, and never a checkpoint
/// with NaN or infinite weights.
final class NonFiniteTests: XCTestCase {
    /// The action texts of the `.nonFinite` events.
    func nonFiniteActions(_ events: [TrainingEvent]) -> [String] {
        events.compactMap { if case .nonFinite(_, let action) = $0 { return action } else { return nil } }
    }

    func makeTrainer() throws -> Trainer {
        let data = randomTokens(count: 600, vocabulary: 8, seed: 4)
        let model = try LanguageModel(
            config: ModelConfig(cell: .lstm, layers: 1, hidden: 8, vocabularySize: 8), seed: 1)
        return try Trainer(
            model: model, settings: tinySettings(steps: 100), train: Array(data[0..<540]),
            validation: Array(data[540...]))
    }

    func testNaNWeightSkipsUpdatesThenRollsBack() throws {
        let trainer = try makeTrainer()
        XCTAssertNotNil(trainer.step(elapsed: 0) { _ in })
        trainer.takeSnapshot()
        let good = weights(trainer.model)
        trainer.model.decoderBias.value.pointer[0] = .nan
        XCTAssertFalse(trainer.parametersAreFinite)

        var events: [TrainingEvent] = []
        for _ in 0..<3 { XCTAssertNil(trainer.step(elapsed: 0) { events.append($0) }, "a NaN loss is reported as nil") }
        let actions = nonFiniteActions(events)
        XCTAssertEqual(actions.count, 3)
        XCTAssertTrue(actions[0].contains("skipped") && actions[1].contains("skipped"), "\(actions)")
        XCTAssertTrue(actions[2].contains("rolled back"), "\(actions)")
        XCTAssertEqual(trainer.progress.step, 1, "skipped updates are not counted")
        XCTAssertEqual(trainer.progress.lrBackoff, 0.125, "the learning rate halves after each failure")
        XCTAssertTrue(trainer.parametersAreFinite)
        XCTAssertEqual(weights(trainer.model), good, "rolled back to the snapshot")

        // Training goes on from there, at the lower learning rate.
        let loss = try XCTUnwrap(trainer.step(elapsed: 0) { _ in })
        XCTAssertTrue(loss.isFinite)
        XCTAssertEqual(trainer.progress.step, 2)
        XCTAssertEqual(trainer.learningRate(elapsed: 0), 2e-3 * 0.125)
    }

    func testOnlyConsecutiveFailuresRollBack() throws {
        let trainer = try makeTrainer()
        trainer.takeSnapshot()
        let bias = trainer.model.decoderBias.value.pointer
        var events: [TrainingEvent] = []
        // Two failures, a good step, two failures: never three in a row, so no roll-back.
        for round in 0..<2 {
            let saved = bias[0]
            bias[0] = .nan
            for _ in 0..<2 { XCTAssertNil(trainer.step(elapsed: 0) { events.append($0) }) }
            bias[0] = saved
            XCTAssertNotNil(trainer.step(elapsed: 0) { events.append($0) }, "round \(round)")
        }
        let actions = nonFiniteActions(events)
        XCTAssertEqual(actions.count, 4)
        XCTAssertTrue(actions.allSatisfy { $0.contains("skipped") }, "\(actions)")
        XCTAssertEqual(trainer.progress.step, 2)
    }

    func writeCorpus() throws -> (corpus: String, out: String) {
        let dir = try temporaryDirectory(self, "nonfinite")
        let corpus = dir.appendingPathComponent("corpus.txt").path
        try Data(pseudoEnglish(characters: 1500).utf8).write(to: URL(fileURLWithPath: corpus))
        return (corpus, dir.appendingPathComponent("run").path)
    }

    func session(lr: Float? = nil, steps: Int, evalEvery: Int) throws -> (TrainingSession, String) {
        let (corpus, out) = try writeCorpus()
        var settings = tinySettings(steps: steps, evalEvery: evalEvery)
        if let lr { settings.optimizer = OptimizerSettings(kind: .adam, learningRate: lr) }
        let s = try TrainingSession(
            corpus: corpus, model: ModelConfig(cell: .lstm, layers: 1, hidden: 8, vocabularySize: 1),
            settings: settings, text: TextOptions(), outDirectory: out)
        return (s, out)
    }

    func testSaveRefusesNonFiniteWeights() throws {
        let (session, out) = try session(steps: 10, evalEvery: 100)
        try session.save(start: Date(), best: false)
        let latest = out + "/latest/model.safetensors"
        let saved = try Data(contentsOf: URL(fileURLWithPath: latest))
        let good = weights(session.trainer.model)
        for bad in [Float.nan, .infinity, -.infinity] {
            session.trainer.model.layers[0].weightHH.value.pointer[3] = bad
            XCTAssertThrowsError(try session.save(start: Date(), best: true)) { error in
                XCTAssertTrue("\(error)".contains("no checkpoint was written"), "\(error)")
            }
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: latest)), saved, "latest/ untouched")
            XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/best"), "no best/ written")
            XCTAssertEqual(weights(session.trainer.model), good, "the last good weights are restored")
        }
    }

    func testNaNDuringARunRollsBackAndKeepsCheckpointsFinite() throws {
        let (session, out) = try session(steps: 12, evalEvery: 4)
        var events: [TrainingEvent] = []
        var poisoned = false
        let outcome = try session.run(
            onStep: { _ in },
            onEvent: { event in
                events.append(event)
                // Right after the checkpoint at step 4, poison a weight.
                if case .evaluation(let record, _) = event, record.step == 4, !poisoned {
                    session.trainer.model.encoder.value.pointer[0] = .nan
                    poisoned = true
                }
            }, shouldStop: { false })
        XCTAssertEqual(outcome, .finished)
        let actions = nonFiniteActions(events)
        XCTAssertEqual(actions.count, 3, "\(actions)")
        XCTAssertTrue(actions.last?.contains("rolled back") == true, "\(actions)")
        XCTAssertEqual(session.trainer.progress.step, 12)
        let evaluated = events.compactMap { e -> Int? in
            if case .evaluation(let r, _) = e { return r.step } else { return nil }
        }
        XCTAssertEqual(evaluated, [4, 8, 12])
        // Every checkpoint loads (loading rejects non-finite weights) and holds finite validation losses.
        for name in ["latest", "best"] {
            let ckpt = try Checkpoint.load(out + "/" + name)
            XCTAssertTrue(ckpt.model.parameters.allSatisfy { $0.value.array.allSatisfy(\.isFinite) })
        }
        XCTAssertEqual(try Checkpoint.load(out + "/latest").progress?.lrBackoff, 0.125)
    }

    func testAbsurdLearningRateNeverWritesBadWeights() throws {
        // lr 1e30: the first update throws the weights to ~1e30. The next losses are NaN under some
        // BLAS kernels and finite but ~1e30 under others; both are divergence (above the loss
        // bound), so three in a row roll back, the learning rate halves each time, and the run
        // stops with an error instead of saving the weights.
        let (session, out) = try session(lr: 1e30, steps: 12, evalEvery: 4)
        var events: [TrainingEvent] = []
        XCTAssertThrowsError(try session.run(onStep: { _ in }, onEvent: { events.append($0) }, shouldStop: { false })) {
            error in
            guard case TrainingError.diverged(_, let remedy) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(remedy, .smallerSteps, "\(error)")
            XCTAssertTrue("\(error)".contains("lower learning rate"), "\(error)")
        }
        let actions = nonFiniteActions(events)
        XCTAssertGreaterThanOrEqual(actions.count, 3, "the blow-up is reported: \(actions)")
        XCTAssertTrue(actions.contains { $0.contains("rolled back") }, "\(actions)")
        XCTAssertTrue(session.trainer.parametersAreFinite, "the last good weights are back")
        XCTAssertLessThan(maxAbsWeight(session.trainer.model), 100, "the last good weights are back")
        for name in ["latest", "best"] {
            XCTAssertFalse(
                FileManager.default.fileExists(atPath: out + "/" + name), "\(name)/ written with absurd weights")
        }
    }

    /// The largest |w| of the model.
    func maxAbsWeight(_ model: LanguageModel) -> Float {
        weights(model).flatMap { $0 }.map { abs($0) }.max() ?? 0
    }

    /// Decoder biases of ±1e30: every logit is exact (no GEMM sum involved), the loss is finite
    /// and ~1e30 under every kernel. The policy must call that divergence, not a step.
    func poisonWithHugeFiniteBias(_ trainer: Trainer) {
        let bias = trainer.model.decoderBias.value.pointer
        for i in 0..<trainer.model.decoderBias.count { bias[i] = i % 2 == 0 ? 1e30 : -1e30 }
    }

    func testHugeFiniteLossIsDivergenceLikeNaN() throws {
        let trainer = try makeTrainer()
        XCTAssertNotNil(trainer.step(elapsed: 0) { _ in })
        trainer.takeSnapshot()
        let good = weights(trainer.model)
        poisonWithHugeFiniteBias(trainer)
        XCTAssertTrue(trainer.parametersAreFinite, "1e30 is finite (a Float sum of squares would say otherwise)")
        var events: [TrainingEvent] = []
        for _ in 0..<3 { XCTAssertNil(try trainer.trainingStep(elapsed: 0) { events.append($0) }) }
        let actions = nonFiniteActions(events)
        XCTAssertEqual(actions.count, 3, "\(actions)")
        XCTAssertTrue(actions[0].contains("above") && actions[0].contains("skipped"), "\(actions)")
        XCTAssertTrue(actions[2].contains("rolled back"), "\(actions)")
        XCTAssertEqual(weights(trainer.model), good)
        XCTAssertEqual(trainer.progress.step, 1)
    }

    func testParametersAreFiniteIsHonest() throws {
        let trainer = try makeTrainer()
        let w = trainer.model.layers[0].weightHH.value.pointer
        w[0] = 3e38
        w[1] = -3e38
        XCTAssertTrue(trainer.parametersAreFinite)
        w[2] = .infinity
        XCTAssertFalse(trainer.parametersAreFinite)
        w[2] = .nan
        XCTAssertFalse(trainer.parametersAreFinite)
    }

    func testUnsaveableWeightsNamesAbsurdLoss() throws {
        let trainer = try makeTrainer()
        XCTAssertNotNil(trainer.step(elapsed: 0) { _ in })
        XCTAssertNil(trainer.unsaveableWeights())
        let state = trainer.state.h[0].array
        poisonWithHugeFiniteBias(trainer)
        let why = try XCTUnwrap(trainer.unsaveableWeights())
        XCTAssertTrue(why.contains("absurd"), why)
        XCTAssertEqual(trainer.state.h[0].array, state, "the probe leaves the streams' state alone")
    }

    func testSnapshotThatDivergesStopsWithAClearError() throws {
        // A checkpoint whose weights give absurd losses from the start: roll-backs cannot help.
        let trainer = try makeTrainer()
        poisonWithHugeFiniteBias(trainer)
        trainer.takeSnapshot()
        var events: [TrainingEvent] = []
        var thrown: Error?
        for _ in 0..<100 {
            do { _ = try trainer.trainingStep(elapsed: 0) { events.append($0) } } catch { thrown = error; break }
        }
        guard case TrainingError.diverged(let why, let remedy) = try XCTUnwrap(thrown, "the loop stops") else {
            return XCTFail("\(String(describing: thrown))")
        }
        XCTAssertTrue(why.contains("cannot start from the last good state"), why)
        XCTAssertEqual(remedy, .otherStartingWeights, "the learning rate cannot help: the starting weights must change")
        XCTAssertLessThanOrEqual(events.count, 6, "two fruitless roll-backs are enough")
        XCTAssertThrowsError(try trainer.trainingStep(elapsed: 0) { _ in }, "later steps throw the same error")
        XCTAssertNil(trainer.step(elapsed: 0) { _ in }, "the non-throwing step does nothing")
    }

    func testRollbacksAreBoundedAndWarningsRateLimited() throws {
        // Every other window diverges: each roll-back is followed by a good step, so it is progress
        // of a kind, but only `maximumRollbacks` per snapshot are allowed.
        let trainer = try makeTrainer()
        trainer.takeSnapshot()
        let bias = trainer.model.decoderBias.value.pointer
        var events: [TrainingEvent] = []
        var thrown: Error?
        for i in 0..<1000 {
            if i % 4 != 0 { bias[0] = .nan }
            do { _ = try trainer.trainingStep(elapsed: 0) { events.append($0) } } catch { thrown = error; break }
        }
        guard case TrainingError.diverged(let why, let remedy) = try XCTUnwrap(thrown) else { return XCTFail() }
        XCTAssertTrue(why.contains("roll-backs"), why)
        XCTAssertEqual(remedy, .smallerSteps)
        let actions = nonFiniteActions(events)
        XCTAssertEqual(actions.filter { $0.contains("rolled back") }.count, Divergence.maximumRollbacks, "\(actions)")
        XCTAssertLessThanOrEqual(actions.count, Divergence.reportedPerSnapshot + Divergence.maximumRollbacks)
    }

    func testBareTrainerFailuresAreBounded() throws {
        // No snapshot (as `bench` uses the trainer): failures still end.
        let trainer = try makeTrainer()
        trainer.model.decoderBias.value.pointer[0] = .nan
        var events: [TrainingEvent] = []
        var steps = 0
        while steps < 1000 {
            do { _ = try trainer.trainingStep(elapsed: 0) { events.append($0) } } catch { break }
            steps += 1
        }
        XCTAssertNotNil(trainer.divergence)
        XCTAssertLessThan(steps, 100)
        XCTAssertLessThanOrEqual(events.count, Divergence.reportedPerSnapshot)
    }

    func testNaNForgetBiasIsRefusedBeforeTraining() throws {
        var settings = tinySettings(steps: 5)
        settings.forgetBias = .nan
        XCTAssertThrowsError(try settings.validate()) { XCTAssertTrue("\($0)".contains("forget_bias is nan"), "\($0)") }
        let (corpus, out) = try writeCorpus()
        XCTAssertThrowsError(
            try TrainingSession(
                corpus: corpus, model: ModelConfig(cell: .lstm, layers: 1, hidden: 8, vocabularySize: 1),
                settings: settings, text: TextOptions(), outDirectory: out)
        ) {
            XCTAssertTrue("\($0)".contains("forget"), "\($0)")
        }
    }
}
