import Checkpointing
import Foundation
import Models
import Tokenization
import XCTest
import _TestSupport

/// The run directory's names, its contents, the run a `--resume` path belongs to, a branch, an
/// interrupted replacement and the saved settings: all without a trainer or a process.
final class RunDirectoryTests: XCTestCase {
    struct Settings: Codable, Equatable {
        var eval_every: Int
    }

    struct State: Encodable {
        var step: Int
    }

    /// Writes a small checkpoint at `path` (step `step` in its trainer_state.json).
    func writeCheckpoint(_ path: String, step: Int, evalEvery: Int = 7) throws {
        let model = try LanguageModel(config: ModelConfig(cell: .rnn, layers: 1, hidden: 4, vocabularySize: 3))
        let vocabulary = try Vocabulary(unit: .scalar, normalization: .none, tokens: ["a", "b", "\n"])
        try Checkpoint.save(
            to: path, model: model, vocabulary: vocabulary, training: Settings(eval_every: evalEvery),
            extraTensors: [] as [Checkpoint.Tensor], trainerState: State(step: step))
    }

    func testNamesAndWhatARunHolds() throws {
        let root = try temporaryDirectory(self, "names").path
        let run = RunDirectory(root + "/run")
        XCTAssertEqual(run.latest, root + "/run/latest")
        XCTAssertEqual(run.best, root + "/run/best")
        XCTAssertEqual(run.metrics, root + "/run/metrics.jsonl")
        XCTAssertEqual(run.plot, root + "/run/loss.svg")
        XCTAssertEqual(run.lock, root + "/run/.lock")
        XCTAssertEqual(RunDirectory.default(forCorpus: "/data/tiny.txt"), RunDirectory("runs/tiny"))
        XCTAssertTrue(run.contents.isEmpty, "a missing directory holds no run")
        XCTAssertNoThrow(try run.requireNoRun())

        try writeCheckpoint(run.latest, step: 30)
        try writeCheckpoint(run.best, step: 20)
        try Data("{}\n".utf8).write(to: URL(fileURLWithPath: run.metrics))
        XCTAssertEqual(run.contents, RunDirectory.Contents(names: ["latest", "best", "metrics.jsonl"], latestStep: 30))
        XCTAssertEqual("\(run.contents)", "latest/ at step 30, best/, metrics.jsonl")
        XCTAssertThrowsError(try run.requireNoRun()) { error in
            XCTAssertEqual(error as? RunDirectoryError, .holdsRun(path: run.path, contents: run.contents))
            XCTAssertEqual(
                "\(error)",
                "\(run.path) already holds a run (latest/ at step 30, best/, metrics.jsonl): continue that run, "
                    + "or start the new one in another directory")
        }
        assertSpeaksInFacts([RunDirectoryError.holdsRun(path: run.path, contents: run.contents)])
        XCTAssertEqual(run.checkpoint(), run.best)
        XCTAssertEqual(run.checkpoint(preferLatest: true), run.latest)
        XCTAssertEqual(try Checkpoint.resolve(run.path), run.best)
    }

    func testTheRunAResumePathBelongsTo() throws {
        let root = try temporaryDirectory(self, "resume").path
        let run = RunDirectory(root + "/run")
        try writeCheckpoint(run.latest, step: 5, evalEvery: 123)
        XCTAssertEqual(try RunDirectory.containing(resume: run.path), run)
        XCTAssertEqual(try RunDirectory.containing(resume: run.latest), run)
        XCTAssertEqual(try RunDirectory.containing(resume: run.latest + "/"), run)
        // A checkpoint of its own, outside any run: the continued run needs a directory.
        try writeCheckpoint(root + "/alone", step: 5)
        XCTAssertThrowsError(try RunDirectory.containing(resume: root + "/alone")) {
            XCTAssertEqual($0 as? RunDirectoryError, .checkpointOutsideRun(path: root + "/alone"))
        }
        XCTAssertThrowsError(try RunDirectory.containing(resume: root + "/missing")) {
            XCTAssertTrue($0 is CheckpointError, "\($0)")
        }
        // The settings the run saved (config.json's training section), read without loading the model.
        XCTAssertEqual(RunDirectory.savedTraining(Settings.self, resume: run.path), Settings(eval_every: 123))
        XCTAssertNil(RunDirectory.savedTraining(Settings.self, resume: root + "/missing"))
    }

    func testABranchStartsFromTheSourcesBestAndMetricsAndNeverOverARun() throws {
        let root = try temporaryDirectory(self, "branch").path
        let source = RunDirectory(root + "/source"), target = RunDirectory(root + "/target")
        try writeCheckpoint(source.latest, step: 9)
        try writeCheckpoint(source.best, step: 8)
        try Data("{\"step\":9}\n".utf8).write(to: URL(fileURLWithPath: source.metrics))
        try target.branch(from: source, copyMetrics: true)
        let fm = FileManager.default
        XCTAssertTrue(fm.fileExists(atPath: target.best + "/model.safetensors"))
        XCTAssertFalse(fm.fileExists(atPath: target.latest), "latest/ is the continued run's to write")
        XCTAssertEqual(fm.contents(atPath: target.metrics), fm.contents(atPath: source.metrics))
        XCTAssertTrue(fm.fileExists(atPath: source.latest), "the source is left as it is")
        XCTAssertThrowsError(try target.branch(from: source, copyMetrics: true)) {
            guard case .holdsRun(let path, let contents)? = $0 as? RunDirectoryError else { return XCTFail("\($0)") }
            XCTAssertEqual(path, target.path)
            XCTAssertEqual(contents.names, ["best", "metrics.jsonl"])
        }
    }

    func testAReplacementCutShortKeepsTheOldRunOrFinishesWhereTheOldOneIsGone() throws {
        let root = try temporaryDirectory(self, "replace").path
        let fm = FileManager.default
        let run = RunDirectory(root + "/run")
        try writeCheckpoint(run.latest, step: 30)
        try Data("old\n".utf8).write(to: URL(fileURLWithPath: run.metrics))
        // Killed before its first checkpoint: the replacing run goes, the old run stays whole.
        try fm.createDirectory(atPath: run.replacing.path, withIntermediateDirectories: true)
        try Data("new\n".utf8).write(to: URL(fileURLWithPath: run.replacing.metrics))
        run.cleanLeftovers()
        XCTAssertFalse(fm.fileExists(atPath: run.replacing.path))
        XCTAssertEqual(run.contents.latestStep, 30)
        XCTAssertEqual(fm.contents(atPath: run.metrics), Data("old\n".utf8))

        // Its first checkpoint written: adopting it replaces every name of the old run.
        try writeCheckpoint(run.replacing.latest, step: 3)
        try Data("new\n".utf8).write(to: URL(fileURLWithPath: run.replacing.metrics))
        try writeCheckpoint(run.best, step: 20)
        try run.adoptReplacingRun()
        XCTAssertEqual(run.contents, RunDirectory.Contents(names: ["latest", "metrics.jsonl"], latestStep: 3))
        XCTAssertEqual(fm.contents(atPath: run.metrics), Data("new\n".utf8))
        XCTAssertFalse(fm.fileExists(atPath: run.replacing.path))

        // Killed while moving in, the old latest/ already gone: the next trainer finishes the move.
        try writeCheckpoint(run.replacing.latest, step: 4)
        try fm.removeItem(atPath: run.latest)
        run.cleanLeftovers()
        XCTAssertEqual(run.contents.latestStep, 4)
        XCTAssertFalse(fm.fileExists(atPath: run.replacing.path))
    }
}
