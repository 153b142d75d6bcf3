import Foundation
import XCTest
import _TestSupport

/// Ctrl-C during `train`: the run saves `latest/` and exits with status 130.
final class InterruptTests: XCTestCase {
    var dir: TemporaryDirectory!

    override func setUpWithError() throws { dir = try TemporaryDirectory("cli-sigint") }
    override func tearDown() { dir?.remove() }

    func testSIGINTSavesTheCheckpointAndExits130() throws {
        _ = try dir.write("corpus.txt", Corpus.text(characters: 3000))
        let running = try CLI.start(
            ["train", "corpus.txt"] + tinyModel
                + ["--steps", "1000000", "--eval-every", "10", "--out", "run"], in: dir.url)
        // Wait for the first checkpoint (the signal handler is installed before training starts).
        let firstCheckpoint = dir.path("run/latest/config.json")
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: firstCheckpoint) && running.process.isRunning && Date() < deadline
        {
            usleep(20_000)
        }
        XCTAssertTrue(running.process.isRunning, "train ended before the interrupt: \(running.stderrSoFar)")
        usleep(200_000)
        running.process.interrupt()
        let r = running.wait(timeout: 60)

        XCTAssertFalse(r.signaled, "died of the signal instead of exiting: \(r.summary)")
        XCTAssertEqual(r.status, 130, r.summary)
        let pattern = try NSRegularExpression(pattern: "interrupted at step ([0-9]+): saved run/latest")
        let m = try XCTUnwrap(
            pattern.firstMatch(in: r.stderr, range: NSRange(r.stderr.startIndex..., in: r.stderr)),
            "no 'interrupted at step N: saved run/latest' in: \(r.stderr)")
        let step = try XCTUnwrap(Int(r.stderr[Range(m.range(at: 1), in: r.stderr)!]))
        XCTAssertGreaterThanOrEqual(step, 10)
        XCTAssertFalse(r.stderr.contains("error:"), r.stderr)

        // The saved checkpoint loads, at the step of the message, with its optimizer state.
        let info = try CLI.run(["info", "run/latest"], in: dir.url)
        assertSuccess(info)
        XCTAssertTrue(info.stdout.contains("step \(step),"), info.stdout)
        XCTAssertTrue(info.stdout.contains("resumable    yes"), info.stdout)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.path("run/latest.tmp")))

        // And training continues from it.
        let resumed = try CLI.run(
            ["train", "corpus.txt", "--resume", "run", "--steps", "\(step + 5)", "--threads", "1"],
            in: dir.url)
        assertSuccess(resumed)
        XCTAssertTrue(resumed.stderr.contains("resuming run/latest at step \(step)"), resumed.stderr)
        let after = try CLI.run(["info", "run/latest"], in: dir.url)
        XCTAssertTrue(after.stdout.contains("step \(step + 5),"), after.stdout)
    }
}
