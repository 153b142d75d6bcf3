import Foundation
import XCTest
import _TestSupport

/// The settings train, compare and bench build from the same option groups: each command's
/// defaults are its own (train's cosine schedule, compare's constant one), the flags the same.
final class TrainingSettingsTests: XCTestCase {
    var dir: TemporaryDirectory!

    override func setUpWithError() throws { dir = try TemporaryDirectory("cli-settings") }
    override func tearDown() { dir?.remove() }

    func info(_ checkpoint: String) throws -> String {
        let r = try CLI.run(["info", checkpoint], in: dir.url)
        assertSuccess(r)
        return r.stdout
    }

    func testEachCommandKeepsItsDefaultsAndTheFlagsMeanTheSame() throws {
        _ = try dir.write("corpus.txt", Corpus.text(characters: 3000, seed: 4))
        assertSuccess(try CLI.run(["train", "corpus.txt"] + tinyModel + ["--steps", "3", "--out", "a"], in: dir.url))
        let a = try info("a/latest")
        XCTAssertTrue(a.contains("schedule cosine:0"), a)
        assertSuccess(
            try CLI.run(
                ["train", "corpus.txt"] + tinyModel + [
                    "--steps", "3", "--out", "b", "--schedule", "step:2:0.5", "--clip", "1",
                ],
                in: dir.url))
        let b = try info("b/latest")
        XCTAssertTrue(b.contains("schedule step:2:0.5") && b.contains("clip 1.0"), b)

        let compare = try CLI.run(
            ["compare", "corpus.txt", "--cells", "rnn", "--steps", "3", "--evaluations", "1", "--out", "c"] + tinyModel,
            in: dir.url)
        assertSuccess(compare)
        let report = try jsonObject(try String(contentsOfFile: dir.path("c/compare.json"), encoding: .utf8))
        let run = try XCTUnwrap((report["runs"] as? [[String: Any]])?.first)
        XCTAssertEqual(run["hidden"] as? Int, 16, "--hidden reaches compare's cells")
        XCTAssertEqual(report["batch"] as? Int, 4)
        XCTAssertEqual(report["seq"] as? Int, 16)
    }
}
