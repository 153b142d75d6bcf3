import Foundation
import XCTest
import _TestSupport

/// The commands that test the seeds' claims: `synth brackets`, `compare --data-fractions
/// --memory-probe`, `eval --memory-probe`.
final class ClaimsCommandTests: XCTestCase {
    func testSynthBracketsIsSeededAndReportsItsPairs() throws {
        let dir = try TemporaryDirectory("cli-synth")
        defer { dir.remove() }
        let r = try CLI.run(
            ["synth", "brackets", "--span", "5...60", "--chars", "20K", "--seed", "3", "--out", "a.txt"],
            in: dir.url)
        assertSuccess(r)
        XCTAssertTrue(r.stderr.contains("20000 characters") && r.stderr.contains("bracket pairs"), r.summary)
        let a = try Data(contentsOf: URL(fileURLWithPath: dir.path("a.txt")))
        XCTAssertEqual(a.count, 20_000)
        XCTAssertTrue(a.allSatisfy { "abcdefghijklmnopqrstuvwxyz([{<)]}>".utf8.contains($0) })
        assertSuccess(
            try CLI.run(
                [
                    "synth", "brackets", "--span", "5...60", "--chars", "20000", "--seed", "3",
                    "--out", "b.txt",
                ], in: dir.url))
        XCTAssertEqual(a, try Data(contentsOf: URL(fileURLWithPath: dir.path("b.txt"))), "same seed, same text")

        for (flag, value) in [
            ("--span", "1...5"), ("--span", "9...5"), ("--span", "5-9"), ("--chars", "0"),
            ("--chars", "1.5K7"), ("--chars", "600M"),
        ] {
            let bad = try CLI.run(["synth", "brackets", flag, value, "--out", "c.txt"], in: dir.url)
            assertUserError(bad, contains: [flag])
        }
        let unwritable = try CLI.run(
            ["synth", "brackets", "--chars", "100", "--out", "no/such/dir/x.txt"], in: dir.url)
        assertUserError(unwritable, contains: ["no/such/dir/x.txt"])
    }

    func testDataFractionsAreValidated() throws {
        let dir = try TemporaryDirectory("cli-fractions")
        defer { dir.remove() }
        _ = try dir.write("corpus.txt", Corpus.text(characters: 3000))
        let base = [
            "compare", "corpus.txt", "--steps", "2", "--hidden", "8", "--layers", "1", "--batch", "4",
            "--seq", "16", "--threads", "1", "--out", "cmp",
        ]
        for (value, fragment) in [("0,1", "'0'"), ("0.5,0.5", "twice"), ("1.2", "'1.2'"), ("a", "'a'")] {
            assertUserError(
                try CLI.run(base + ["--data-fractions", value], in: dir.url),
                contains: ["--data-fractions", fragment])
        }
        // Too small for one window of 4 × 16: refused before training, nothing written.
        let small = try CLI.run(base + ["--data-fractions", "0.01,1"], in: dir.url)
        assertUserError(small, contains: ["--data-fractions 0.01", "characters", "--batch 4 × --seq 16"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.path("cmp")))
    }

    func testCompareWithFractionsSeedsAndTheProbe() throws {
        let dir = try TemporaryDirectory("cli-claims")
        defer { dir.remove() }
        let synth = try CLI.run(
            ["synth", "brackets", "--span", "3...40", "--chars", "4000", "--out", "b.txt"],
            in: dir.url)
        assertSuccess(synth)
        let r = try CLI.run(
            [
                "compare", "b.txt", "--cells", "lstm,gru", "--steps", "3", "--hidden", "12",
                "--layers", "1", "--batch", "4", "--seq", "16", "--evaluations", "1", "--seeds", "1,2",
                "--data-fractions", "0.5,1", "--memory-probe", "--threads", "1", "--out", "cmp",
            ],
            in: dir.url)
        assertSuccess(r)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        let rows = lines.dropFirst(2).prefix(4).map { $0.split(separator: " ").map(String.init) }
        XCTAssertEqual(
            rows.map { [$0[0], $0[3]] }, [["lstm", "50%"], ["gru", "50%"], ["lstm", "100%"], ["gru", "100%"]],
            r.stdout)
        XCTAssertTrue(rows.allSatisfy { $0.contains("±") }, "mean ± std over two seeds: \(r.stdout)")
        XCTAssertTrue(r.stdout.contains("memory probe, 50% data: closer choice"), r.stdout)
        XCTAssertTrue(r.stderr.contains("epochs"), r.summary)
        let json = try jsonObject(String(contentsOfFile: dir.path("cmp/compare.json"), encoding: .utf8))
        XCTAssertEqual((json["runs"] as? [Any])?.count, 8)
        XCTAssertEqual((json["memory_probes"] as? [Any])?.count, 4)
        let svg = try String(contentsOfFile: dir.path("cmp/compare.svg"), encoding: .utf8)
        XCTAssertTrue(svg.contains("data-errors="), "error bars")
    }

    func testEvalMemoryProbeKeepsTheOneStreamFigure() throws {
        let run = try SharedRun.get()
        let dir = try TemporaryDirectory("eval-probe")
        defer { dir.remove() }
        let text = try dir.write("tail.txt", String(run.text.suffix(600)))
        let one = try EvalNumbers.run(run.latest, text, in: dir.url)
        let r = try CLI.run(["eval", run.latest, text, "--memory-probe", "--json", "--threads", "1"], in: dir.url)
        assertSuccess(r)
        let o = try jsonObject(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        XCTAssertEqual(try XCTUnwrap(o["loss_nats"] as? Double), one.lossNats, accuracy: 1e-12 * one.lossNats)
        let probe = try XCTUnwrap(o["memory_probe"] as? [String: Any])
        let since = try XCTUnwrap(probe["since_anchor"] as? [[String: Any]])
        XCTAssertFalse(since.isEmpty, "the text has newlines")
        let counted = since.compactMap { $0["count"] as? Int }.reduce(0, +)
        XCTAssertTrue(counted > 0 && counted <= one.chars, "\(counted) of \(one.chars)")
        XCTAssertEqual(since.first?["from"] as? Int, 1)

        let plain = try CLI.run(["eval", run.latest, text, "--memory-probe", "--threads", "1"], in: dir.url)
        assertSuccess(plain)
        XCTAssertTrue(plain.stdout.contains("memory probe: loss by distance since the last"), plain.stdout)
    }
}
