import Foundation
import XCTest
import _TestSupport

/// `charnn serve` runs the charnn-serve built beside charnn: its help, its refusals, and a live
/// answer on a free port of 127.0.0.1.
final class ServeCommandTests: XCTestCase {
    let shipped = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("checkpoints/shakespeare-lstm").path

    func testHelpIsTheServersOwn() throws {
        let dir = try TemporaryDirectory("cli-serve")
        defer { dir.remove() }
        let r = try CLI.run(["serve", "--help"], in: dir.url)
        XCTAssertEqual(r.status, 0, r.summary)
        for option in [
            "--host", "--port", "--api-key", "--max-streams", "--queue", "--max-tokens", "--precision", "--cors",
            "--http-threads",
        ] {
            XCTAssertTrue(r.stdout.contains(option), "\(option) missing from:\n\(r.stdout)")
        }
    }

    func testRefusalsAreOneErrorLine() throws {
        let dir = try TemporaryDirectory("cli-serve")
        defer { dir.remove() }
        let open = try CLI.run(["serve", shipped, "--host", "0.0.0.0", "--port", "0"], in: dir.url)
        assertUserError(open, contains: ["--api-key", "--insecure-no-key"])
        let missing = try CLI.run(["serve", dir.url.appendingPathComponent("nothing").path], in: dir.url)
        assertUserError(missing, contains: ["nothing"])
        let streams = try CLI.run(["serve", shipped, "--max-streams", "17"], in: dir.url)
        XCTAssertEqual(streams.status, 1, streams.summary)
        XCTAssertTrue(streams.stderr.contains("--max-streams"), streams.summary)
        let loops = try CLI.run(["serve", shipped, "--http-threads", "0"], in: dir.url)
        XCTAssertEqual(loops.status, 1, loops.summary)
        XCTAssertTrue(loops.stderr.contains("--http-threads"), loops.summary)
    }

    /// Starts on port 0, says where, answers a completion, and exits 0 on SIGTERM (with two
    /// HTTP threads: scripts/serve-test.py drives the default, one).
    func testServesAndDrains() throws {
        let dir = try TemporaryDirectory("cli-serve")
        defer { dir.remove() }
        let out = Pipe()
        let running = try CLI.start(["serve", shipped, "--port", "0", "--http-threads", "2"], in: dir.url, stdout: out)
        let line = String(decoding: out.fileHandleForReading.availableData, as: UTF8.self)
        let port = try XCTUnwrap(
            line.range(of: #"127\.0\.0\.1:(\d+)/"#, options: .regularExpression).map {
                Int(line[$0].dropFirst("127.0.0.1:".count).dropLast())
            } ?? nil, "no URL in \(line)")
        XCTAssertTrue(line.contains("/v1 (API)"), line)
        let curl = Process()
        curl.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        curl.arguments = [
            "curl", "-s", "--max-time", "60", "http://127.0.0.1:\(port)/v1/completions", "-H",
            "Content-Type: application/json", "-d", #"{"prompt":"ROMEO:","max_tokens":20,"seed":3}"#,
        ]
        let answer = Pipe()
        curl.standardOutput = answer
        try curl.run()
        let body = answer.fileHandleForReading.readDataToEndOfFile()
        curl.waitUntilExit()
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: body) as? [String: Any])
        let text = try XCTUnwrap((object["choices"] as? [[String: Any]])?.first?["text"] as? String)
        XCTAssertEqual(text.count, 20)
        kill(running.process.processIdentifier, SIGTERM)
        running.process.waitUntilExit()
        XCTAssertEqual(running.process.terminationStatus, 0)
        XCTAssertEqual(running.process.terminationReason, .exit)
    }
}
