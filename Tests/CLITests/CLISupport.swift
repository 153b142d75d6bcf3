// Running the built `charnn` binary as a subprocess, small generated corpora, and a shared
// tiny trained run. Everything runs in temporary directories.
import Foundation
import XCTest
import _TestSupport

/// What one invocation of the binary produced.
struct CommandResult {
    var arguments: [String]
    var status: Int32
    /// True when the process died of a signal (a trap, a crash) instead of exiting.
    var signaled: Bool
    var stdout: String
    var stderr: String

    /// The non-empty lines of stderr.
    var stderrLines: [String] { stderr.split(separator: "\n").map(String.init).filter { !$0.isEmpty } }

    var summary: String {
        "charnn \(arguments.joined(separator: " ")) → \(signaled ? "signal" : "status") \(status)\n"
            + "stdout: \(stdout.prefix(2000))\nstderr: \(stderr.prefix(2000))"
    }
}

enum CLI {
    /// The `charnn` executable: next to the test bundle in the build products directory.
    static let executable: URL? = {
        let fm = FileManager.default
        var dirs: [URL] = []
        if let override = ProcessInfo.processInfo.environment["CHARNN_BINARY"] {
            return URL(fileURLWithPath: override)
        }
        if let exe = try? fm.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            dirs.append(URL(fileURLWithPath: exe).deletingLastPathComponent())
        }
        dirs.append(Bundle.main.bundleURL)
        dirs.append(Bundle.main.bundleURL.deletingLastPathComponent())
        dirs.append(Bundle(for: BundleToken.self).bundleURL.deletingLastPathComponent())
        // The package root from this file's path: Tests/CLITests/CLISupport.swift.
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        dirs.append(root.appendingPathComponent(".build/debug"))
        for dir in dirs {
            let candidate = dir.appendingPathComponent("charnn")
            var isDir: ObjCBool = false
            if fm.fileExists(atPath: candidate.path, isDirectory: &isDir), !isDir.boolValue,
                fm.isExecutableFile(atPath: candidate.path)
            {
                return candidate
            }
        }
        return nil
    }()

    final class BundleToken {}

    /// The binary, or a failure: a CLI test without its binary is a broken test, not a skipped one.
    static func binary(file: StaticString = #filePath, line: UInt = #line) throws -> URL {
        guard let executable else {
            XCTFail(
                "the charnn binary was not found next to the test bundle (nor in .build/debug, nor in "
                    + "$CHARNN_BINARY); build it with `swift build --build-tests`", file: file, line: line)
            throw MissingBinary()
        }
        return executable
    }

    struct MissingBinary: Error {}

    /// Starts `charnn ARGS` in `directory`, stdout and stderr going to files (no pipe can fill up).
    /// `environment` sets (or, with nil, removes) variables on top of this process's environment.
    /// `stdout`: a file to write stdout to instead (e.g. /dev/full), or a pipe; `stderr`: a file.
    static func start(
        _ arguments: [String], in directory: URL, stdin: String? = nil,
        environment overrides: [String: String?] = [:], stdout: Any? = nil, stderr: String? = nil,
        file: StaticString = #filePath, line: UInt = #line
    ) throws -> RunningCommand {
        let executable = try binary(file: file, line: line)
        let id = UUID().uuidString
        let outURL = directory.appendingPathComponent(".stdout-\(id)")
        let errURL = directory.appendingPathComponent(".stderr-\(id)")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = directory
        var environment = ProcessInfo.processInfo.environment
        environment["OPENBLAS_NUM_THREADS"] = "1"
        for (key, value) in overrides { environment[key] = value }
        process.environment = environment
        let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
        var customOut: FileHandle? = nil
        if let path = stdout as? String {
            customOut = try XCTUnwrap(FileHandle(forWritingAtPath: path), "cannot open \(path)")
            process.standardOutput = customOut
        } else if let pipe = stdout as? Pipe {
            process.standardOutput = pipe
        } else {
            process.standardOutput = out
        }
        var customErr: FileHandle? = nil
        if let stderr {
            customErr = try XCTUnwrap(FileHandle(forWritingAtPath: stderr), "cannot open \(stderr)")
            process.standardError = customErr
        } else {
            process.standardError = err
        }
        var inURL: URL? = nil
        if let stdin {
            let url = directory.appendingPathComponent(".stdin-\(id)")
            try Data(stdin.utf8).write(to: url)
            process.standardInput = try FileHandle(forReadingFrom: url)
            inURL = url
        } else {
            process.standardInput = FileHandle(forReadingAtPath: "/dev/null")
        }
        try process.run()
        try? out.close()
        try? err.close()
        try? customOut?.close()
        try? customErr?.close()
        return RunningCommand(
            process: process, arguments: arguments, stdoutURL: outURL, stderrURL: errURL, stdinURL: inURL)
    }

    /// Runs `charnn ARGS` to completion (killed after `timeout` seconds, which fails the test).
    @discardableResult
    static func run(
        _ arguments: [String], in directory: URL, stdin: String? = nil, timeout: TimeInterval = 120,
        environment: [String: String?] = [:],
        file: StaticString = #filePath, line: UInt = #line
    ) throws -> CommandResult {
        let running = try start(
            arguments, in: directory, stdin: stdin, environment: environment, file: file, line: line)
        return running.wait(timeout: timeout, file: file, line: line)
    }
}

/// A started `charnn` process.
final class RunningCommand {
    let process: Process
    let arguments: [String]
    let stdoutURL: URL, stderrURL: URL, stdinURL: URL?

    init(process: Process, arguments: [String], stdoutURL: URL, stderrURL: URL, stdinURL: URL?) {
        self.process = process
        self.arguments = arguments
        self.stdoutURL = stdoutURL
        self.stderrURL = stderrURL
        self.stdinURL = stdinURL
    }

    var stderrSoFar: String { (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? "" }

    func wait(timeout: TimeInterval, file: StaticString = #filePath, line: UInt = #line) -> CommandResult {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning {
            XCTFail(
                "charnn \(arguments.joined(separator: " ")) still running after \(Int(timeout)) s; killed", file: file,
                line: line)
            kill(process.processIdentifier, SIGKILL)
        }
        process.waitUntilExit()
        let stdout = (try? String(contentsOf: stdoutURL, encoding: .utf8)) ?? "<stdout is not UTF-8>"
        let stderr = (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? "<stderr is not UTF-8>"
        for url in [stdoutURL, stderrURL] + (stdinURL.map { [$0] } ?? []) {
            try? FileManager.default.removeItem(at: url)
        }
        return CommandResult(
            arguments: arguments, status: process.terminationStatus,
            signaled: process.terminationReason == .uncaughtSignal, stdout: stdout, stderr: stderr)
    }
}

// MARK: - Corpora

/// A small deterministic generator (SplitMix64) for test corpora.
struct CorpusRandom {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}

enum Corpus {
    static let words = """
        the of and to in is was that for it with as his on be at by had are but from or have an they which \
        one you were all she there would their we him been has when who will more no if out so said what up \
        its about than into them can only other new some could time these two may then do first any my now \
        such like our over man me even most made after also did many before must through back years where much \
        your way well down should because each just those people how too little state good very make world still \
        own see men work long get here between both life being under never day same another know while last \
        might us great old year off come since against go came right used take three
        """.split(separator: " ").map(String.init)

    /// Seeded pseudo-English: lowercase words in sentences (capitalized first word, a comma now
    /// and then, a period), several sentences per line. Plain ASCII, so characters = bytes.
    static func text(characters: Int, seed: UInt64 = 7) -> String {
        var rng = CorpusRandom(state: seed)
        var out = ""
        while out.count < characters {
            var sentence: [String] = []
            for i in 0..<(4 + rng.below(9)) {
                var w = words[rng.below(words.count)]
                if i == 0 { w = w.prefix(1).uppercased() + w.dropFirst() }
                if i > 1 && rng.below(8) == 0 { sentence[sentence.count - 1] += "," }
                sentence.append(w)
            }
            out += sentence.joined(separator: " ") + "."
            out += rng.below(3) == 0 ? "\n" : " "
        }
        return String(out.prefix(characters)) + "\n"
    }

    /// The characters `text` uses (whatever the seed): letters, space, comma, period, newline.
    static let alphabet = Set<Character>("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ ,.\n")
}

// MARK: - Temporary directories and the shared run

/// The options of a tiny, fast model (a 1-layer LSTM of 16 units, B 4, S 16, one thread).
let tinyModel = ["--hidden", "16", "--layers", "1", "--batch", "4", "--seq", "16", "--threads", "1"]

/// One tiny training run shared by the tests that only read it (sample, repl, eval, info,
/// damaged copies): `train corpus.txt` with the tiny model for 30 steps, evaluating every 10.
struct SharedRun: Sendable {
    let directory: URL
    let corpus: String
    let runDirectory: String
    /// The text of the corpus.
    let text: String
    let result: CommandResult

    var latest: String { runDirectory + "/latest" }
    var best: String { runDirectory + "/best" }

    static let steps = 30

    private static let made: Result<SharedRun, any Error> = Result(catching: {
        let dir = try TemporaryDirectory("cli-shared")
        RemoveAtEnd.register(dir.url)
        let text = Corpus.text(characters: 4000)
        let corpus = try dir.write("corpus.txt", text)
        let result = try CLI.run(
            ["train", "corpus.txt"] + tinyModel
                + ["--steps", "\(steps)", "--eval-every", "10", "--out", "run"], in: dir.url)
        return SharedRun(directory: dir.url, corpus: corpus, runDirectory: dir.path("run"), text: text, result: result)
    })

    /// The shared run; fails the calling test when training failed.
    static func get(file: StaticString = #filePath, line: UInt = #line) throws -> SharedRun {
        let run = try made.get()
        guard run.result.status == 0, !run.result.signaled else {
            XCTFail("the shared training run failed: \(run.result.summary)", file: file, line: line)
            throw TestStop("no shared run")
        }
        return run
    }
}

extension CommandResult: @unchecked Sendable {}

/// Removes directories when the test bundle finishes.
final class RemoveAtEnd: NSObject, XCTestObservation, @unchecked Sendable {
    private var urls: [URL] = []
    private let lock = NSLock()
    nonisolated(unsafe) private static var shared: RemoveAtEnd?

    static func register(_ url: URL) {
        if shared == nil {
            let observer = RemoveAtEnd()
            shared = observer
            XCTestObservationCenter.shared.addTestObserver(observer)
        }
        shared!.lock.lock()
        shared!.urls.append(url)
        shared!.lock.unlock()
    }

    func testBundleDidFinish(_ testBundle: Bundle) {
        for url in urls { try? FileManager.default.removeItem(at: url) }
    }
}

// MARK: - Assertions

/// Asserts a user error: exit status 1 (not a signal), exactly one line on stderr starting
/// with `error: ` and containing every fragment, nothing on stdout. With `afterProgress`, the
/// error may follow progress lines (a failure met once training has started): it must be the
/// last line and the only `error:` line.
func assertUserError(
    _ r: CommandResult, contains fragments: [String], afterProgress: Bool = false,
    file: StaticString = #filePath, line: UInt = #line
) {
    XCTAssertFalse(r.signaled, "died of a signal: \(r.summary)", file: file, line: line)
    XCTAssertEqual(r.status, 1, r.summary, file: file, line: line)
    var lines = r.stderrLines
    if afterProgress {
        XCTAssertEqual(lines.filter { $0.hasPrefix("error:") }.count, 1, r.summary, file: file, line: line)
        lines = lines.suffix(1)
    }
    XCTAssertEqual(lines.count, 1, "expected one line on stderr: \(r.summary)", file: file, line: line)
    guard let message = lines.first else { return }
    XCTAssertTrue(
        message.hasPrefix("error: "), "stderr line does not start with 'error: ': \(message)", file: file, line: line)
    for fragment in fragments {
        XCTAssertTrue(message.contains(fragment), "message lacks \"\(fragment)\": \(message)", file: file, line: line)
    }
    XCTAssertEqual(r.stdout, "", "nothing expected on stdout: \(r.summary)", file: file, line: line)
}

/// Asserts a clean exit with status 0.
func assertSuccess(_ r: CommandResult, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertFalse(r.signaled, "died of a signal: \(r.summary)", file: file, line: line)
    XCTAssertEqual(r.status, 0, r.summary, file: file, line: line)
}

/// Parses one JSON object.
func jsonObject(_ text: String, file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
    let data = Data(text.utf8)
    guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
        XCTFail("not a JSON object: \(text)", file: file, line: line)
        throw TestStop("not JSON")
    }
    return object
}

/// `charnn eval CKPT FILE --json` as numbers.
struct EvalNumbers {
    var lossNats: Double, bpc: Double, ppl: Double, chars: Int

    static func run(
        _ checkpoint: String, _ textFile: String, in dir: URL,
        file: StaticString = #filePath, line: UInt = #line
    ) throws -> EvalNumbers {
        let r = try CLI.run(
            ["eval", checkpoint, textFile, "--json", "--threads", "1"], in: dir, file: file, line: line)
        assertSuccess(r, file: file, line: line)
        let o = try jsonObject(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines), file: file, line: line)
        guard let loss = o["loss_nats"] as? Double, let bpc = o["bpc"] as? Double, let ppl = o["ppl"] as? Double,
            let chars = o["chars"] as? Int
        else {
            XCTFail("eval --json lacks loss_nats/bpc/ppl/chars: \(r.stdout)", file: file, line: line)
            throw TestStop("bad eval output")
        }
        return EvalNumbers(lossNats: loss, bpc: bpc, ppl: ppl, chars: chars)
    }
}

/// Ends a test that has already recorded its failure (an XCTSkip would hide it).
struct TestStop: Error, CustomStringConvertible {
    var description: String
    init(_ s: String) { description = s }
}
