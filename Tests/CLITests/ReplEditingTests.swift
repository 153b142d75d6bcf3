import Foundation
import XCTest

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
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.url.appendingPathComponent(
            "page/inspect.json"))) as? [String: Any]
        let tokens = try XCTUnwrap(json?["tokens"] as? [String], "inspect.json has tokens")
        XCTAssertEqual(tokens.joined() + "\n", r.stdout, "the page's text is the REPL's output")
        XCTAssertEqual(tokens.count, 3 + 10)
        XCTAssertTrue(fm.fileExists(atPath: dir.path("page/index.html")))
        XCTAssertTrue(r.stderr.contains("inspected 13 "), r.stderr)
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
        let r = try CLI.run(["repl", run.latest, "--length", "2600", "--seed", "2"], in: dir.url,
                            stdin: "the\n\n/inspect page\n")
        assertSuccess(r)
        // "the" + 2600, then an empty line continues the context for 2600 more: 5203, cut to 5000.
        XCTAssertTrue(r.stderr.contains("the context holds 5203 "), r.stderr)
        XCTAssertTrue(r.stderr.contains("the page shows the last 5000, traced from a zero state"), r.stderr)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.url.appendingPathComponent(
            "page/inspect.json"))) as? [String: Any]
        let tokens = try XCTUnwrap(json?["tokens"] as? [String])
        XCTAssertEqual(tokens.count, 5000)
        // stdout: "the", the first 2600, a newline (display only), the next 2600, a newline.
        let body = Array(r.stdout.dropLast())
        XCTAssertEqual(body.count, 3 + 2600 + 1 + 2600, "one character per token in this corpus")
        let seen = body.dropLast(2601) + body.suffix(2600)
        XCTAssertEqual(tokens.joined(), String(seen.suffix(5000)))
    }

    func testHelpListsInspect() throws {
        let run = try SharedRun.get()
        let r = try CLI.run(["repl", run.latest], in: dir.url, stdin: "/help\n")
        assertSuccess(r)
        XCTAssertTrue(r.stderr.contains("/inspect [DIR]"), r.stderr)
    }
}

/// The REPL on a real terminal, driven through tmux: opt-in (CHARNN_TMUX_TESTS=1), since it needs tmux
/// and waits on a screen.
final class ReplTerminalTests: XCTestCase {
    var dir: TemporaryDirectory!
    var session = ""

    override func setUpWithError() throws {
        guard ProcessInfo.processInfo.environment["CHARNN_TMUX_TESTS"] == "1" else {
            throw XCTSkip("the terminal test runs with CHARNN_TMUX_TESTS=1 (needs tmux)")
        }
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux") else {
            XCTFail("CHARNN_TMUX_TESTS=1 but /usr/bin/tmux is missing (apt-get install tmux)")
            throw TestStop("no tmux")
        }
        dir = try TemporaryDirectory("cli-repl-tmux")
        session = "charnn-test-\(getpid())"
    }

    override func tearDown() {
        if !session.isEmpty { _ = try? tmux(["kill-server"]) }
        dir?.remove()
    }

    func testEditingHistoryCompletionAndCtrlC() throws {
        let run = try SharedRun.get()
        let history = dir.path("state/charnn/history")
        try start(run, history: history)
        try type("the king", then: "Enter")
        _ = try waitFor("the second prompt") { $0.filter { $0.hasPrefix(">") }.count == 2 && $0.last == ">" }
        // Up recalls the line; Tab completes a slash command.
        try keys("Up")
        _ = try waitFor("Up to recall 'the king'") { $0.last == "> the king" }
        try keys("C-u")
        try type("/he", then: "Tab")
        _ = try waitFor("Tab to complete /he") { $0.last == "> /help" }
        try keys("Enter")
        _ = try waitFor("/help's text") { $0.contains { $0.hasPrefix("/inspect [DIR]") } && $0.last == ">" }
        // Ctrl-C at the prompt drops the line and shows the note; the REPL goes on.
        try type("abc", then: "C-c")
        _ = try waitFor("the Ctrl-C note") {
            $0.contains { $0.hasPrefix("(Ctrl-C stops a generation") } && $0.last == ">"
        }
        try type("/info", then: "Enter")
        // (Had "abc" stayed on the line, "abc/info" would have been text for the model, not a command.)
        _ = try waitFor("/info after Ctrl-C") { $0.contains { $0.hasPrefix("weights f32") } && $0.last == ">" }
        try keys("C-d")
        _ = try waitFor("the exit") { $0.contains("EXIT=0") }
        _ = try tmux(["kill-session", "-t", session])

        // A new run recalls the previous one's lines, newest first.
        try start(run, history: history)
        for expected in ["> /info", "> /help", "> the king"] {
            try keys("Up")
            _ = try waitFor("Up to recall '\(expected)'") { $0.last == expected }
        }
        try keys("C-u")
        try type("/quit", then: "Enter")
        _ = try waitFor("the exit") { $0.contains("EXIT=0") }
        _ = try tmux(["kill-session", "-t", session])
        let saved = try String(contentsOfFile: history, encoding: .utf8)
        XCTAssertTrue(saved.contains("king") && saved.contains("/info"), saved)
    }

    func testAnUnwritableHistoryWarnsOnce() throws {
        let run = try SharedRun.get()
        let file = try dir.write("file", "a regular file")
        try start(run, history: file + "/history")
        try type("/seed 4", then: "Enter")
        _ = try waitFor("/seed") { $0.contains("seed 4") && $0.last == ">" }
        try type("/seed 5", then: "Enter")
        let lines = try waitFor("/seed") { $0.contains("seed 5") && $0.last == ">" }
        XCTAssertEqual(lines.filter { $0.hasPrefix("warning: ") && $0.contains("history") }.count, 1, "\(lines)")
        try keys("Up")
        _ = try waitFor("Up within the session") { $0.last == "> /seed 5" }
    }

    func testSIGTERMAtThePromptGivesTheTerminalBack() throws {
        let run = try SharedRun.get()
        try start(run, history: "", then: "stty -a")
        let pid = try XCTUnwrap(Int32(String(contentsOfFile: dir.path("pid"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)))
        XCTAssertEqual(kill(pid, SIGTERM), 0)
        let lines = try waitFor("the exit") { $0.contains("EXIT=143") && $0.contains { $0.contains("icanon") } }
        // stty -a after the exit: echo and canonical mode are on again (libedit had turned them off).
        let flags = lines.flatMap { $0.split(separator: " ").map(String.init) }
        XCTAssertTrue(flags.contains("echo") && flags.contains("icanon"), "\(lines)")
        XCTAssertTrue(lines.contains("terminated"), "\(lines)")
    }

    // MARK: - tmux

    /// Starts the REPL in a new tmux session (its pid in DIR/pid), then `then` after it exits.
    func start(_ run: SharedRun, history: String, then after: String = "true") throws {
        let exe = try CLI.binary().path
        let command = "cd '\(dir.url.path)' && CHARNN_HISTORY='\(history)' sh -c 'echo $$ > pid; exec \"$0\" \"$@\"' "
            + "'\(exe)' repl '\(run.latest)' --length 10 --seed 1; echo EXIT=$?; \(after); sleep 60"
        _ = try tmux(["new-session", "-d", "-s", session, "-x", "120", "-y", "50", command])
        _ = try waitFor("the first prompt") { $0.last == ">" }
    }

    func type(_ text: String, then key: String) throws {
        _ = try tmux(["send-keys", "-t", session, "-l", text])
        try keys(key)
    }

    func keys(_ key: String) throws { _ = try tmux(["send-keys", "-t", session, key]) }

    /// The screen's lines, blank ones left out.
    func screen() throws -> [String] {
        try tmux(["capture-pane", "-p", "-t", session]).split(separator: "\n").map(String.init)
            .filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
    }

    func waitFor(_ what: String, timeout: TimeInterval = 30, _ ready: ([String]) -> Bool) throws -> [String] {
        let deadline = Date().addingTimeInterval(timeout)
        var lines: [String] = []
        while Date() < deadline {
            lines = try screen()
            if ready(lines) { return lines }
            Thread.sleep(forTimeInterval: 0.1)
        }
        XCTFail("waited \(Int(timeout)) s for \(what); the screen:\n" + lines.joined(separator: "\n"))
        throw TestStop("timeout")
    }

    /// Runs tmux with posix_spawn and waitpid: Foundation's Process did not notice the exit of the
    /// client whose new-session forks the server (the test hung on a zombie).
    @discardableResult
    func tmux(_ arguments: [String]) throws -> String {
        let out = dir.path(".tmux-out")
        // A server of its own (-L): the tests never touch the user's tmux sessions.
        let argv = ["tmux", "-L", session] + arguments
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        // Output to a file, not a pipe: the server that new-session forks would keep a pipe open.
        posix_spawn_file_actions_addopen(&actions, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        var cArgs = argv.map { strdup($0) } + [nil]
        defer { for p in cArgs { free(p) } }
        var pid: pid_t = 0
        let e = posix_spawn(&pid, "/usr/bin/tmux", &actions, nil, &cArgs, environ)
        guard e == 0 else { throw TestStop("posix_spawn tmux: \(String(cString: strerror(e)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
    }
}
