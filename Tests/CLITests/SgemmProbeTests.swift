import Foundation
import XCTest
import _TestSupport

/// `charnn bench --sgemm N`: the matrix-product rate that `make bench` reads training against.
final class SgemmProbeTests: XCTestCase {
    var dir: TemporaryDirectory!

    override func setUpWithError() throws { dir = try TemporaryDirectory("cli-sgemm") }
    override func tearDown() { dir?.remove() }

    func testPrintsOneJSONLineWithTheRate() throws {
        for threads in ["1", "2"] {
            let r = try CLI.run(["bench", "--sgemm", "96", "--threads", threads], in: dir.url)
            assertSuccess(r)
            let lines = r.stdout.split(separator: "\n")
            XCTAssertEqual(lines.count, 1, r.summary)
            let json = try jsonObject(String(lines.last ?? ""))
            XCTAssertEqual(json["probe"] as? String, "sgemm")
            XCTAssertEqual(json["n"] as? Int, 96)
            XCTAssertEqual(json["threads"] as? Int, Int(threads))
            XCTAssertGreaterThanOrEqual(json["repeats"] as? Int ?? 0, 3)
            let seconds = try XCTUnwrap(json["best_seconds"] as? Double, r.summary)
            let gflops = try XCTUnwrap(json["gflops"] as? Double, r.summary)
            XCTAssertGreaterThan(seconds, 0)
            // The rate is the operation count over the best time (both rounded in the JSON).
            XCTAssertEqual(gflops, 2 * pow(96, 3) / seconds / 1e9, accuracy: max(0.1, gflops * 0.01), r.summary)
            XCTAssertTrue(r.stderr.contains("bench: BLAS kernels "), r.summary)
        }
    }

    func testBadUseIsOneErrorLine() throws {
        _ = try dir.write("corpus.txt", Corpus.text(characters: 2_000))
        let cases: [([String], [String])] = [
            (["bench"], ["corpus", "--sgemm"]),
            (["bench", "--sgemm", "8"], ["--sgemm", "≥ 64", "8"]),
            (["bench", "--sgemm", "100000"], ["--sgemm", "≤ 8192"]),
            (["bench", "corpus.txt", "--sgemm", "128"], ["--sgemm", "no corpus"]),
        ]
        for (arguments, fragments) in cases {
            assertUserError(try CLI.run(arguments, in: dir.url), contains: fragments)
        }
    }
}
