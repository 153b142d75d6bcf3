import Checkpointing
import Foundation
import Models
import XCTest
import _TestSupport
import _TrainingTestSupport

@testable import Training

/// A run interrupted and resumed equals the uninterrupted run, bit for bit, with the default
/// cosine schedule (whose learning rate depends on the budget's progress) and with dropout.
final class ResumeEquivalenceTests: XCTestCase {
    func run(corpus: String, out: String, settings: TrainingSettings, stopAfter: Int? = nil, resume: Bool = false)
        throws
    {
        let config = ModelConfig(cell: .lstm, layers: 2, hidden: 8, vocabularySize: 1, dropout: 0.25)
        let session = try TrainingSession(
            corpus: corpus, model: config, settings: settings, text: TextOptions(),
            outDirectory: out, resume: resume ? out : nil)
        let outcome = try session.run(
            onStep: { _ in }, onEvent: { _ in },
            shouldStop: { stopAfter.map { session.trainer.progress.step >= $0 } ?? false })
        XCTAssertEqual(outcome, stopAfter == nil ? .finished : .interrupted)
    }

    func testCosineScheduleResumesExactly() throws {
        var settings = tinySettings(steps: 30, evalEvery: 10, seed: 4)
        settings.schedule = .cosine(warmup: 3)
        try assertResumesExactly(settings, "resume")
    }

    /// The staggered state resets count windows from the start of training, not of the invocation.
    func testStateResetsResumeExactly() throws {
        var settings = tinySettings(steps: 30, evalEvery: 10, seed: 4)
        settings.resetEvery = 4
        try assertResumesExactly(settings, "resume-reset")
    }

    func assertResumesExactly(_ settings: TrainingSettings, _ name: String) throws {
        let dir = try temporaryDirectory(self, name)
        let corpus = dir.appendingPathComponent("corpus.txt").path
        try Data(pseudoEnglish(characters: 2000).utf8).write(to: URL(fileURLWithPath: corpus))
        let a = dir.appendingPathComponent("A").path, b = dir.appendingPathComponent("B").path
        try run(corpus: corpus, out: a, settings: settings)
        // B stops (as on Ctrl-C) at step 13, between evaluations, then resumes with the same budget.
        try run(corpus: corpus, out: b, settings: settings, stopAfter: 13)
        XCTAssertEqual(try Checkpoint.load(b + "/latest").progress?.step, 13)
        try run(corpus: corpus, out: b, settings: settings, resume: true)

        let ca = try Checkpoint.load(a + "/latest"), cb = try Checkpoint.load(b + "/latest")
        XCTAssertEqual(cb.progress?.step, 30)
        assertSameWeights(ca.model, cb.model, "after resume:")
        XCTAssertEqual(ca.extraTensors.keys.sorted(), cb.extraTensors.keys.sorted())
        for (name, t) in ca.extraTensors { assertIdentical(t.values, cb.extraTensors[name]?.values ?? [], name) }
        XCTAssertEqual(ca.progress?.batcher, cb.progress?.batcher)
        XCTAssertEqual(ca.progress?.dropoutRNG, cb.progress?.dropoutRNG)
        // The validation losses at the evaluations both runs made agree too.
        let va = ca.progress?.history.map { $0.validation?.lossNats }
        let vb = cb.progress?.history.filter { $0.step % 10 == 0 }.map { $0.validation?.lossNats }
        XCTAssertEqual(va, vb)
    }
}
