import Foundation
import XCTest
import _TestSupport

/// `--resume` through the binary: a run cut in two equals the uninterrupted run.
final class ResumeTests: XCTestCase {
    var dir: TemporaryDirectory!

    override func setUpWithError() throws { dir = try TemporaryDirectory("cli-resume") }
    override func tearDown() { dir?.remove() }

    /// A: 40 steps at once. B: 20 steps, then `--resume B --steps 40`. Both evaluated with
    /// `eval --json` on the corpus.
    ///
    /// The losses must be *exactly* equal, and so must the weight files: a checkpoint keeps
    /// everything the next update depends on bit for bit (float32 weights, Adam moments and
    /// step, the streams' hidden state, the batcher position, the dropout generator's 64-bit
    /// state, the learning-rate back-off), and the same float operations run in the same order
    /// (one thread, so no BLAS work split can differ). Any tolerance would hide a lost piece of
    /// state: a reset hidden state or a re-seeded dropout mask changes the loss by far more than
    /// rounding.
    ///
    /// The schedule is `constant`: with the default cosine schedule the first invocation of B
    /// decays the learning rate over *its* budget (20 steps), so B legitimately differs from A.
    /// (A cosine run interrupted and resumed with the same `--steps` is checked at library level,
    /// `ResumeEquivalenceTests.testCosineScheduleResumesExactly`.)
    func assertResumeEquivalence(extra: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        _ = try dir.write("corpus.txt", Corpus.text(characters: 3000, seed: 21))
        let model =
            [
                "--hidden", "16", "--layers", "2", "--batch", "4", "--seq", "16", "--threads", "1",
                "--schedule", "constant", "--seed", "9",
            ] + extra
        assertSuccess(
            try CLI.run(
                ["train", "corpus.txt"] + model + ["--steps", "40", "--eval-every", "20", "--out", "A"],
                in: dir.url), file: file, line: line)
        assertSuccess(
            try CLI.run(
                ["train", "corpus.txt"] + model + ["--steps", "20", "--eval-every", "20", "--out", "B"],
                in: dir.url), file: file, line: line)
        let half = try EvalNumbers.run("B/latest", "corpus.txt", in: dir.url, file: file, line: line)
        let resumed = try CLI.run(
            [
                "train", "corpus.txt", "--resume", "B", "--steps", "40", "--eval-every", "20",
                "--threads", "1",
            ], in: dir.url)
        assertSuccess(resumed, file: file, line: line)
        XCTAssertTrue(resumed.stderr.contains("resuming B/latest at step 20"), resumed.stderr, file: file, line: line)

        let a = try EvalNumbers.run("A/latest", "corpus.txt", in: dir.url, file: file, line: line)
        let b = try EvalNumbers.run("B/latest", "corpus.txt", in: dir.url, file: file, line: line)
        XCTAssertEqual(a.lossNats, b.lossNats, "resumed run differs from the uninterrupted one", file: file, line: line)
        XCTAssertNotEqual(half.lossNats, b.lossNats, "the resumed invocation trained", file: file, line: line)
        let weightsA = try Data(contentsOf: URL(fileURLWithPath: dir.path("A/latest/model.safetensors")))
        let weightsB = try Data(contentsOf: URL(fileURLWithPath: dir.path("B/latest/model.safetensors")))
        XCTAssertEqual(weightsA, weightsB, "model.safetensors differ", file: file, line: line)
        let momentsA = try Data(contentsOf: URL(fileURLWithPath: dir.path("A/latest/optimizer.safetensors")))
        let momentsB = try Data(contentsOf: URL(fileURLWithPath: dir.path("B/latest/optimizer.safetensors")))
        XCTAssertEqual(momentsA, momentsB, "optimizer.safetensors differ", file: file, line: line)
        // Both metrics logs end with an evaluation at step 40.
        for run in ["A", "B"] {
            let last =
                try String(contentsOfFile: dir.path("\(run)/metrics.jsonl"), encoding: .utf8)
                .split(separator: "\n").last.map(String.init) ?? ""
            let o = try jsonObject(last)
            XCTAssertEqual(o["type"] as? String, "eval", file: file, line: line)
            XCTAssertEqual(o["step"] as? Int, 40, file: file, line: line)
        }
    }

    func testResumeEqualsUninterruptedRun() throws {
        try assertResumeEquivalence(extra: [])
    }

    func testResumeEqualsUninterruptedRunWithDropout() throws {
        try assertResumeEquivalence(extra: ["--dropout", "0.3"])
    }

    /// Trains corpus.txt for 3 steps into run/, then sets `key` of the object `section` in
    /// run/latest/`file` to `value`.
    func trainThenDamage(_ file: String, section: String, key: String, value: Any) throws {
        try? FileManager.default.removeItem(atPath: dir.path("run"))
        assertSuccess(
            try CLI.run(["train", "corpus.txt"] + tinyModel + ["--steps", "3", "--out", "run"], in: dir.url))
        let url = URL(fileURLWithPath: dir.path("run/latest/" + file))
        var object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        var inner = try XCTUnwrap(object[section] as? [String: Any])
        inner[key] = value
        object[section] = inner
        try JSONSerialization.data(withJSONObject: object).write(to: url)
    }

    /// trainer_state.json positions index the corpus and the batch buffers: a damaged one is an
    /// error naming the file, never an out-of-bounds access.
    func testDamagedTrainerStateIsRefused() throws {
        _ = try dir.write("corpus.txt", Corpus.text(characters: 2000))
        let damages: [(String, Any)] = [("position", -64), ("position", 100_000), ("seq", 64), ("batch", 400)]
        for (key, value) in damages {
            try trainThenDamage("trainer_state.json", section: "batcher", key: key, value: value)
            assertUserError(
                try CLI.run(["train", "corpus.txt", "--resume", "run", "--steps", "6"], in: dir.url),
                contains: ["run/latest/trainer_state.json", "\(value)"])
        }
    }

    /// The training settings saved in config.json size the buffers: impossible ones are refused.
    func testDamagedTrainingSettingsAreRefused() throws {
        _ = try dir.write("corpus.txt", Corpus.text(characters: 2000))
        let damages: [(String, Any)] = [("batch", 0), ("seq", -3), ("val_fraction", 2)]
        for (key, value) in damages {
            try trainThenDamage("config.json", section: "training", key: key, value: value)
            assertUserError(
                try CLI.run(["train", "corpus.txt", "--resume", "run", "--steps", "6"], in: dir.url),
                contains: ["run/latest/config.json", "invalid training settings"])
        }
    }

    func testResumeWithAForeignCharacterIsRefused() throws {
        let text = Corpus.text(characters: 2000)
        _ = try dir.write("corpus.txt", text)
        assertSuccess(
            try CLI.run(["train", "corpus.txt"] + tinyModel + ["--steps", "3", "--out", "run"], in: dir.url))
        let before = try Data(contentsOf: URL(fileURLWithPath: dir.path("run/latest/model.safetensors")))
        // The same text with one character the corpus never had ("~" on line 3).
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        lines[2] = "a~" + lines[2]
        _ = try dir.write("other.txt", lines.joined(separator: "\n"))
        let r = try CLI.run(["train", "other.txt", "--resume", "run", "--steps", "6"], in: dir.url)
        assertUserError(r, contains: ["other.txt", "\"~\"", "line 3, column 2", "vocabulary"])
        let after = try Data(contentsOf: URL(fileURLWithPath: dir.path("run/latest/model.safetensors")))
        XCTAssertEqual(before, after, "the checkpoint was not touched")
        // A corpus of another length but the same characters is refused too (the streams would not line up).
        _ = try dir.write("shorter.txt", String(text.prefix(1500)))
        assertUserError(
            try CLI.run(["train", "shorter.txt", "--resume", "run", "--steps", "6"], in: dir.url),
            contains: ["shorter.txt", "run/latest", "same corpus"])
        // Same length, same characters, other text (the corpus backwards): refused by its fingerprint.
        _ = try dir.write("backwards.txt", String(text.reversed()))
        assertUserError(
            try CLI.run(["train", "backwards.txt", "--resume", "run", "--steps", "6"], in: dir.url),
            contains: ["backwards.txt", "run/latest", "same length and characters", "same corpus"])
        XCTAssertEqual(before, try Data(contentsOf: URL(fileURLWithPath: dir.path("run/latest/model.safetensors"))))
        // The right corpus still resumes.
        assertSuccess(try CLI.run(["train", "corpus.txt", "--resume", "run", "--steps", "6"], in: dir.url))
    }

    /// `--resume DIR --out NEW`: the run continues in NEW (with DIR's best/ and metrics), DIR is
    /// left as it was; a NEW that holds a run is refused; `--resume DIR/latest` writes to DIR.
    func testResumeWithOutContinuesInTheNewDirectory() throws {
        let shared = try SharedRun.get()
        _ = try dir.write("corpus.txt", shared.text)
        try FileManager.default.copyItem(atPath: shared.runDirectory, toPath: dir.path("run"))
        let step = SharedRun.steps
        let branch = try CLI.run(
            [
                "train", "corpus.txt", "--resume", "run", "--out", "branch", "--steps", "\(step + 5)",
                "--threads", "1",
            ], in: dir.url)
        assertSuccess(branch)
        XCTAssertTrue(try CLI.run(["info", "branch/latest"], in: dir.url).stdout.contains("step \(step + 5),"))
        XCTAssertTrue(try CLI.run(["info", "run/latest"], in: dir.url).stdout.contains("step \(step),"), "DIR changed")
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.path("branch/best/config.json")))
        let metrics = try String(contentsOfFile: dir.path("branch/metrics.jsonl"), encoding: .utf8)
        XCTAssertTrue(
            metrics.hasPrefix(try String(contentsOfFile: dir.path("run/metrics.jsonl"), encoding: .utf8)),
            "NEW's metrics continue DIR's")

        let again = try CLI.run(
            [
                "train", "corpus.txt", "--resume", "run", "--out", "branch", "--steps", "\(step + 9)",
                "--threads", "1",
            ], in: dir.url)
        assertUserError(again, contains: ["--out branch already holds a run"])

        let inPlace = try CLI.run(
            [
                "train", "corpus.txt", "--resume", "run/latest", "--steps", "\(step + 2)",
                "--threads", "1",
            ], in: dir.url)
        assertSuccess(inPlace)
        XCTAssertTrue(try CLI.run(["info", "run/latest"], in: dir.url).stdout.contains("step \(step + 2),"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.path("run/latest/latest")))
    }
}
