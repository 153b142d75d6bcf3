import Foundation
import XCTest
import _TestSupport

/// `train --max-time` picks its recipe, prints it, lets every flag override it, and a resumed run
/// keeps the one in its checkpoint.
final class RecipeCLITests: XCTestCase {
    var dir: TemporaryDirectory!
    /// Small steps, so that the debug binary's few seconds make a few updates.
    let small = ["--batch", "4", "--seq", "16", "--threads", "1"]

    override func setUpWithError() throws {
        dir = try TemporaryDirectory("cli-recipe")
        _ = try dir.write("corpus.txt", Corpus.text(characters: 4000, seed: 5))
    }
    override func tearDown() { dir?.remove() }

    func config(_ run: String) throws -> [String: Any] {
        try jsonObject(String(contentsOfFile: dir.path(run + "/latest/config.json"), encoding: .utf8))
    }

    func recipeLines(_ r: CommandResult) -> [String] { r.stderrLines.filter { $0.hasPrefix("recipe for ") } }

    func testTimeBudgetPicksAndPrintsTheRecipe() throws {
        let r = try CLI.run(["train", "corpus.txt", "--max-time", "2s", "--out", "run"] + small, in: dir.url)
        XCTAssertEqual(r.status, 0, r.summary)
        // 2 s buy a few dozen steps of the smallest model; 4,001 bytes make them many epochs.
        let lines = recipeLines(r)
        XCTAssertEqual(lines.count, 1, r.stderr)
        XCTAssertTrue(
            lines.first?.hasPrefix(
                "recipe for a 2s budget on 4001 bytes: 2×128 gru, dropout 0.3, "
                    + "adam lr 0.002, cosine:2, state reset every 250 characters, validation every 100 steps (~")
                == true,
            r.stderr)
        XCTAssertTrue(lines.first?.hasSuffix("on the reference machine); flags override") == true, r.stderr)
        let c = try config("run")
        XCTAssertEqual(c["cell"] as? String, "gru")
        XCTAssertEqual(c["layers"] as? Int, 2)
        XCTAssertEqual(c["hidden"] as? Int, 128)
        XCTAssertEqual(try XCTUnwrap(c["dropout"] as? Double), 0.3, accuracy: 1e-6)
        let training = try XCTUnwrap(c["training"] as? [String: Any], "\(c)")
        XCTAssertEqual(training["schedule"] as? String, "cosine:2")
        XCTAssertEqual(training["eval_every"] as? Int, 100)
        XCTAssertEqual(training["reset_every"] as? Int, 16, "250 characters in windows of --seq 16")
    }

    func testExplicitFlagsOverrideTheRecipe() throws {
        let r = try CLI.run(
            [
                "train", "corpus.txt", "--max-time", "2s", "--out", "run", "--cell", "lstm",
                "--layers", "1", "--hidden", "16", "--dropout", "0", "--lr", "0.01",
                "--schedule", "constant", "--eval-every", "7", "--reset-every", "3",
            ] + small, in: dir.url)
        XCTAssertEqual(r.status, 0, r.summary)
        XCTAssertTrue(
            recipeLines(r).first?.hasSuffix(
                "overridden by --cell, --layers, --hidden, --dropout, --lr, --schedule, --eval-every, --reset-every")
                == true, r.stderr
        )
        let c = try config("run")
        XCTAssertEqual(c["cell"] as? String, "lstm")
        XCTAssertEqual(c["layers"] as? Int, 1)
        XCTAssertEqual(c["hidden"] as? Int, 16)
        XCTAssertEqual(c["dropout"] as? Double, 0)
        let training = try XCTUnwrap(c["training"] as? [String: Any], "\(c)")
        XCTAssertEqual(training["schedule"] as? String, "constant")
        XCTAssertEqual(training["eval_every"] as? Int, 7)
        XCTAssertEqual(training["reset_every"] as? Int, 3)
        let optimizer = try XCTUnwrap(training["optimizer"] as? [String: Any], "\(training)")
        XCTAssertEqual(try XCTUnwrap(optimizer["lr"] as? Double), 0.01, accuracy: 1e-7)
    }

    /// Some flags given, the rest from the recipe.
    func testPartialOverride() throws {
        let r = try CLI.run(
            ["train", "corpus.txt", "--max-time", "1s", "--out", "run", "--hidden", "24"] + small,
            in: dir.url)
        XCTAssertEqual(r.status, 0, r.summary)
        XCTAssertTrue(recipeLines(r).first?.hasSuffix("overridden by --hidden") == true, r.stderr)
        let c = try config("run")
        XCTAssertEqual(c["cell"] as? String, "gru")
        XCTAssertEqual(c["hidden"] as? Int, 24)
        XCTAssertEqual(try XCTUnwrap(c["dropout"] as? Double), 0.3, accuracy: 1e-6)
    }

    /// Without a time budget the defaults are fixed, whatever the corpus: no recipe.
    func testStepBudgetKeepsTheFixedDefaults() throws {
        let r = try CLI.run(
            ["train", "corpus.txt", "--steps", "2", "--hidden", "16", "--out", "run"] + small,
            in: dir.url)
        XCTAssertEqual(r.status, 0, r.summary)
        XCTAssertTrue(recipeLines(r).isEmpty, r.stderr)
        let c = try config("run")
        XCTAssertEqual(c["cell"] as? String, "lstm")
        XCTAssertEqual(c["layers"] as? Int, 2)
        XCTAssertEqual(c["dropout"] as? Double, 0)
        let training = try XCTUnwrap(c["training"] as? [String: Any], "\(c)")
        XCTAssertEqual(training["schedule"] as? String, "cosine:0")
        XCTAssertEqual(training["eval_every"] as? Int, 500)
    }

    /// A resumed run keeps the recipe in its checkpoint: nothing is re-picked (its model, dropout,
    /// learning rate and schedule stay), whatever budget the resumed invocation has.
    func testResumeKeepsTheCheckpointsRecipe() throws {
        let first = try CLI.run(
            ["train", "corpus.txt", "--max-time", "1s", "--out", "run", "--hidden", "20"] + small,
            in: dir.url)
        XCTAssertEqual(first.status, 0, first.summary)
        let before = try config("run")
        let resumed = try CLI.run(
            ["train", "corpus.txt", "--resume", "run", "--max-time", "1s", "--threads", "1"],
            in: dir.url)
        XCTAssertEqual(resumed.status, 0, resumed.summary)
        XCTAssertTrue(recipeLines(resumed).isEmpty, resumed.stderr)
        XCTAssertTrue(resumed.stderr.contains("resuming run/latest"), resumed.stderr)
        let after = try config("run")
        for key in ["cell", "layers", "hidden", "dropout"] {
            XCTAssertEqual("\(before[key] ?? "-")", "\(after[key] ?? "-")", key)
        }
        XCTAssertEqual(after["cell"] as? String, "gru")
        XCTAssertEqual(after["hidden"] as? Int, 20)
        let t0 = try XCTUnwrap(before["training"] as? [String: Any])
        let t1 = try XCTUnwrap(after["training"] as? [String: Any])
        XCTAssertEqual(t0["schedule"] as? String, t1["schedule"] as? String)
        XCTAssertEqual(t1["eval_every"] as? Int, 100, "the recipe's evaluation interval, not --eval-every's default")
        let o0 = try XCTUnwrap(t0["optimizer"] as? [String: Any]), o1 = try XCTUnwrap(t1["optimizer"] as? [String: Any])
        XCTAssertEqual(o0["lr"] as? Double, o1["lr"] as? Double)
        XCTAssertEqual(o1["kind"] as? String, "adam")
    }
}
