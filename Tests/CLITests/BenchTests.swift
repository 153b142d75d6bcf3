import Foundation
import XCTest
import _TestSupport

/// `charnn bench`: the peer's JSON keys, and the BLAS kernels it runs on.
final class BenchTests: XCTestCase {
    var dir: TemporaryDirectory!

    override func setUpWithError() throws { dir = try TemporaryDirectory("cli-bench") }
    override func tearDown() { dir?.remove() }

    /// The keys `scripts/peer_pytorch.py` prints.
    static let peerKeys: Set<String> = [
        "peer", "cell", "hidden", "layers", "batch", "seq", "dropout", "threads", "params", "steps", "seconds",
        "train_chars_per_s", "sample_chars_per_s", "val_loss_nats", "val_bpc", "val_ppl", "val_stream_loss_nats",
    ]

    func bench(_ extra: [String], environment: [String: String?] = [:]) throws -> (CommandResult, [String: Any]) {
        _ = try dir.write("corpus.txt", Corpus.text(characters: 6_000))
        let r = try CLI.run(
            [
                "bench", "corpus.txt", "--hidden", "16", "--batch", "4", "--seq", "16", "--steps", "3",
                "--sample", "50", "--threads", "1",
            ] + extra, in: dir.url, environment: environment)
        assertSuccess(r)
        let last = r.stdout.split(separator: "\n").last.map(String.init) ?? ""
        let json = try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any]
        return (r, try XCTUnwrap(json, r.summary))
    }

    func testPrintsThePeersKeys() throws {
        let (_, json) = try bench([])
        XCTAssertEqual(Set(json.keys), Self.peerKeys)
        XCTAssertEqual(json["peer"] as? String, "charnn")
        XCTAssertEqual(json["steps"] as? Int, 3)
        XCTAssertGreaterThan(json["sample_chars_per_s"] as? Double ?? 0, 0)
        XCTAssertTrue((json["val_loss_nats"] as? Double ?? .nan).isFinite)
    }

    func testSkippedEvaluationsAreNullNotMissing() throws {
        let (_, json) = try bench(["--no-eval"])
        XCTAssertEqual(Set(json.keys), Self.peerKeys)
        XCTAssertTrue(json["val_loss_nats"] is NSNull)
    }

    /// OpenBLAS releases older than the CPU fall back to generic SSE3 kernels ("Prescott");
    /// charnn restarts itself with OPENBLAS_CORETYPE set, so on a CPU with AVX2 and FMA the
    /// kernels in use are never a fallback, and a user's own OPENBLAS_CORETYPE is kept.
    func testRunsOnTheCPUsKernelsNotAFallback() throws {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        guard let flagsLine = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else {
            throw XCTSkip("no /proc/cpuinfo (not Linux)")
        }
        let flags = Set(flagsLine.split(separator: " "))
        guard flags.contains("avx2") && flags.contains("fma") else { throw XCTSkip("CPU without AVX2 and FMA") }
        let (r, _) = try bench(["--no-eval"], environment: ["OPENBLAS_CORETYPE": nil])
        let line = try XCTUnwrap(
            r.stderr.split(separator: "\n").first { $0.hasPrefix("bench: BLAS kernels ") }, r.summary)
        let core = line.dropFirst("bench: BLAS kernels ".count).prefix { $0 != "," }.lowercased()
        XCTAssertFalse(
            ["prescott", "core2", "penryn", "dunnington", "nehalem", "atom", "unknown"].contains(core), r.summary)

        let (pinned, _) = try bench(["--no-eval"], environment: ["OPENBLAS_CORETYPE": "Haswell"])
        XCTAssertTrue(pinned.stderr.contains("bench: BLAS kernels Haswell,"), pinned.summary)
    }

    /// A learning rate that throws the weights far off: bench reports the divergence and fails,
    /// instead of timing steps that no longer train.
    func testDivergenceIsAnError() throws {
        _ = try dir.write("corpus.txt", Corpus.text(characters: 6_000))
        let r = try CLI.run(
            [
                "bench", "corpus.txt", "--hidden", "16", "--batch", "4", "--seq", "16", "--steps", "100",
                "--lr", "1e30", "--sample", "50", "--threads", "1",
            ], in: dir.url)
        assertUserError(r, contains: ["training diverged", "--lr"], afterProgress: true)
    }
}
