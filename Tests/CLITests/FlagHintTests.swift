import Foundation
import XCTest
import _TestSupport

/// The libraries' errors carry facts; `describe()` (Sources/charnn) words them with the flags a
/// user types. Each test triggers one such error end to end and checks the flag is named.
final class FlagHintTests: XCTestCase {
    var dir: TemporaryDirectory!

    override func setUpWithError() throws { dir = try TemporaryDirectory("cli-hints") }
    override func tearDown() { dir?.remove() }

    /// A file where the run's latest/ checkpoint goes: refused before training (after the corpus
    /// summary), naming --out; the file is left alone.
    func testAFileInTheRunDirectoryNamesOut() throws {
        let corpus = try dir.write("corpus.txt", Corpus.text(characters: 2000))
        try FileManager.default.createDirectory(atPath: dir.path("run"), withIntermediateDirectories: true)
        _ = try dir.write("run/latest", "not a checkpoint")
        let r = try CLI.run(["train", corpus] + tinyModel + ["--steps", "2", "--out", "run"], in: dir.url)
        assertUserError(
            r,
            contains: [
                "run/latest", "is a file, not a checkpoint directory",
                "move it away or choose another --out",
            ], afterProgress: true)
        XCTAssertEqual(try String(contentsOfFile: dir.path("run/latest"), encoding: .utf8), "not a checkpoint")
    }

    /// A model far too large for any machine: refused before any weight is allocated, naming the
    /// batch as flags and the flags that shrink what is needed.
    func testAModelTooLargeNamesTheFlagsThatShrinkIt() throws {
        let corpus = try dir.write("corpus.txt", Corpus.text(characters: 2000))
        let r = try CLI.run(
            [
                "train", corpus, "--hidden", "16384", "--layers", "64", "--steps", "1", "--threads", "1",
                "--out", "run",
            ], in: dir.url)
        assertUserError(
            r,
            contains: [
                "training a 64×16384 lstm", "with --batch 50 --seq 50 needs about",
                "a smaller --hidden, --layers, --batch or --seq needs less",
            ], afterProgress: true)
    }

    /// Cells whose parameter counts cannot meet within 2%: the advice names --match and --hidden.
    func testUnmatchableParameterCountsNameMatchAndHidden() throws {
        let corpus = try dir.write("corpus.txt", Corpus.text(characters: 2000))
        let r = try CLI.run(
            [
                "compare", corpus, "--cells", "lstm,rnn", "--match", "params", "--hidden", "1",
                "--layers", "1", "--steps", "2", "--threads", "1", "--out", "cmp",
            ], in: dir.url)
        assertUserError(r, contains: ["cannot match rnn", "within 2%", "use --match hidden or a larger --hidden"])
    }
}
