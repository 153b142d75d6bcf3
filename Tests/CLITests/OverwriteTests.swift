import Foundation
import XCTest
import _TestSupport

/// `train --out DIR` never replaces a run silently: refused with what is there, or replaced with
/// `--overwrite` once the new run's first checkpoint is written.
final class OverwriteTests: XCTestCase {
    var dir: TemporaryDirectory!

    override func setUpWithError() throws {
        dir = try TemporaryDirectory("cli-overwrite")
        let shared = try SharedRun.get()
        _ = try dir.write("corpus.txt", shared.text)
        try FileManager.default.copyItem(atPath: shared.runDirectory, toPath: dir.path("run"))
    }

    override func tearDown() { dir?.remove() }

    func latestStep() throws -> String {
        try CLI.run(["info", "run/latest"], in: dir.url).stdout
    }

    func testARunIsRefusedWithWhatItHoldsAndTheWaysOn() throws {
        let metrics = try Data(contentsOf: URL(fileURLWithPath: dir.path("run/metrics.jsonl")))
        let r = try CLI.run(["train", "corpus.txt"] + tinyModel + ["--steps", "3", "--out", "run"], in: dir.url)
        assertUserError(
            r,
            contains: [
                "--out run already holds a run (latest/ at step \(SharedRun.steps), best/, metrics.jsonl)",
                "--resume run", "--overwrite",
            ])
        XCTAssertTrue(try latestStep().contains("step \(SharedRun.steps),"))
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: dir.path("run/metrics.jsonl"))), metrics)
        // The default run directory is no exception.
        try FileManager.default.createDirectory(atPath: dir.path("runs"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: dir.path("run"), toPath: dir.path("runs/corpus"))
        let byDefault = try CLI.run(["train", "corpus.txt"] + tinyModel + ["--steps", "3"], in: dir.url)
        assertUserError(byDefault, contains: ["--out runs/corpus already holds a run", "--overwrite"])
        let both = try CLI.run(["train", "corpus.txt", "--resume", "run", "--overwrite"], in: dir.url)
        assertUserError(both, contains: ["--overwrite starts a new run"])
    }

    func testOverwriteKeepsTheOldRunUntilTheNewOneHasACheckpoint() throws {
        // Killed before its first checkpoint (no evaluation before step 10^6): the old run is whole.
        let long = try CLI.start(
            ["train", "corpus.txt"] + tinyModel + [
                "--steps", "1000000", "--eval-every", "1000000", "--out", "run", "--overwrite",
            ],
            in: dir.url)
        let deadline = Date().addingTimeInterval(60)
        while long.process.isRunning && !long.stderrSoFar.contains(" | epoch ") && Date() < deadline { usleep(50_000) }
        XCTAssertTrue(
            long.stderrSoFar.contains("this run replaces it once its first checkpoint is written"), long.stderrSoFar)
        kill(long.process.processIdentifier, SIGKILL)
        _ = long.wait(timeout: 30)
        XCTAssertTrue(try latestStep().contains("step \(SharedRun.steps),"), "the old run survives")
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.path("run/best/config.json")))

        let r = try CLI.run(
            ["train", "corpus.txt"] + tinyModel + ["--steps", "3", "--out", "run", "--overwrite"], in: dir.url)
        assertSuccess(r)
        XCTAssertTrue(try latestStep().contains("step 3,"), "replaced")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.path("run/.replacing")))
        let metrics = try String(contentsOfFile: dir.path("run/metrics.jsonl"), encoding: .utf8)
        XCTAssertFalse(metrics.contains("\"step\":\(SharedRun.steps)"), "the old run's metrics are gone: \(metrics)")
        XCTAssertTrue(metrics.contains("\"step\":3"), metrics)
    }
}
