import Foundation
import XCTest
import _TestSupport

/// The REPL's thread team spins only while it generates: waiting for the next line costs no CPU.
final class ReplIdleTests: XCTestCase {
    /// utime + stime of a process, in clock ticks (100 a second per busy core), from /proc.
    func cpuTicks(_ pid: Int32) -> Int? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After "(comm)": state is field 3 of stat(5), utime 14 and stime 15.
        guard fields.count > 12, let u = Int(fields[11]), let s = Int(fields[12]) else { return nil }
        return u + s
    }

    func testIdleReplUsesNoCPU() throws {
        guard FileManager.default.fileExists(atPath: "/proc/self/stat") else { throw XCTSkip("needs /proc (Linux)") }
        guard ProcessInfo.processInfo.activeProcessorCount >= 2 else { throw XCTSkip("one core: no thread team") }
        let exe = try CLI.binary()
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let checkpoint = root.appendingPathComponent("checkpoints/shakespeare-lstm").path
        guard FileManager.default.fileExists(atPath: checkpoint) else { throw XCTSkip("no shipped checkpoint") }
        let dir = try TemporaryDirectory("cli-repl-idle")
        defer { dir.remove() }
        let errURL = dir.url.appendingPathComponent("stderr")
        FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let process = Process()
        process.executableURL = exe
        process.arguments = ["repl", checkpoint, "--length", "20", "--threads", "2"]
        let input = Pipe()
        process.standardInput = input
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        process.standardError = try FileHandle(forWritingTo: errURL)
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        input.fileHandleForWriting.write(Data("ROMEO:\n/info\n".utf8))
        // /info answers once the continuation is done.
        let deadline = Date().addingTimeInterval(60)
        var err = ""
        while Date() < deadline && !err.contains("weights f32") {
            usleep(50_000)
            err = (try? String(contentsOf: errURL, encoding: .utf8)) ?? ""
        }
        XCTAssertTrue(err.contains("weights f32, 2 threads"), "the REPL should sample on a team of 2: \(err)")
        usleep(100_000)  // past the 2 ms of spinning
        let before = try XCTUnwrap(cpuTicks(process.processIdentifier))
        sleep(1)
        let after = try XCTUnwrap(cpuTicks(process.processIdentifier))
        // A spinning thread would use ~100 ticks a second.
        XCTAssertLessThan(after - before, 15, "CPU ticks used in one idle second")
        input.fileHandleForWriting.closeFile()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, err)
    }
}
