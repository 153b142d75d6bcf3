import Foundation
import XCTest
import _TestSupport

/// The id cache through `charnn train`: the first run encodes and writes it, later runs and a
/// resume map it and train exactly as on ids in memory; a damaged cache is rebuilt with a warning.
final class IDCacheTests: XCTestCase {
    var dir: TemporaryDirectory!

    override func setUpWithError() throws { dir = try TemporaryDirectory("cli-ids-cache") }
    override func tearDown() { dir?.remove() }

    func testTrainEncodesOnceThenMapsAndTrainsTheSame() throws {
        _ = try dir.write("corpus.txt", Corpus.text(characters: 3000, seed: 4))
        let cacheDir = dir.url.appendingPathComponent("cache").path
        let cached: [String: String?] = ["CHARNN_IDS_CACHE": cacheDir]
        let model = [
            "--hidden", "12", "--layers", "1", "--batch", "4", "--seq", "16", "--threads", "1",
            "--schedule", "constant", "--seed", "5", "--eval-every", "10",
        ]
        func train(_ out: String, _ env: [String: String?], steps: Int = 10) throws -> CommandResult {
            let r = try CLI.run(
                ["train", "corpus.txt"] + model + ["--steps", "\(steps)", "--out", out], in: dir.url,
                environment: env)
            assertSuccess(r)
            return r
        }
        let first = try train("A", cached)
        XCTAssertTrue(first.stderr.contains("encoded corpus.txt"), first.stderr)
        XCTAssertTrue(first.stderr.contains("cached the ids in \(cacheDir)/corpus.txt-"), first.stderr)
        let files = try FileManager.default.contentsOfDirectory(atPath: cacheDir)
        XCTAssertEqual(files.count, 1, "\(files)")
        let cacheFile = cacheDir + "/" + files[0]
        XCTAssertTrue(cacheFile.hasSuffix(".grapheme-nfc.charnn-ids"), cacheFile)

        let second = try train("B", cached)
        XCTAssertTrue(second.stderr.contains("mapped the ids of corpus.txt"), second.stderr)
        let plain = try train("C", ["CHARNN_IDS_CACHE": "off"])
        XCTAssertFalse(plain.stderr.contains("ids"), plain.stderr)
        let a = try EvalNumbers.run("A/latest", "corpus.txt", in: dir.url)
        let b = try EvalNumbers.run("B/latest", "corpus.txt", in: dir.url)
        let c = try EvalNumbers.run("C/latest", "corpus.txt", in: dir.url)
        XCTAssertEqual(a.lossNats, c.lossNats)
        XCTAssertEqual(b.lossNats, c.lossNats)

        // A resume checks the corpus fingerprint (read from the cache's header) and maps the cache.
        let resumed = try CLI.run(
            ["train", "corpus.txt", "--resume", "B", "--steps", "20", "--threads", "1"],
            in: dir.url, environment: cached)
        assertSuccess(resumed)
        XCTAssertTrue(resumed.stderr.contains("mapped the ids of corpus.txt"), resumed.stderr)

        // Truncated: rebuilt, with one warning naming the file.
        let handle = try XCTUnwrap(FileHandle(forUpdatingAtPath: cacheFile))
        try handle.truncate(atOffset: 700)
        try handle.close()
        let repaired = try train("D", cached)
        XCTAssertTrue(repaired.stderr.contains("warning: the id cache \(cacheFile) was damaged"), repaired.stderr)
        XCTAssertTrue(repaired.stderr.contains("truncated"), repaired.stderr)
        XCTAssertEqual(try EvalNumbers.run("D/latest", "corpus.txt", in: dir.url).lossNats, c.lossNats)
        XCTAssertTrue(try train("E", cached).stderr.contains("mapped the ids"))
    }
}
