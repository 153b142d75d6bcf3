import Foundation
import XCTest
import _TestSupport

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
        // A server of its own per test: a socket name reused while the last test's server shuts down can
        // leave the new session without a screen.
        session = "charnn-test-\(getpid())-\(UUID().uuidString.prefix(8))"
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
        let pid = try XCTUnwrap(
            Int32(
                String(contentsOfFile: dir.path("pid"), encoding: .utf8)
                    .trimmingCharacters(in: .whitespacesAndNewlines)))
        XCTAssertEqual(kill(pid, SIGTERM), 0)
        let lines = try waitFor("the exit") { $0.contains("EXIT=143") && $0.contains { $0.contains("icanon") } }
        // stty -a after the exit: echo and canonical mode are on again (libedit had turned them off).
        let flags = lines.flatMap { $0.split(separator: " ").map(String.init) }
        XCTAssertTrue(flags.contains("echo") && flags.contains("icanon"), "\(lines)")
        XCTAssertTrue(lines.contains("terminated"), "\(lines)")
    }

    /// The screen shows what the model reads: a continuation follows its typed line on the same row
    /// (no blank line the model never wrote), and a line typed after an output that ended mid-line
    /// starts on a new line for the model too. /inspect's page holds the model's context.
    func testTheScreenShowsWhatTheModelReads() throws {
        let run = try SharedRun.get()
        try start(run, history: "")
        for (i, line) in ["the", "and so", ""].enumerated() {
            try type(line, then: "Enter")
            _ = try waitFor("prompt \(i + 2)") { $0.filter { $0.hasPrefix(">") }.count == i + 2 && $0.last == ">" }
        }
        try type("/inspect page", then: "Enter")
        _ = try waitFor("/inspect") { $0.contains { $0.hasPrefix("inspected ") } && $0.last == ">" }
        // The rows from the first prompt to /inspect's, prompts taken off: the transcript on the screen.
        let rows = try tmux(["capture-pane", "-p", "-J", "-t", session]).split(
            separator: "\n", omittingEmptySubsequences: false
        ).map(String.init)
        let first = try XCTUnwrap(rows.firstIndex { $0.hasPrefix("> the") }, "\(rows)")
        let last = try XCTUnwrap(rows.firstIndex { $0.hasPrefix("> /inspect page") }, "\(rows)")
        let shown = rows[first..<last].map { $0.hasPrefix("> ") ? String($0.dropFirst(2)) : $0 }
        let json = try JSONSerialization.jsonObject(
            with: Data(contentsOf: dir.url.appendingPathComponent("page/inspect.json")))
        let tokens = try XCTUnwrap((json as? [String: Any])?["tokens"] as? [String])
        // (capture-pane drops the spaces that end a row: so does the comparison.)
        let read = tokens.joined().split(separator: "\n", omittingEmptySubsequences: false).map {
            String($0.reversed().drop { $0 == " " }.reversed())
        }
        XCTAssertEqual(shown + [""], read, "the screen:\n\(rows[first..<last].joined(separator: "\n"))")
    }

    /// Tab after /load completes a folder with "/" and no space, so a second Tab goes into it.
    func testTabCompletesFoldersForLoad() throws {
        let run = try SharedRun.get()
        try FileManager.default.createDirectory(
            atPath: dir.path("runs-here/first-run"), withIntermediateDirectories: true)
        _ = try dir.write("runs-here/first-run/config.json", "{}")
        try start(run, history: "")
        try type("/load run", then: "Tab")
        _ = try waitFor("Tab to complete the folder") { $0.last == "> /load runs-here/" }
        try keys("Tab")
        _ = try waitFor("Tab to go into it") { $0.last == "> /load runs-here/first-run/" }
        try keys("Tab")
        _ = try waitFor("a file") { $0.last == "> /load runs-here/first-run/config.json" }
        try keys("C-u")
        try type("/insp", then: "Tab")
        _ = try waitFor("a command") { $0.last == "> /inspect" }
    }

    // MARK: - tmux

    /// Starts the REPL in a new tmux session (its pid in DIR/pid), then `then` after it exits.
    func start(_ run: SharedRun, history: String, then after: String = "true") throws {
        let exe = try CLI.binary().path
        let command =
            "cd '\(dir.url.path)' && CHARNN_HISTORY='\(history)' sh -c 'echo $$ > pid; exec \"$0\" \"$@\"' "
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
