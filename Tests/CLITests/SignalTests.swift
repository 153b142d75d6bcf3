import Foundation
import XCTest
import _TestSupport

/// SIGTERM and Ctrl-C in every long command: status 128 + the signal (130 for Ctrl-C), one line
/// saying what was kept, never death by the signal. (Ctrl-C in `train` that saves and resumes:
/// InterruptTests.)
final class SignalTests: XCTestCase {
    var dir: TemporaryDirectory!

    override func setUpWithError() throws { dir = try TemporaryDirectory("cli-signals") }
    override func tearDown() { dir?.remove() }

    /// Waits until `condition` holds (or `seconds` pass), polling.
    func waitFor(_ seconds: Double = 60, _ condition: () -> Bool) {
        let deadline = Date().addingTimeInterval(seconds)
        while !condition() && Date() < deadline { usleep(20_000) }
    }

    /// Waits until the process sleeps in the kernel on a FIFO (Linux's wchan names it).
    func waitUntilBlockedOnFIFO(_ running: RunningCommand) {
        let wchan = "/proc/\(running.process.processIdentifier)/wchan"
        waitFor(30) {
            let s = (try? String(contentsOfFile: wchan, encoding: .utf8)) ?? ""
            return s.contains("pipe") || s.contains("partner") || s.contains("fifo")
        }
        usleep(100_000)
    }

    func signal(_ running: RunningCommand, _ sig: Int32) { kill(running.process.processIdentifier, sig) }

    func assertExit(
        _ r: CommandResult, _ status: Int32, saying fragment: String,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertFalse(r.signaled, "died of the signal: \(r.summary)", file: file, line: line)
        XCTAssertEqual(r.status, status, r.summary, file: file, line: line)
        XCTAssertTrue(r.stderr.contains(fragment), "no '\(fragment)' in: \(r.stderr)", file: file, line: line)
        XCTAssertFalse(r.stderr.contains("error:"), r.summary, file: file, line: line)
    }

    func testSIGTERMInTrainSavesLikeCtrlC() throws {
        _ = try dir.write("corpus.txt", Corpus.text(characters: 3000))
        let running = try CLI.start(
            ["train", "corpus.txt"] + tinyModel
                + ["--steps", "1000000", "--eval-every", "10", "--out", "run"], in: dir.url)
        let checkpoint = dir.path("run/latest/config.json")
        waitFor { FileManager.default.fileExists(atPath: checkpoint) || !running.process.isRunning }
        signal(running, SIGTERM)
        let r = running.wait(timeout: 60)
        assertExit(r, 143, saying: "saved run/latest")
        let info = try CLI.run(["info", "run/latest"], in: dir.url)
        assertSuccess(info)
        XCTAssertTrue(info.stdout.contains("resumable    yes"), info.stdout)
    }

    /// open() of a FIFO without a writer blocks: the first Ctrl-C must end it, not be swallowed.
    func testCtrlCWhileTheCorpusIsAFIFOWithoutWriter() throws {
        guard mkfifo(dir.path("corpus.fifo"), 0o600) == 0 else { throw XCTSkip("mkfifo failed") }
        let running = try CLI.start(
            ["train", "corpus.fifo"] + tinyModel + ["--steps", "5", "--out", "run"], in: dir.url)
        waitUntilBlockedOnFIFO(running)
        signal(running, SIGINT)
        let r = running.wait(timeout: 20)
        assertExit(r, 130, saying: "interrupted before training started: nothing saved")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.path("run")))
    }

    /// eval reading a FIFO whose writer keeps it open (it blocks in read()).
    func testCtrlCInEvalExits130() throws {
        let shared = try SharedRun.get()
        let fifo = dir.path("text.fifo")
        guard mkfifo(fifo, 0o600) == 0 else { throw XCTSkip("mkfifo failed") }
        let running = try CLI.start(["eval", shared.latest, fifo, "--threads", "1"], in: dir.url)
        let writer = try XCTUnwrap(FileHandle(forWritingAtPath: fifo))
        writer.write(Data(shared.text.prefix(500).utf8))
        waitUntilBlockedOnFIFO(running)
        signal(running, SIGINT)
        let r = running.wait(timeout: 20)
        try? writer.close()
        assertExit(r, 130, saying: "interrupted: nothing scored")
        XCTAssertEqual(r.stdout, "")
    }

    func testCtrlCInBenchExits130() throws {
        _ = try dir.write("corpus.txt", Corpus.text(characters: 6000))
        let running = try CLI.start(
            [
                "bench", "corpus.txt", "--hidden", "16", "--batch", "4", "--seq", "16",
                "--steps", "100000000", "--threads", "1",
            ], in: dir.url)
        waitFor { running.stderrSoFar.contains("bench: BLAS kernels") || !running.process.isRunning }
        usleep(300_000)
        signal(running, SIGINT)
        assertExit(running.wait(timeout: 20), 130, saying: "interrupted: no result")
    }

    func testCtrlCInSampleKeepsTheTextSoFar() throws {
        let shared = try SharedRun.get()
        let running = try CLI.start(["sample", shared.latest, "--length", "100000000", "--threads", "1"], in: dir.url)
        let out = running.stdoutURL.path
        waitFor {
            ((try? FileManager.default.attributesOfItem(atPath: out)[.size] as? Int) ?? 0) > 100
                || !running.process.isRunning
        }
        signal(running, SIGINT)
        let r = running.wait(timeout: 20)
        assertExit(r, 130, saying: "the text so far is printed above")
        XCTAssertGreaterThan(r.stdout.count, 100)
        XCTAssertTrue(r.stdout.hasSuffix("\n"), "the kept text ends with a newline")
    }

    func testCtrlCInBeamSearchExits130() throws {
        let shared = try SharedRun.get()
        let running = try CLI.start(
            ["sample", shared.latest, "--beam", "20", "--length", "100000000", "--threads", "1"],
            in: dir.url)
        usleep(1_000_000)
        signal(running, SIGINT)
        let r = running.wait(timeout: 20)
        assertExit(r, 130, saying: "interrupted")
        XCTAssertEqual(r.stdout, "")
    }

    /// compare: the interrupted run is marked in the JSON and the table, not reported as a result.
    func testCtrlCInCompareMarksTheInterruptedRun() throws {
        _ = try dir.write("corpus.txt", Corpus.text(characters: 3000))
        let running = try CLI.start(
            [
                "compare", "corpus.txt", "--cells", "lstm,gru", "--match", "hidden",
                "--steps", "10000000", "--evaluations", "100000",
            ] + tinyModel + ["--out", "cmp"],
            in: dir.url)
        // The first progress line comes at step 10: training has begun.
        waitFor { running.stderrSoFar.contains("lstm seed 1 | step") || !running.process.isRunning }
        signal(running, SIGINT)
        let r = running.wait(timeout: 60)
        assertExit(r, 130, saying: "0 of 2 runs finished")
        XCTAssertTrue(r.stdout.contains("lstm (interrupted)"), r.stdout)
        XCTAssertFalse(r.stdout.contains("nan"), r.stdout)
        let json = try jsonObject(String(contentsOfFile: dir.path("cmp/compare.json"), encoding: .utf8))
        XCTAssertEqual(json["interrupted"] as? Bool, true)
        let runs = try XCTUnwrap(json["runs"] as? [[String: Any]])
        XCTAssertEqual(runs.count, 1)
        XCTAssertEqual(runs.first?["interrupted"] as? Bool, true)
        XCTAssertNil(runs.first?["val"], "an interrupted run has no final validation")
        XCTAssertEqual((json["cells"] as? [Any])?.count, 0, "no summary from an interrupted run")
    }
}
