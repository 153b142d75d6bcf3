import Foundation
import XCTest
import _TestSupport

/// `charnn inspect CKPT TEXT --out DIR` through the binary: the page and its JSON, the same
/// loss as `eval` on the same text, and one error line for each bad input.
final class InspectTests: XCTestCase {
    var dir: TemporaryDirectory!

    override func setUpWithError() throws { dir = try TemporaryDirectory("cli-inspect") }
    override func tearDown() { dir?.remove() }

    func testWritesThePageAndItsNumbers() throws {
        let shared = try SharedRun.get()
        let text = String(shared.text.prefix(300))
        _ = try dir.write("text.txt", text)
        let r = try CLI.run(
            ["inspect", shared.latest, "text.txt", "--out", "page", "--threads", "1", "--activations"],
            in: dir.url)
        assertSuccess(r)
        XCTAssertTrue(r.stdout.contains("300 characters"), r.stdout)
        XCTAssertTrue(r.stdout.contains("line_position"), r.stdout)
        let html = try String(contentsOfFile: dir.path("page/index.html"), encoding: .utf8)
        XCTAssertTrue(html.hasPrefix("<!DOCTYPE html>"))
        XCTAssertFalse(html.lowercased().contains("http://") || html.lowercased().contains("https://"))
        let json = try jsonObject(try String(contentsOfFile: dir.path("page/inspect.json"), encoding: .utf8))
        XCTAssertEqual((json["tokens"] as? [String])?.joined(), text)
        XCTAssertEqual((json["model"] as? [String: Any])?["cell"] as? String, "lstm")
        XCTAssertEqual((json["predictions"] as? [[Any]])?.dropFirst().allSatisfy { $0.count == 5 }, true)
        // The mean surprisal is eval's loss: both score the N−1 next characters from a zero state.
        let mean = try XCTUnwrap(json["mean_surprisal_nats"] as? Double)
        let eval = try EvalNumbers.run(shared.latest, "text.txt", in: dir.url)
        XCTAssertEqual(mean, eval.lossNats, accuracy: 2e-4)
        // Every signal of the 1-layer LSTM of 16 units, [300, 16] float32.
        let tensors = try Data(contentsOf: URL(fileURLWithPath: dir.path("page/activations.safetensors")))
        XCTAssertGreaterThan(tensors.count, 6 * 300 * 16 * 4)
        let header = String(decoding: tensors.dropFirst(8).prefix(2000), as: UTF8.self)
        for name in ["layer0.h", "layer0.c", "layer0.i", "layer0.f", "layer0.g", "layer0.o", "tokens"] {
            XCTAssertTrue(header.contains("\"\(name)\""), "no \(name) in activations.safetensors")
        }
    }

    func testLongTextNeedsFirst() throws {
        let shared = try SharedRun.get()
        _ = try dir.write("long.txt", String(shared.text.prefix(4000)) + String(shared.text.prefix(2000)))
        assertUserError(
            try CLI.run(["inspect", shared.latest, "long.txt", "--out", "page"], in: dir.url),
            contains: ["long.txt", "6000 characters", "at most 5000", "--first"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.path("page")))
        let r = try CLI.run(
            ["inspect", shared.latest, "long.txt", "--out", "page", "--first", "120", "--threads", "1"],
            in: dir.url)
        assertSuccess(r)
        let json = try jsonObject(try String(contentsOfFile: dir.path("page/inspect.json"), encoding: .utf8))
        XCTAssertEqual((json["tokens"] as? [String])?.count, 120)
    }

    func testBadInputs() throws {
        let shared = try SharedRun.get()
        _ = try dir.write("text.txt", "the time\n")
        _ = try dir.write("empty.txt", "")
        _ = try dir.write("one.txt", "a")
        _ = try dir.write("a-file", "not a directory\n")
        let cases: [([String], [String])] = [
            (["inspect", "no-such-ckpt", "text.txt"], ["no-such-ckpt", "no such file"]),
            (["inspect", shared.latest, "missing.txt"], ["missing.txt"]),
            (["inspect", shared.latest, "empty.txt"], ["empty.txt", "empty"]),
            (["inspect", shared.latest, "one.txt"], ["one.txt", "nothing to inspect"]),
            (["inspect", shared.latest, "text.txt", "--out", "a-file"], ["a-file", "File exists"]),
            (["inspect", shared.latest, "text.txt", "--out", "a-file/page"], ["a-file/page", "Not a directory"]),
            (["inspect", shared.latest, "text.txt", "--first", "1"], ["--first", "1"]),
            (["inspect", shared.latest, "text.txt", "--unknown", "guess"], ["--unknown", "guess"]),
        ]
        for (arguments, fragments) in cases {
            assertUserError(try CLI.run(arguments, in: dir.url), contains: fragments)
        }
        // A character the model has never seen: named, with its place.
        _ = try dir.write("greek.txt", "the λ time\n")
        assertUserError(
            try CLI.run(["inspect", shared.latest, "greek.txt"], in: dir.url),
            contains: ["greek.txt", "λ"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.path("inspect")), "a page was written for bad input")
    }
}
