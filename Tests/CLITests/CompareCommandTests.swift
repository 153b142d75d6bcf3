import Foundation
import XCTest
import _TestSupport

/// `charnn compare` end to end on a tiny corpus.
final class CompareCommandTests: XCTestCase {
    func testCompareWritesJSONSVGAndATable() throws {
        let dir = try TemporaryDirectory("cli-compare")
        defer { dir.remove() }
        _ = try dir.write("corpus.txt", Corpus.text(characters: 3000))
        let r = try CLI.run(
            [
                "compare", "corpus.txt", "--cells", "lstm,gru,rnn", "--match", "hidden", "--steps", "6",
                "--hidden", "16", "--layers", "1", "--batch", "4", "--seq", "16", "--evaluations", "2",
                "--threads", "1", "--out", "cmp",
            ], in: dir.url)
        assertSuccess(r)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.path("cmp/compare.json")))
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.path("cmp/compare.svg")))

        // The table: a header, a rule, one row per cell, in the order asked for.
        let lines = r.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 2 + 3, r.stdout)
        XCTAssertTrue(lines.first?.hasPrefix("cell") == true, r.stdout)
        XCTAssertTrue(lines.count > 1 && lines[1].allSatisfy { $0 == "-" }, r.stdout)
        let rows = lines.dropFirst(2).map { $0.split(separator: " ").map(String.init) }
        XCTAssertEqual(rows.map { $0.first ?? "" }, ["lstm", "gru", "rnn"], r.stdout)
        for row in rows {
            XCTAssertEqual(row[1], "16", "hidden column: \(row)")
            XCTAssertEqual(row[3], "100%", "data column: \(row)")
            XCTAssertEqual(row[4], "6", "steps column: \(row)")
        }

        let json = try jsonObject(String(contentsOfFile: dir.path("cmp/compare.json"), encoding: .utf8))
        let cells = try XCTUnwrap(json["cells"] as? [[String: Any]])
        XCTAssertEqual(cells.compactMap { $0["cell"] as? String }, ["lstm", "gru", "rnn"])
        for (cell, row) in zip(cells, rows) {
            let loss = try XCTUnwrap(cell["val_loss_nats"] as? Double)
            XCTAssertEqual(String(format: "%.4f", loss), row[8], "the table shows the JSON's validation loss")
        }
        let svg = try String(contentsOfFile: dir.path("cmp/compare.svg"), encoding: .utf8)
        XCTAssertTrue(svg.hasPrefix("<?xml"))
        XCTAssertEqual(
            svg.components(separatedBy: "<path data-series=").count - 1, 2 * 3,
            "one line per cell in each of the two panels")
    }

    /// An --out that cannot be written is found before any run trains (the results would be lost).
    func testAnUnwritableOutIsFoundBeforeTraining() throws {
        let dir = try TemporaryDirectory("cli-compare-out")
        defer { dir.remove() }
        _ = try dir.write("corpus.txt", Corpus.text(characters: 3000))
        _ = try dir.write("a-file", "not a directory\n")
        for out in ["a-file/cmp", "a-file"] {
            let r = try CLI.run(
                ["compare", "corpus.txt", "--match", "hidden", "--steps", "1000000"] + tinyModel
                    + ["--out", out], in: dir.url, timeout: 30)
            assertUserError(r, contains: ["--out '\(out)'", "ot a directory"])
        }
    }

    /// A validation part of one character has nothing to score: an error before training, not NaN.
    func testAOneCharacterValidationPartIsAnError() throws {
        let dir = try TemporaryDirectory("cli-compare-val")
        defer { dir.remove() }
        _ = try dir.write("corpus.txt", Corpus.text(characters: 199))
        let r = try CLI.run(
            [
                "compare", "corpus.txt", "--match", "hidden", "--steps", "5", "--val-fraction", "0.005",
                "--hidden", "8", "--layers", "1", "--batch", "2", "--seq", "4", "--threads", "1",
                "--out", "cmp",
            ], in: dir.url)
        assertUserError(r, contains: ["corpus.txt", "validation part has 1 unit", "--val-fraction"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.path("cmp")), "nothing is written")
    }

    /// A divergence ends compare with the error (it used to go on with a trainer that gave up).
    func testDivergenceIsAnError() throws {
        let dir = try TemporaryDirectory("cli-compare-diverge")
        defer { dir.remove() }
        _ = try dir.write("corpus.txt", Corpus.text(characters: 3000))
        let r = try CLI.run(
            [
                "compare", "corpus.txt", "--cells", "rnn", "--steps", "60", "--lr", "1e30",
                "--hidden", "16", "--layers", "1", "--batch", "4", "--seq", "16", "--threads", "1",
                "--out", "cmp",
            ], in: dir.url)
        assertUserError(r, contains: ["training diverged", "--lr"], afterProgress: true)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.path("cmp")), "no half-written comparison")
    }
}
