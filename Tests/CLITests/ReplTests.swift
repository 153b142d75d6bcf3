import Foundation
import XCTest
import _TestSupport

/// `charnn repl` driven through stdin (not a terminal: no prompts, the prime is echoed).
final class ReplTests: XCTestCase {
    var dir: TemporaryDirectory!

    override func setUpWithError() throws { dir = try TemporaryDirectory("cli-repl") }
    override func tearDown() { dir?.remove() }

    func testSlashCommandsAndQuit() throws {
        let run = try SharedRun.get()
        let script = """
            the
            /temperature 0
            /seed 5
            /length 20
            /info
            /foo
            /reset
            the
            /quit
            this line comes after /quit
            """
        let r = try CLI.run(["repl", run.latest, "--length", "10", "--seed", "3"], in: dir.url, stdin: script + "\n")
        assertSuccess(r)

        // stdout: two continuations, one per text line: the prime, then the generated characters.
        let out = r.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        XCTAssertFalse(r.stdout.contains("after /quit"), r.stdout)
        // After /reset with temperature 0 and length 20, the second continuation is the greedy
        // continuation of "the" from a zero state: exactly what `sample` prints.
        let greedy = try CLI.run(
            [
                "sample", run.latest, "--prime", "the", "--temperature", "0", "--length", "20",
                "--threads", "1",
            ], in: dir.url)
        assertSuccess(greedy)
        XCTAssertTrue(r.stdout.hasSuffix(greedy.stdout), "repl:\n\(r.stdout)\nsample:\n\(greedy.stdout)")
        XCTAssertTrue(out.first?.hasPrefix("the") == true, r.stdout)
        // The first continuation is 10 characters long; newlines inside it are allowed.
        let first = String(r.stdout.dropLast(greedy.stdout.count))
        XCTAssertEqual(first.count, 3 + 10 + 1, "prime + --length 10 + newline: \(first.debugDescription)")

        // stderr: each command acknowledged, the unknown one an error line, and the loop went on.
        let err = r.stderrLines
        XCTAssertTrue(err.first?.hasPrefix("charnn repl: 1×16 lstm") == true, r.stderr)
        XCTAssertTrue(err.contains { $0.hasPrefix("temperature 0.0") }, r.stderr)
        XCTAssertTrue(err.contains("seed 5"), r.stderr)
        XCTAssertTrue(err.contains("length 20"), r.stderr)
        XCTAssertTrue(
            err.contains { $0.contains("length 20, seed 5") && $0.contains("temperature 0.0") }, "/info: \(r.stderr)")
        XCTAssertTrue(
            err.contains { $0.hasPrefix("weights f32, ") && ($0.hasSuffix("thread") || $0.hasSuffix("threads")) },
            "/info: \(r.stderr)")
        XCTAssertTrue(err.contains { $0.hasPrefix("error: ") && $0.contains("/foo") }, r.stderr)
        XCTAssertTrue(err.contains("context cleared"), r.stderr)
        let errorIndex = try XCTUnwrap(err.firstIndex { $0.contains("/foo") })
        let resetIndex = try XCTUnwrap(err.firstIndex(of: "context cleared"))
        XCTAssertLessThan(errorIndex, resetIndex, "the REPL went on after the unknown command")
    }

    func testEndOfInputWithoutQuit() throws {
        let run = try SharedRun.get()
        // No /quit, and the last line has no newline.
        let r = try CLI.run(["repl", run.latest, "--length", "12"], in: dir.url, stdin: "/top-k 3\nA")
        assertSuccess(r)
        XCTAssertTrue(r.stdout.hasPrefix("A"), r.stdout)
        XCTAssertEqual(r.stdout.count, 1 + 12 + 1, r.stdout.debugDescription)
        XCTAssertTrue(r.stderr.contains("top-k 3"), r.stderr)
        XCTAssertFalse(r.stderr.contains("error"), r.stderr)
        // Empty input: the banner and a clean exit.
        let empty = try CLI.run(["repl", run.latest], in: dir.url, stdin: "")
        assertSuccess(empty)
        XCTAssertEqual(empty.stdout, "")
    }

    func testTrainThenOpen() throws {
        _ = try dir.write("corpus.txt", Corpus.text(characters: 2000))
        let r = try CLI.run(
            ["repl", "--train", "corpus.txt"] + tinyModel + ["--steps", "3", "--out", "run", "--length", "10"],
            in: dir.url, stdin: "the\n/quit\n")
        assertSuccess(r)
        XCTAssertTrue(r.stderr.contains("done: step 3"), r.stderr)
        XCTAssertTrue(r.stderr.contains("(run/best)"), "the REPL opens the new model: \(r.stderr)")
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.path("run/latest/model.safetensors")))
        XCTAssertTrue(r.stdout.hasPrefix("the"), r.stdout)
        XCTAssertEqual(r.stdout.count, 3 + 10 + 1, r.stdout.debugDescription)
    }

    /// The training options belong to --train: out of `repl --help` (--help-hidden lists them),
    /// and refused without --train instead of ignored.
    func testTrainingOptionsOnlyWithTrain() throws {
        let run = try SharedRun.get()
        let help = try CLI.run(["repl", "--help"], in: dir.url)
        assertSuccess(help)
        for option in ["--hidden", "--cell", "--lr", "--batch", "--steps", "--out", "--val-fraction"] {
            XCTAssertFalse(help.stdout.contains(option), "repl --help shows \(option)")
        }
        XCTAssertTrue(help.stdout.contains("--train <train>"), help.stdout)
        let hidden = try CLI.run(["repl", "--help-hidden"], in: dir.url)
        assertSuccess(hidden)
        XCTAssertTrue(hidden.stdout.contains("--hidden <hidden>") && hidden.stdout.contains("--steps <steps>"))
        for (options, group) in [
            (["--hidden", "32"], "model"), (["--cell", "gru"], "model"), (["--lr", "0.1"], "optimizer"),
            (["--seq", "8"], "batches"), (["--no-normalize"], "data"), (["--steps", "3"], "budget"),
            (["--out", "elsewhere"], "run"),
        ] {
            let r = try CLI.run(["repl", run.latest] + options, in: dir.url, stdin: "the\n")
            assertUserError(r, contains: ["training options (\(group))", "--train"])
        }
        // Sampling options, --seed and --threads (shared with training) need no --train.
        let r = try CLI.run(
            ["repl", run.latest, "--length", "5", "--seed", "3", "--threads", "1", "--temperature", "0.5"],
            in: dir.url, stdin: "the\n")
        assertSuccess(r)
    }

    func testBadSlashArgumentsKeepTheLoopGoing() throws {
        let run = try SharedRun.get()
        let r = try CLI.run(
            ["repl", run.latest, "--length", "5"], in: dir.url,
            stdin: "/temperature -2\n/top-p 7\n/length\n/load \(dir.path("nothing"))\n/info\n")
        assertSuccess(r)
        let errors = r.stderrLines.filter { $0.hasPrefix("error: ") }
        XCTAssertEqual(errors.count, 4, r.stderr)
        // Settings unchanged by the refused commands.
        XCTAssertTrue(r.stderr.contains("temperature 0.8, top-k 0, top-p 1.0, length 5"), r.stderr)
    }

    /// Without a checkpoint, the shipped model is found from any working directory.
    func testShippedModelFromAnyDirectory() throws {
        let dir = try TemporaryDirectory("cli-repl-anywhere")
        defer { dir.remove() }
        let r = try CLI.run(["repl", "--length", "5", "--threads", "1"], in: dir.url, stdin: "/info\n/quit\n")
        assertSuccess(r)
        XCTAssertTrue(r.stderr.contains("checkpoints/shakespeare-lstm"), r.summary)
    }
}
