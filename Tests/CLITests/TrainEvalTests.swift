import Foundation
import XCTest
import _TestSupport

/// `train` writes a complete run directory; `info` and `eval` read it.
final class TrainEvalTests: XCTestCase {
    var dir: TemporaryDirectory!

    override func setUpWithError() throws { dir = try TemporaryDirectory("cli-train") }
    override func tearDown() { dir?.remove() }

    func testTrainWritesCheckpointsAndMetrics() throws {
        let run = try SharedRun.get()
        let fm = FileManager.default
        for file in ["config.json", "vocab.json", "model.safetensors", "optimizer.safetensors", "trainer_state.json"] {
            XCTAssertTrue(fm.fileExists(atPath: run.latest + "/" + file), "latest/\(file) missing")
        }
        for file in ["config.json", "vocab.json", "model.safetensors", "trainer_state.json"] {
            XCTAssertTrue(fm.fileExists(atPath: run.best + "/" + file), "best/\(file) missing")
        }
        for leftover in ["latest.tmp", "latest.old", "best.tmp", "best.old"] {
            XCTAssertFalse(fm.fileExists(atPath: run.runDirectory + "/" + leftover), "\(leftover) left behind")
        }

        // config.json: the architecture asked for, the vocabulary of the corpus.
        let config = try jsonObject(String(contentsOfFile: run.latest + "/config.json", encoding: .utf8))
        XCTAssertEqual(config["cell"] as? String, "lstm")
        XCTAssertEqual(config["hidden"] as? Int, 16)
        XCTAssertEqual(config["layers"] as? Int, 1)
        let vocab = try jsonObject(String(contentsOfFile: run.latest + "/vocab.json", encoding: .utf8))
        let tokens = try XCTUnwrap(vocab["tokens"] as? [String])
        XCTAssertEqual(Set(tokens), Set(run.text.map(String.init)), "the vocabulary is the corpus's set of characters")
        XCTAssertEqual(config["vocab_size"] as? Int, tokens.count)

        // trainer_state.json: the run's step.
        let state = try jsonObject(String(contentsOfFile: run.latest + "/trainer_state.json", encoding: .utf8))
        XCTAssertEqual(state["step"] as? Int, SharedRun.steps)

        // metrics.jsonl: every line a JSON object; evaluations at 10, 20, 30 with finite losses.
        let lines = try String(contentsOfFile: run.runDirectory + "/metrics.jsonl", encoding: .utf8)
            .split(separator: "\n").map(String.init)
        XCTAssertFalse(lines.isEmpty)
        var evalSteps: [Int] = []
        for line in lines {
            let o = try jsonObject(line)
            let type = try XCTUnwrap(o["type"] as? String, line)
            XCTAssertTrue(["train", "eval"].contains(type), line)
            let step = try XCTUnwrap(o["step"] as? Int, line)
            XCTAssertTrue((1...SharedRun.steps).contains(step), line)
            if type == "eval" {
                evalSteps.append(step)
                let val = try XCTUnwrap(o["val_loss"] as? Double, line)
                XCTAssertTrue(val.isFinite && val > 0, line)
                XCTAssertEqual(try XCTUnwrap(o["val_bpc"] as? Double), val / log(2), accuracy: 1e-9)
            }
        }
        XCTAssertEqual(evalSteps, [10, 20, 30])

        // loss.svg: the curves of the three evaluations (train, validation; learning rate).
        let svg = try String(contentsOfFile: run.runDirectory + "/loss.svg", encoding: .utf8)
        XCTAssertTrue(svg.hasPrefix("<?xml"), String(svg.prefix(80)))
        XCTAssertEqual(
            svg.components(separatedBy: "<path data-series=").count - 1, 3, "training, validation, learning rate")

        // The progress log names the evaluations and where the checkpoints and curves went.
        XCTAssertTrue(run.result.stderr.contains("step 30"), run.result.stderr)
        XCTAssertTrue(run.result.stderr.contains("done: step 30"), run.result.stderr)
        XCTAssertTrue(run.result.stderr.contains("loss.svg"), run.result.stderr)
    }

    func testInfoShowsTheStep() throws {
        let run = try SharedRun.get()
        let r = try CLI.run(["info", run.latest], in: dir.url)
        assertSuccess(r)
        XCTAssertTrue(r.stdout.contains("step \(SharedRun.steps),"), r.stdout)
        XCTAssertTrue(r.stdout.contains("1 × 16 lstm"), r.stdout)
        XCTAssertTrue(r.stdout.contains("resumable    yes"), r.stdout)
        // A run directory opens best/, a weights-only checkpoint.
        let best = try CLI.run(["info", run.runDirectory], in: dir.url)
        assertSuccess(best)
        XCTAssertTrue(best.stdout.contains("/best"), best.stdout)
        XCTAssertTrue(best.stdout.contains("resumable    no"), best.stdout)
    }

    func testEvalJSON() throws {
        let run = try SharedRun.get()
        // The last N = 500 characters of the corpus (so every character is known): N − 1 = 499 predictions.
        let text = try dir.write("tail.txt", String(run.text.suffix(500)))
        let e = try EvalNumbers.run(run.latest, text, in: dir.url)
        XCTAssertEqual(e.chars, 499)
        XCTAssertTrue(e.lossNats.isFinite && e.lossNats > 0 && e.lossNats < log(Double(64)), "loss \(e.lossNats)")
        XCTAssertEqual(e.bpc, e.lossNats / log(2), accuracy: 1e-12 * e.bpc)
        XCTAssertEqual(e.ppl, exp(e.lossNats), accuracy: 1e-12 * e.ppl)

        // The plain output states the same numbers.
        let plain = try CLI.run(["eval", run.latest, text, "--threads", "1"], in: dir.url)
        assertSuccess(plain)
        XCTAssertTrue(plain.stdout.contains("499 characters"), plain.stdout)
        XCTAssertTrue(plain.stdout.contains(String(format: "loss %.4f nats/char", e.lossNats)), plain.stdout)

        // The trained model beats the uniform distribution over its vocabulary on corpus-like text.
        let vocab = try jsonObject(String(contentsOfFile: run.latest + "/vocab.json", encoding: .utf8))
        let V = try XCTUnwrap(vocab["tokens"] as? [String]).count
        XCTAssertLessThan(e.lossNats, log(Double(V)))
    }
}
