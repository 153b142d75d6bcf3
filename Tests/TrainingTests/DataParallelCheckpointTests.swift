import Checkpointing
import Foundation
import Models
import XCTest
import _TestSupport
import _TrainingTestSupport

@testable import Training

/// A data-parallel run's checkpoint is the one a single process writes (every stream's hidden state in
/// stream order, the common stream position), so a run resumes on any number of ranks.
final class DataParallelCheckpointTests: XCTestCase {
    var corpus = ""

    override func setUpWithError() throws {
        let dir = try temporaryDirectory(self, "ranks")
        corpus = dir.appendingPathComponent("corpus.txt").path
        try Data(pseudoEnglish(characters: 3000, seed: 21).utf8).write(to: URL(fileURLWithPath: corpus))
    }

    /// Trains in `out` over `ranks` simulated ranks until step `until` (interrupted there when `stop`),
    /// resuming from `out` when `resume`.
    func session(ranks: Int, out: String, until: Int, stop: Bool = false, resume: Bool = false) throws {
        var s = tinySettings(steps: stop ? 1000 : until, evalEvery: 6, seed: 3)
        s.batch = 5
        s.steps = 8
        let settings = s
        let config = ModelConfig(cell: .lstm, layers: 2, hidden: 12, vocabularySize: 1, dropout: 0.2)
        let corpus = self.corpus
        let results = LoopbackHub(size: ranks).run { world -> TrainingLoop.Outcome in
            let session = try TrainingSession(
                corpus: corpus, model: config, settings: settings, text: TextOptions(),
                outDirectory: out, resume: resume ? out : nil, communicator: world)
            return try session.run(
                onStep: { _ in }, onEvent: { _ in },
                shouldStop: { stop && session.trainer.progress.step >= until })
        }
        let expected: TrainingLoop.Outcome = stop ? .interrupted : .finished
        for result in results { XCTAssertEqual(try result.get(), expected) }
    }

    func assertClose(
        _ a: Checkpoint, _ b: Checkpoint, _ what: String, file: StaticString = #filePath,
        line: UInt = #line
    ) {
        XCTAssertEqual(a.progress?.step, b.progress?.step, what, file: file, line: line)
        XCTAssertEqual(a.progress?.batcher, b.progress?.batcher, what, file: file, line: line)
        XCTAssertEqual(a.progress?.dropoutRNG, b.progress?.dropoutRNG, what, file: file, line: line)
        XCTAssertEqual(a.extraTensors.keys.sorted(), b.extraTensors.keys.sorted(), what, file: file, line: line)
        for (name, t) in a.extraTensors {
            let u = b.extraTensors[name]?.values ?? []
            XCTAssertEqual(t.values.count, u.count, "\(what): \(name)", file: file, line: line)
            let d = zip(t.values, u).map { abs($0 - $1) }.max() ?? 0
            XCTAssertLessThan(d, 1e-3, "\(what): \(name) differs by \(d)", file: file, line: line)
        }
        for (p, q) in zip(a.model.parameters, b.model.parameters) {
            let d = zip(p.value.array, q.value.array).map { abs($0 - $1) }.max() ?? 0
            XCTAssertLessThan(d, 1e-3, "\(what): \(p.name) differs by \(d)", file: file, line: line)
        }
        let va = a.progress?.history.compactMap { $0.validation?.lossNats } ?? []
        let vb = b.progress?.history.compactMap { $0.validation?.lossNats } ?? []
        XCTAssertEqual(va.count, vb.count, what, file: file, line: line)
        for (x, y) in zip(va, vb) { XCTAssertEqual(x, y, accuracy: 1e-4 * y, what, file: file, line: line) }
    }

    func testTwoRanksCheckpointIsOneProcessesAndResumesOnOne() throws {
        let dir = (corpus as NSString).deletingLastPathComponent as NSString
        let single = dir.appendingPathComponent("single"), ranked = dir.appendingPathComponent("ranked")
        try session(ranks: 1, out: single, until: 9, stop: true)
        try session(ranks: 2, out: ranked, until: 9, stop: true)
        // Interrupted at step 9: the hidden state of all 5 streams, gathered from ranks of 2 and 3 streams.
        let a = try Checkpoint.load(single + "/latest"), b = try Checkpoint.load(ranked + "/latest")
        XCTAssertEqual(b.extraTensors["state.0"]?.shape, [5, 12])
        assertClose(b, a, "2 ranks vs 1 at step 9")
        // 2 ranks → 1 process, and 1 process → 3 ranks, both to step 18: the same as one process throughout.
        try session(ranks: 1, out: ranked, until: 18, resume: true)
        try session(ranks: 3, out: single, until: 18, resume: true)
        let straight = dir.appendingPathComponent("straight")
        try session(ranks: 1, out: straight, until: 18)
        let reference = try Checkpoint.load(straight + "/latest")
        assertClose(try Checkpoint.load(ranked + "/latest"), reference, "2 ranks then 1")
        assertClose(try Checkpoint.load(single + "/latest"), reference, "1 process then 3 ranks")
    }
}
