import Foundation
import XCTest
import _TestSupport

/// The REPL's /inspect through piped stdin, and (opt-in, CHARNN_TMUX_TESTS=1, needs tmux) its terminal
/// path: line editing, history kept across runs, Tab completion, Ctrl-C at the prompt.
final class ReplEditingTests: XCTestCase {
    var dir: TemporaryDirectory!

    override func setUpWithError() throws { dir = try TemporaryDirectory("cli-repl-editing") }
    override func tearDown() { dir?.remove() }

    func testInspectWritesThePageOfTheContext() throws {
        let run = try SharedRun.get()
        _ = try dir.write("file", "a regular file")
        let script = """
            /inspect early
            the
            /inspect page
            /inspect file/page
            /info
            /inspect
            /reset
            /inspect after-reset
            """
        let r = try CLI.run(["repl", run.latest, "--length", "10", "--seed", "2"], in: dir.url, stdin: script + "\n")
        assertSuccess(r)
        let fm = FileManager.default
        // The page holds exactly what the model saw and wrote: the prime and the continuation (stdout).
        let json =
            try JSONSerialization.jsonObject(
                with: Data(
                    contentsOf: dir.url.appendingPathComponent(
                        "page/inspect.json"))) as? [String: Any]
        let tokens = try XCTUnwrap(json?["tokens"] as? [String], "inspect.json has tokens")
        // ... exactly: the newline that ends the output for the next line, when the model did not
        // write it, was fed as well.
        XCTAssertEqual(tokens.joined(), r.stdout, "the page's text is the REPL's output")
        let continuation = r.stdout.dropFirst(3).prefix(10)
        XCTAssertEqual(tokens.count, 3 + 10 + (continuation.hasSuffix("\n") ? 0 : 1), r.stdout.debugDescription)
        XCTAssertTrue(fm.fileExists(atPath: dir.path("page/index.html")))
        XCTAssertTrue(r.stderr.contains("inspected \(tokens.count) "), r.stderr)
        XCTAssertTrue(r.stderr.contains("wrote page/index.html"), r.stderr)
        // Without DIR: inspect-<time> in the working directory.
        let defaults = try fm.contentsOfDirectory(atPath: dir.url.path).filter { $0.hasPrefix("inspect-") }
        XCTAssertEqual(defaults.count, 1, "\(defaults)")
        if let d = defaults.first { XCTAssertTrue(fm.fileExists(atPath: dir.path(d + "/index.html"))) }
        // Before any text, after /reset, and into a path under a file: one error line each, and the REPL goes on.
        let errors = r.stderrLines.filter { $0.hasPrefix("error: ") }
        XCTAssertEqual(errors.count, 3, r.stderr)
        XCTAssertEqual(errors.filter { $0.contains("context holds 0 ") }.count, 2, r.stderr)
        XCTAssertTrue(errors.contains { $0.contains("file/page") }, r.stderr)
        XCTAssertFalse(fm.fileExists(atPath: dir.path("early")))
        XCTAssertFalse(fm.fileExists(atPath: dir.path("after-reset")))
        let failed = try XCTUnwrap(r.stderrLines.firstIndex { $0.contains("file/page") })
        XCTAssertTrue(r.stderrLines[failed...].contains { $0.hasPrefix("weights f32") }, "/info ran after the error")
    }

    func testALongContextIsCutToItsLastCharacters() throws {
        let run = try SharedRun.get()
        let r = try CLI.run(
            ["repl", run.latest, "--length", "2600", "--seed", "2"], in: dir.url,
            stdin: "the\n\n/inspect page\n")
        assertSuccess(r)
        // "the" + 2600 (+ the newline that ends the line, fed too), then an empty line continues
        // the context for 2600 more (+ a newline): everything stdout shows, cut to its last 5000.
        let out = Array(r.stdout)
        let first = out[3..<2603], newline1 = first.last == "\n" ? 0 : 1
        if newline1 == 1 { XCTAssertEqual(out[2603], "\n") }
        let second = out[(2603 + newline1)...].prefix(2600)
        XCTAssertEqual(out.count, 3 + 2600 + newline1 + 2600 + (second.last == "\n" ? 0 : 1))
        XCTAssertEqual(out.last, "\n")
        XCTAssertTrue(r.stderr.contains("the context holds \(r.stdout.count) "), r.stderr)
        XCTAssertTrue(r.stderr.contains("the page shows the last 5000, traced from a zero state"), r.stderr)
        let json =
            try JSONSerialization.jsonObject(
                with: Data(
                    contentsOf: dir.url.appendingPathComponent(
                        "page/inspect.json"))) as? [String: Any]
        let tokens = try XCTUnwrap(json?["tokens"] as? [String])
        XCTAssertEqual(tokens.count, 5000)
        XCTAssertEqual(tokens.joined(), String(r.stdout.suffix(5000)), "one character per token in this corpus")
    }

    /// What the model reads is what stdout shows, newlines included: an empty first line starts from
    /// a newline (shown), a line after an output that ended mid-line starts on a new line (fed too).
    func testTheContextIsWhatStdoutShows() throws {
        let run = try SharedRun.get()
        let r = try CLI.run(
            ["repl", run.latest, "--length", "7", "--seed", "4"], in: dir.url,
            stdin: "\nthe\n\nand\\nso\n/inspect page\n")
        assertSuccess(r)
        let json = try JSONSerialization.jsonObject(
            with: Data(contentsOf: dir.url.appendingPathComponent("page/inspect.json")))
        let tokens = try XCTUnwrap((json as? [String: Any])?["tokens"] as? [String])
        XCTAssertEqual(tokens.joined(), r.stdout)
        XCTAssertTrue(r.stdout.hasPrefix("\n"), r.stdout.debugDescription)
        let lines = r.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertTrue(lines.contains { $0.hasPrefix("the") }, r.stdout.debugDescription)
        XCTAssertTrue(lines.contains { $0.hasPrefix("and") } && lines.contains { $0.hasPrefix("so") }, r.stdout)
    }

    func testHelpListsInspect() throws {
        let run = try SharedRun.get()
        let r = try CLI.run(["repl", run.latest], in: dir.url, stdin: "/help\n")
        assertSuccess(r)
        XCTAssertTrue(r.stderr.contains("/inspect [DIR]"), r.stderr)
    }
}
