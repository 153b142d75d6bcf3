import Foundation
import XCTest
import _TestSupport

/// Output that cannot be written is an error (one line, status 1), and a reader that went away
/// (`charnn sample … | head`) ends the command quietly.
final class OutputErrorTests: XCTestCase {
    var dir: TemporaryDirectory!

    override func setUpWithError() throws { dir = try TemporaryDirectory("cli-output") }
    override func tearDown() { dir?.remove() }

    func testAFullDeviceOnStdoutIsAnError() throws {
        guard FileManager.default.fileExists(atPath: "/dev/full") else { throw XCTSkip("no /dev/full (not Linux)") }
        let shared = try SharedRun.get()
        let commands: [[String]] = [
            ["--help"],
            ["info", shared.latest],
            ["sample", shared.latest, "--length", "200", "--threads", "1"],
            ["eval", shared.latest, shared.corpus, "--json", "--threads", "1"],
        ]
        for arguments in commands {
            let r = try CLI.start(arguments, in: dir.url, stdout: "/dev/full").wait(timeout: 60)
            XCTAssertFalse(r.signaled, r.summary)
            XCTAssertEqual(r.status, 1, r.summary)
            XCTAssertEqual(
                r.stderrLines.filter { $0.hasPrefix("error:") },
                ["error: standard output: No space left on device"], r.summary)
        }
    }

    /// Diagnostics lost to a full stderr do not stop the work, but the status says so.
    func testAFullDeviceOnStderrIsStatus1() throws {
        guard FileManager.default.fileExists(atPath: "/dev/full") else { throw XCTSkip("no /dev/full (not Linux)") }
        let shared = try SharedRun.get()
        // The prime's unknown character makes a warning on stderr.
        let r = try CLI.start(
            ["sample", shared.latest, "--prime", "a\u{26A1}", "--length", "20", "--threads", "1"],
            in: dir.url, stderr: "/dev/full"
        ).wait(timeout: 60)
        XCTAssertFalse(r.signaled, r.summary)
        XCTAssertEqual(r.status, 1, r.summary)
        XCTAssertTrue(r.stdout.hasPrefix("a\u{26A1}"), "the sample is still written: \(r.summary)")
    }

    func testAClosedPipeEndsQuietly() throws {
        let shared = try SharedRun.get()
        let pipe = Pipe()
        // Far more text than the test reads: only the closed pipe can end it in time.
        let running = try CLI.start(
            ["sample", shared.latest, "--length", "100000000", "--threads", "1"],
            in: dir.url, stdout: pipe)
        try pipe.fileHandleForWriting.close()
        var received = 0
        while received < 200 {
            let data = pipe.fileHandleForReading.availableData
            if data.isEmpty { break }
            received += data.count
        }
        XCTAssertGreaterThanOrEqual(received, 200, "sample stopped before writing 200 bytes")
        try pipe.fileHandleForReading.close()
        let r = running.wait(timeout: 60)
        XCTAssertFalse(r.signaled, "died of SIGPIPE instead of ending: \(r.summary)")
        XCTAssertEqual(r.status, 0, r.summary)
        XCTAssertFalse(r.stderr.contains("error"), r.summary)
    }
}
