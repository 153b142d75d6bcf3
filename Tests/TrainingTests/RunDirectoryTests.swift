import Checkpointing
import Foundation
import Models
import XCTest
import _TestSupport
import _TrainingTestSupport

@testable import Training

/// A run directory belongs to one trainer at a time; what a killed run left is cleaned; what is
/// not a checkpoint is never deleted.
final class RunDirectoryTests: XCTestCase {
    func makeSession(
        _ label: String, out given: String? = nil, steps: Int = 4, replacing: Bool = false
    ) throws -> (TrainingSession, String) {
        let dir = try temporaryDirectory(self, label)
        let corpus = dir.appendingPathComponent("corpus.txt").path
        try Data(pseudoEnglish(characters: 1500).utf8).write(to: URL(fileURLWithPath: corpus))
        let out = given ?? dir.appendingPathComponent("run").path
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let session = try TrainingSession(
            corpus: corpus, model: ModelConfig(cell: .rnn, layers: 1, hidden: 8, vocabularySize: 1),
            settings: tinySettings(steps: steps), text: TextOptions(), outDirectory: out, replacing: replacing)
        return (session, out)
    }

    func run(_ session: TrainingSession) throws {
        _ = try session.run(onStep: { _ in }, onEvent: { _ in }, shouldStop: { false })
    }

    func testASecondTrainerIsRefusedWithTheOwnersPid() throws {
        let (session, out) = try makeSession("lock")
        let held = try RunDirectoryLock(directory: out)
        XCTAssertThrowsError(try RunDirectoryLock(directory: out)) { error in
            XCTAssertEqual(error as? TrainingError, .runDirectoryInUse(path: out, pid: getpid()))
            XCTAssertTrue(
                "\(error)".hasPrefix("\(out) is in use by another charnn train (pid \(getpid()))"), "\(error)")
        }
        XCTAssertThrowsError(try run(session)) {
            XCTAssertTrue("\($0)".contains("in use by another charnn train"), "\($0)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/latest"), "the refused trainer wrote nothing")
        held.release()
        try run(session)
        XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/latest/config.json"))
        XCTAssertNoThrow(try RunDirectoryLock(directory: out), "the lock ends with the run")
    }

    func testLeftoversOfAKilledRunAreCleaned() throws {
        let (session, out) = try makeSession("leftovers")
        let fm = FileManager.default
        try fm.createDirectory(atPath: out + "/latest.tmp", withIntermediateDirectories: true)
        try Data("half".utf8).write(to: URL(fileURLWithPath: out + "/latest.tmp/model.safetensors"))
        try Data("half".utf8).write(to: URL(fileURLWithPath: out + "/.loss.svg.4242.tmp"))
        try Data("keep".utf8).write(to: URL(fileURLWithPath: out + "/notes.txt"))
        try run(session)
        XCTAssertFalse(fm.fileExists(atPath: out + "/latest.tmp"))
        XCTAssertFalse(fm.fileExists(atPath: out + "/.loss.svg.4242.tmp"))
        XCTAssertTrue(fm.fileExists(atPath: out + "/notes.txt"), "only charnn's own leftovers go")
        // latest.old next to a complete latest/ is a leftover too; alone it is the only copy.
        try fm.copyItem(atPath: out + "/latest", toPath: out + "/latest.old")
        RunDirectory(out).cleanLeftovers()
        XCTAssertFalse(fm.fileExists(atPath: out + "/latest.old"))
        try fm.moveItem(atPath: out + "/latest", toPath: out + "/latest.old")
        RunDirectory(out).cleanLeftovers()
        XCTAssertTrue(fm.fileExists(atPath: out + "/latest.old/config.json"), "the only complete copy stays")
    }

    func testAFileNamedLatestIsNeverDeleted() throws {
        let (session, out) = try makeSession("latestfile")
        try Data("my notes".utf8).write(to: URL(fileURLWithPath: out + "/latest"))
        XCTAssertThrowsError(try run(session)) { error in
            XCTAssertTrue("\(error)".contains(out + "/latest") && "\(error)".contains("is a file"), "\(error)")
        }
        XCTAssertEqual(try String(contentsOfFile: out + "/latest", encoding: .utf8), "my notes")
        // Checkpoint.save refuses it on its own too.
        XCTAssertThrowsError(try session.save(start: Date(), best: false))
        XCTAssertEqual(try String(contentsOfFile: out + "/latest", encoding: .utf8), "my notes")
    }

    func testANewRunRefusesADirectoryThatHoldsARun() throws {
        let (first, out) = try makeSession("refuse")
        try run(first)
        let before = try Data(contentsOf: URL(fileURLWithPath: out + "/metrics.jsonl"))
        let (second, _) = try makeSession("refuse", out: out)
        XCTAssertThrowsError(try run(second)) { error in
            XCTAssertEqual(
                error as? RunDirectoryError,
                .holdsRun(
                    path: out,
                    contents: RunDirectory.Contents(names: ["latest", "best", "metrics.jsonl"], latestStep: 4)))
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: out + "/metrics.jsonl")), before)
    }

    func testAReplacingRunTakesThePlaceOfTheOldOneOnlyOnceItHasACheckpoint() throws {
        let (first, out) = try makeSession("overwrite")
        try run(first)
        let fm = FileManager.default
        // A second run of 2 steps, replacing: set up, then "killed" before its first checkpoint.
        let (second, _) = try makeSession("overwrite", out: out, steps: 2, replacing: true)
        let lock = try second.prepareRunDirectory()
        XCTAssertEqual(second.metricsPath, out + "/.replacing/metrics.jsonl")
        lock.release()
        second.metricsFile?.close()
        XCTAssertEqual(RunDirectory(out).contents.latestStep, 4, "the old run is whole until the new one saves")
        let (third, _) = try makeSession("overwrite", out: out, steps: 2, replacing: true)
        try run(third)
        XCTAssertEqual(RunDirectory(out).contents.latestStep, 2)
        XCTAssertFalse(fm.fileExists(atPath: out + "/.replacing"))
        let metrics = try String(contentsOfFile: out + "/metrics.jsonl", encoding: .utf8)
        let steps = metrics.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["step"] as? Int
        }
        XCTAssertEqual(steps.max(), 2, "only the new run's lines: \(metrics)")
        XCTAssertTrue(fm.fileExists(atPath: out + "/loss.svg"))
        XCTAssertEqual(third.metricsPath, out + "/metrics.jsonl")
    }
}
