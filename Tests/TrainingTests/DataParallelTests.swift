import Communication
import Foundation
import Models
import XCTest
import _TestSupport
import _TrainingTestSupport

@testable import Training

/// Data-parallel training (docs/distributed.md) without MPI: N ranks simulated in one process
/// (`LoopbackHub`) must compute what one process computes with the same global batch. `make mpi-test`
/// checks the same under mpirun with the real binary.
final class DataParallelTests: XCTestCase {
    /// Pseudo-English as ids of its distinct characters.
    static let corpus: [Int32] = {
        let text = Array(pseudoEnglish(characters: 6000, seed: 9).unicodeScalars)
        let alphabet = Array(Set(text)).sorted { $0.value < $1.value }
        let index = Dictionary(uniqueKeysWithValues: alphabet.enumerated().map { ($1, Int32($0)) })
        return text.map { index[$0]! }
    }()
    static var vocabulary: Int { Int(corpus.max()!) + 1 }

    func testARanksWindowHoldsItsStreamsOfTheWholeWindow() {
        let data = Array(Self.corpus.prefix(500))
        var whole = StreamBatcher(count: data.count, batch: 7, steps: 5)
        var wholeIn = [Int32](repeating: 0, count: 35), wholeOut = wholeIn
        for ranks in [2, 3] {
            var parts = (0..<ranks).map { _ in whole }
            whole.next(from: data, inputs: &wholeIn, targets: &wholeOut)
            for r in 0..<ranks {
                let mine = evenShare(of: 7, part: r, parts: ranks)
                var inputs = [Int32](repeating: 0, count: 5 * mine.count), targets = inputs
                parts[r].next(from: data, inputs: &inputs, targets: &targets, streams: mine)
                XCTAssertEqual(parts[r], whole, "position and epoch advance as for the whole batch")
                for t in 0..<5 {
                    for (j, b) in mine.enumerated() {
                        XCTAssertEqual(inputs[t * mine.count + j], wholeIn[t * 7 + b])
                        XCTAssertEqual(targets[t * mine.count + j], wholeOut[t * 7 + b])
                    }
                }
            }
        }
    }

    /// Per-step losses and validation losses of a run over `ranks` simulated ranks, with the final weights.
    struct Run { var losses: [Double], validations: [Double], weights: [Float], calls: [Int] }

    func train(cell: CellKind, dropout: Float, ranks: Int, batch: Int = 7, steps: Int = 24) throws -> [Run] {
        let data = Self.corpus, split = 5400
        var s = tinySettings(steps: steps, seed: 11)
        s.batch = batch
        s.steps = 8
        s.schedule = .cosine(warmup: 2)
        let settings = s
        let config = ModelConfig(cell: cell, layers: 2, hidden: 16, vocabularySize: Self.vocabulary, dropout: dropout)
        let hub = LoopbackHub(size: ranks)
        let results = hub.run { world -> Run in
            let trainer = try Trainer(
                config: config, settings: settings, train: Array(data[..<split]),
                validation: Array(data[split...]), communicator: world)
            var run = Run(losses: [], validations: [], weights: [], calls: [])
            _ = try TrainingLoop(trainer: trainer, schedule: .everySteps(8)).run(
                onStep: { run.losses.append($0.loss) },
                onEvaluation: { run.validations.append($0.validation?.lossNats ?? .nan) })
            run.weights = trainer.model.parameters.flatMap { $0.value.array }
            return run
        }
        var runs = try results.map { try $0.get() }
        for r in runs.indices { runs[r].calls = [hub.calls[r]] }
        return runs
    }

    func relative(_ a: Double, _ b: Double) -> Double { abs(a - b) / max(abs(b), 1e-12) }

    func testRanksReproduceOneProcessForEveryCell() throws {
        for cell in CellKind.allCases {
            // Dropout on for the gated cells: the masks must be those one process draws.
            let dropout: Float = cell == .lstm || cell == .gru ? 0.25 : 0
            let one = try train(cell: cell, dropout: dropout, ranks: 1)[0]
            XCTAssertEqual(one.losses.count, 24)
            for ranks in [2, 3] {
                let runs = try train(cell: cell, dropout: dropout, ranks: ranks)
                for (r, run) in runs.enumerated() {
                    // Every rank saw the same global losses and holds bitwise the same weights.
                    XCTAssertEqual(run.losses, runs[0].losses, "\(cell) rank \(r) of \(ranks)")
                    XCTAssertEqual(run.validations, runs[0].validations, "\(cell) rank \(r) of \(ranks)")
                    assertIdentical(run.weights, runs[0].weights, "\(cell) rank \(r) of \(ranks) weights")
                    XCTAssertEqual(run.calls, runs[0].calls, "\(cell): every rank made the same collectives")
                }
                let run = runs[0]
                XCTAssertEqual(run.losses.count, one.losses.count)
                for (step, (a, b)) in zip(run.losses, one.losses).enumerated() {
                    XCTAssertLessThan(relative(a, b), 1e-4, "\(cell), \(ranks) ranks, step \(step + 1): \(a) vs \(b)")
                }
                XCTAssertEqual(run.validations.count, 3)
                for (a, b) in zip(run.validations, one.validations) {
                    XCTAssertLessThan(relative(a, b), 1e-4, "\(cell), \(ranks) ranks, validation: \(a) vs \(b)")
                }
                let drift = zip(run.weights, one.weights).map { abs($0 - $1) }.max() ?? .nan
                XCTAssertLessThan(drift, 1e-3, "\(cell), \(ranks) ranks: weights drift by \(drift)")
            }
        }
    }

    /// Weights gone NaN on one rank only: its loss makes the summed loss NaN everywhere, so every rank skips
    /// the same updates, rolls back at the same step to the same snapshot, and goes on in step.
    func testADivergenceOnOneRankIsHandledAlikeEverywhere() throws {
        let vocabulary = Self.vocabulary, data = Self.corpus
        let results = LoopbackHub(size: 2).run {
            world -> (
                actions: [String], backoff: Float, weights: [Float],
                step: Int
            ) in
            let config = ModelConfig(cell: .lstm, layers: 1, hidden: 8, vocabularySize: vocabulary)
            let trainer = try Trainer(
                config: config,
                settings: tinySettings(steps: 100), train: Array(data[..<5000]),
                validation: Array(data[5000...]), communicator: world)
            try trainer.synchronizeStart()
            _ = try trainer.trainingStep(elapsed: 0) { _ in }
            trainer.takeSnapshot()
            if world.rank == 1 { trainer.model.decoderBias.value.pointer[0] = .nan }
            var actions: [String] = []
            for _ in 0..<3 {
                let loss = try trainer.trainingStep(elapsed: 0) { event in
                    if case .nonFinite(_, let action) = event { actions.append(action) }
                }
                if loss != nil { actions.append("stepped") }
            }
            _ = try trainer.trainingStep(elapsed: 0) { _ in }
            return (
                actions, trainer.progress.lrBackoff, trainer.model.parameters.flatMap { $0.value.array },
                trainer.progress.step
            )
        }
        let ranks = try results.map { try $0.get() }
        XCTAssertEqual(ranks[0].actions.count, 3, "\(ranks[0].actions)")
        XCTAssertTrue(ranks[0].actions[0].contains("skipped"), "\(ranks[0].actions)")
        XCTAssertTrue(ranks[0].actions[2].contains("rolled back"), "\(ranks[0].actions)")
        XCTAssertEqual(ranks[1].actions, ranks[0].actions)
        XCTAssertEqual(ranks.map(\.backoff), [0.125, 0.125])
        XCTAssertEqual(ranks.map(\.step), [2, 2], "one step before, one after the roll-back")
        XCTAssertTrue(ranks[1].weights.allSatisfy(\.isFinite))
        assertIdentical(ranks[1].weights, ranks[0].weights, "weights after the roll-back")
    }

    func testBatchSmallerThanTheRanksIsRefused() throws {
        let hub = LoopbackHub(size: 3)
        let world = LoopbackCommunicator(hub: hub, rank: 1)
        var settings = tinySettings(steps: 5)
        settings.batch = 2
        XCTAssertThrowsError(
            try Trainer(
                config: ModelConfig(cell: .gru, layers: 1, hidden: 4, vocabularySize: 6),
                settings: settings, train: Array(Self.corpus.prefix(400)).map { $0 % 6 },
                validation: Array(Self.corpus.suffix(100)).map { $0 % 6 },
                communicator: world)
        ) { error in
            XCTAssertEqual(error as? TrainingError, .fewerStreamsThanRanks(batch: 2, ranks: 3))
            assertSpeaksInFacts([error])
        }
    }
}
