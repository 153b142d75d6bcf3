import Foundation
import XCTest
import _TestSupport

/// `eval --window N` (nanoGPT's protocol) and `eval --dynamic` (dynamic evaluation), reported
/// beside the one-stream figure.
final class EvalProtocolTests: XCTestCase {
    func number(
        _ o: [String: Any], _ key: String,
        file: StaticString = #filePath, line: UInt = #line
    ) throws -> Double {
        try XCTUnwrap(o[key] as? Double, "no number under \(key): \(o)", file: file, line: line)
    }

    func testWindowFigureBesideTheOneStreamFigure() throws {
        let run = try SharedRun.get()
        let dir = try TemporaryDirectory("eval-window")
        defer { dir.remove() }
        let text = try dir.write("tail.txt", String(run.text.suffix(500)))
        let one = try EvalNumbers.run(run.latest, text, in: dir.url)

        let r = try CLI.run(["eval", run.latest, text, "--window", "16", "--json", "--threads", "1"], in: dir.url)
        assertSuccess(r)
        let o = try jsonObject(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        // The one-stream keys are kept, with the same numbers.
        XCTAssertEqual(try number(o, "loss_nats"), one.lossNats)
        XCTAssertEqual(o["chars"] as? Int, 499)
        XCTAssertEqual(o["window"] as? Int, 16)
        XCTAssertEqual(o["window_chars"] as? Int, 499)
        let w = try number(o, "window_loss_nats")
        XCTAssertTrue(w.isFinite && w > 0)
        XCTAssertEqual(try number(o, "window_bpc"), w / log(2), accuracy: 1e-12 * w)
        XCTAssertEqual(try number(o, "window_ppl"), exp(w), accuracy: 1e-9 * exp(w))
        // Zero states every 16 characters cost context: a different figure.
        XCTAssertGreaterThan(abs(w - one.lossNats), 1e-4)

        // A window longer than the text: one window, the one-stream figure (to rounding: the
        // one-stream figure runs the single-step path).
        let long = try CLI.run(
            ["eval", run.latest, text, "--window", "100000", "--json", "--threads", "1"],
            in: dir.url)
        assertSuccess(long)
        let lo = try jsonObject(long.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        XCTAssertEqual(try number(lo, "window_loss_nats"), one.lossNats, accuracy: 1e-5 * one.lossNats)

        // Plain output: both figures, each naming its protocol.
        let plain = try CLI.run(["eval", run.latest, text, "--window", "16", "--threads", "1"], in: dir.url)
        assertSuccess(plain)
        let lines = plain.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 2, plain.stdout)
        XCTAssertTrue(lines[0].contains(String(format: "loss %.4f nats/char", one.lossNats)), plain.stdout)
        XCTAssertTrue(lines[0].contains("one stream"), plain.stdout)
        XCTAssertTrue(
            lines[1].contains(String(format: "loss %.4f nats/char", w)) && lines[1].contains("windows of 16"),
            plain.stdout)
    }

    func testDynamicEvaluationLeavesTheCheckpointAlone() throws {
        let run = try SharedRun.get()
        let dir = try TemporaryDirectory("eval-dynamic")
        defer { dir.remove() }
        let text = try dir.write("tail.txt", String(run.text.suffix(400)))
        let one = try EvalNumbers.run(run.latest, text, in: dir.url)

        let files = try FileManager.default.contentsOfDirectory(atPath: run.latest).sorted()
        func snapshot() throws -> [String: Data] {
            var out: [String: Data] = [:]
            for f in files { out[f] = try Data(contentsOf: URL(fileURLWithPath: run.latest + "/" + f)) }
            return out
        }
        func modified() throws -> [Date] {
            try files.map { f in
                let attributes = try FileManager.default.attributesOfItem(atPath: run.latest + "/" + f)
                return try XCTUnwrap(attributes[.modificationDate] as? Date)
            }
        }
        let before = try snapshot(), dates = try modified()

        // lr 0: the static figure.
        let zero = try CLI.run(
            [
                "eval", run.latest, text, "--dynamic", "--dynamic-lr", "0", "--dynamic-window", "25",
                "--json", "--threads", "1",
            ], in: dir.url)
        assertSuccess(zero)
        let z = try jsonObject(zero.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        XCTAssertEqual(try number(z, "dynamic_loss_nats"), one.lossNats, accuracy: 1e-5 * one.lossNats)
        XCTAssertEqual(z["dynamic_chars"] as? Int, 399)
        XCTAssertEqual(z["dynamic_window"] as? Int, 25)
        XCTAssertEqual(try number(z, "dynamic_lr"), 0)
        XCTAssertEqual(try number(z, "loss_nats"), one.lossNats)

        // A real step size: a different figure, its own line, and the checkpoint unchanged.
        let plain = try CLI.run(
            [
                "eval", run.latest, text, "--dynamic", "--dynamic-lr", "0.5", "--window", "50",
                "--threads", "1",
            ], in: dir.url)
        assertSuccess(plain)
        let lines = plain.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 3, plain.stdout)
        XCTAssertTrue(lines[0].contains(String(format: "loss %.4f nats/char", one.lossNats)), plain.stdout)
        XCTAssertTrue(lines[1].contains("windows of 50"), plain.stdout)
        XCTAssertTrue(lines[2].contains("dynamic evaluation") && lines[2].contains("lr 0.5"), plain.stdout)
        XCTAssertFalse(lines[2].contains(String(format: "loss %.4f nats/char", one.lossNats)), plain.stdout)
        XCTAssertEqual(try snapshot(), before, "eval --dynamic changed a checkpoint file")
        XCTAssertEqual(try modified(), dates, "eval --dynamic rewrote a checkpoint file")
        // The one-stream figure is the static one even when dynamic evaluation also ran.
        XCTAssertEqual(try EvalNumbers.run(run.latest, text, in: dir.url).lossNats, one.lossNats)
    }

    func testBadValuesAreOneLineErrors() throws {
        let run = try SharedRun.get()
        let dir = try TemporaryDirectory("eval-bad")
        defer { dir.remove() }
        let text = try dir.write("tail.txt", String(run.text.suffix(200)))
        let cases: [([String], [String])] = [
            (["--window", "0"], ["--window", "0"]),
            (["--window", "-3"], ["--window"]),
            (["--dynamic", "--dynamic-window", "0"], ["--dynamic-window", "0"]),
            (["--dynamic", "--dynamic-lr=-1"], ["--dynamic-lr", "-1"]),
            (["--dynamic", "--dynamic-lr", "nan"], ["--dynamic-lr"]),
            (["--dynamic", "--dynamic-decay", "2"], ["--dynamic-decay", "2"]),
            (["--dynamic-lr", "fast"], ["--dynamic-lr", "fast"]),
        ]
        for (extra, fragments) in cases {
            assertUserError(try CLI.run(["eval", run.latest, text] + extra, in: dir.url), contains: fragments)
        }
    }
}
