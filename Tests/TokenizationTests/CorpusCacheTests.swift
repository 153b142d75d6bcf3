import Foundation
import XCTest

@testable import Tokenization

/// The id cache: a corpus encoded once, mapped by later runs; stale and damaged caches replaced.
final class CorpusCacheTests: XCTestCase {
    private var folder: TemporaryFolder!
    override func setUp() { folder = TemporaryFolder() }
    override func tearDown() { folder.remove() }

    /// Caches into the test folder whatever the corpus's size.
    private var policy: CorpusCachePolicy { CorpusCachePolicy(directory: folder.path + "/cache", minimumBytes: 1) }

    private func text(_ lines: Int, seed: Int = 1) -> String {
        (0..<lines).map { "line \($0 * seed): the quick brown fox é ü 漢字 \($0 % 7)\n" }.joined()
    }

    private func load(_ path: String, policy: CorpusCachePolicy? = nil, unit: TextUnit = .grapheme)
        throws -> (EncodedCorpus, CorpusCacheReport)
    {
        try CorpusCache.load(
            path: path, unit: unit, normalization: .nfc, maxVocabulary: 1 << 20,
            policy: policy ?? self.policy)
    }

    private func cacheFile(_ report: CorpusCacheReport) throws -> String { try XCTUnwrap(report.cachePath) }

    func testRoundTripMapsTheSameIdsAndVocabulary() throws {
        let path = folder.write(text(500), name: "corpus.txt")
        let reference = try CorpusEncoder.build(path: path, unit: .grapheme, normalization: .nfc)
        let (built, first) = try load(path)
        XCTAssertEqual(first.outcome, .built)
        XCTAssertTrue(built.ids.isMapped)
        let (reused, second) = try load(path)
        XCTAssertEqual(second.outcome, .reused)
        XCTAssertEqual(second.cachePath, first.cachePath)
        for corpus in [built, reused] {
            XCTAssertEqual(corpus.vocabulary, reference.vocabulary)
            XCTAssertEqual(Array(corpus.ids), Array(reference.ids))
            XCTAssertEqual(corpus.ids.bytesPerID, 1)
            XCTAssertEqual(corpus.byteCount, reference.byteCount)
            XCTAssertEqual(corpus.ids.fingerprint, reference.ids.fingerprint)
        }
        XCTAssertEqual(reused.ids.array(3..<40), reference.ids.array(3..<40))
    }

    func testWideIdsRoundTrip() throws {
        // 300 distinct scalars: two bytes per id, in memory and in the cache.
        let scalars = (0..<300).map { String(UnicodeScalar(0x4E00 + $0)!) }.joined()
        let path = folder.write(scalars + "\n" + scalars, name: "wide.txt")
        let reference = try CorpusEncoder.build(path: path, unit: .scalar, normalization: .nfc)
        XCTAssertEqual(reference.ids.bytesPerID, 2)
        _ = try load(path, unit: .scalar)
        let (reused, report) = try load(path, unit: .scalar)
        XCTAssertEqual(report.outcome, .reused)
        XCTAssertEqual(reused.ids.bytesPerID, 2)
        XCTAssertEqual(Array(reused.ids), Array(reference.ids))
        XCTAssertEqual(reused.ids.fingerprint, reference.ids.fingerprint)
    }

    func testFastFingerprintEqualsTheGenericOne() {
        for values in [[3, 0, 255, 7, 1], [3, 0, 65_535, 7, 1], [3, 0, 70_000, 7, 1]] {
            let ids = TokenIDs(values)
            var h: UInt64 = 0xcbf2_9ce4_8422_2325
            for v in values {
                var x = UInt32(v)
                for _ in 0..<4 { h = (h ^ UInt64(x & 0xff)) &* 0x0000_0100_0000_01b3; x >>= 8 }
            }
            XCTAssertEqual(ids.fingerprint, hex16(h), "\(values)")
        }
    }

    func testChangedCorpusIsEncodedAgain() throws {
        let path = folder.write(text(300), name: "corpus.txt")
        let (_, first) = try load(path)
        XCTAssertEqual(first.outcome, .built)
        // Same size, different content and modification time.
        let changed = text(300).replacingOccurrences(of: "fox", with: "cat")
        XCTAssertEqual(changed.utf8.count, text(300).utf8.count)
        folder.write(changed, name: "corpus.txt")
        let (corpus, second) = try load(path)
        XCTAssertEqual(second.outcome, .built)
        XCTAssertEqual(second.notes, [], "a stale cache is replaced without a warning")
        XCTAssertEqual(Array(corpus.ids), Array(try CorpusEncoder.build(path: path).ids))
        XCTAssertEqual(try load(path).1.outcome, .reused)
    }

    func testSameSizeAndTimeButDifferentSampledContentIsStale() throws {
        let path = folder.write(text(300), name: "corpus.txt")
        let (_, first) = try load(path)
        var info = stat()
        stat(path, &info)
        let changed = text(300).replacingOccurrences(of: "quick", with: "QUICK")
        folder.write(changed, name: "corpus.txt")
        // Put the old modification time back (what `cp -p` of another file of the same size does).
        var times = [info.st_atim, info.st_mtim]
        XCTAssertEqual(utimensat(AT_FDCWD, path, &times, 0), 0)
        let (corpus, second) = try load(path)
        XCTAssertEqual(second.outcome, .built)
        XCTAssertEqual(second.cachePath, first.cachePath)
        XCTAssertEqual(corpus.vocabulary.tokens.contains("Q"), true)
    }

    func testOtherUnitHasItsOwnCache() throws {
        let path = folder.write(text(100), name: "corpus.txt")
        let (_, grapheme) = try load(path, unit: .grapheme)
        let (bytes, byteReport) = try load(path, unit: .byte)
        XCTAssertEqual(byteReport.outcome, .built)
        XCTAssertNotEqual(grapheme.cachePath, byteReport.cachePath)
        XCTAssertEqual(bytes.vocabulary.unit, .byte)
        XCTAssertEqual(try load(path, unit: .grapheme).1.outcome, .reused)
    }

    /// Truncated, corrupted, ids ≥ V, garbage: each is rebuilt with a note naming the problem.
    func testDamagedCachesAreRebuiltWithANote() throws {
        let path = folder.write(text(400), name: "corpus.txt")
        let reference = Array(try CorpusEncoder.build(path: path).ids)
        let (_, first) = try load(path)
        let cache = try cacheFile(first)
        let original = try XCTUnwrap(FileManager.default.contents(atPath: cache))
        let file = try MappedFile(path: cache)
        let header = try IDCacheHeader.decode(file)
        let offset = header.idsOffset
        var truncated = original
        truncated.removeLast(10)
        var flipped = original
        flipped[offset + 100] = flipped[offset + 100] == 1 ? 2 : 1  // still a valid id: the checksum catches it
        var tooLarge = original
        tooLarge[offset + 5] = 250  // ≥ the vocabulary's size
        var badMagic = original
        badMagic[0] = UInt8(ascii: "X")
        let cases: [(String, Data, String)] = [
            ("truncated", truncated, "truncated"), ("flipped", flipped, "checksum"),
            ("id too large", tooLarge, "the id 250"), ("bad magic", badMagic, "magic"),
            ("empty", Data(), "not a non-empty regular file"), ("garbage", Data(repeating: 7, count: 5000), "magic"),
        ]
        for (name, bytes, why) in cases {
            XCTAssertTrue(FileManager.default.createFile(atPath: cache, contents: bytes), name)
            let (corpus, report) = try load(path)
            XCTAssertEqual(report.outcome, .built, name)
            XCTAssertEqual(report.notes.count, 1, name)
            XCTAssertTrue(report.notes.first?.contains(why) ?? false, "\(name): \(report.notes)")
            XCTAssertTrue(report.notes.first?.contains(cache) ?? false, "\(name): \(report.notes)")
            XCTAssertEqual(Array(corpus.ids), reference, name)
            XCTAssertEqual(try load(path).1.outcome, .reused, name)
        }
    }

    func testUnwritablePlacesFallBackThenEncodeInMemory() throws {
        let path = folder.write(text(200), name: "corpus.txt")
        // /proc cannot hold files, even for root (chmod does not stop root, /proc does).
        let nowhere = CorpusCachePolicy(directory: "/proc/charnn-no-such-dir", minimumBytes: 1)
        let (corpus, report) = try load(path, policy: nowhere)
        XCTAssertEqual(report.outcome, .uncached)
        XCTAssertFalse(corpus.ids.isMapped)
        XCTAssertEqual(report.notes.count, 1)
        XCTAssertTrue(report.notes[0].hasPrefix("cannot write the id cache /proc/charnn-no-such-dir/"), report.notes[0])
        XCTAssertEqual(Array(corpus.ids), Array(try CorpusEncoder.build(path: path).ids))
    }

    func testDefaultPlacementBesideTheCorpusThenTheUserCache() {
        let policy = CorpusCachePolicy()
        let env = ["HOME": "/home/u", "XDG_CACHE_HOME": ""]
        let c = policy.candidates(for: "/data/big.txt", unit: .grapheme, normalization: .nfc, environment: env)
        XCTAssertEqual(c.count, 2)
        XCTAssertEqual(c[0], "/data/big.txt.grapheme-nfc.charnn-ids")
        XCTAssertTrue(c[1].hasPrefix("/home/u/.cache/charnn/big.txt-"), c[1])
        XCTAssertTrue(c[1].hasSuffix(".grapheme-nfc.charnn-ids"), c[1])
        let x = policy.candidates(
            for: "/data/big.txt", unit: .byte, normalization: .none,
            environment: ["XDG_CACHE_HOME": "/xdg"])
        XCTAssertTrue(x[1].hasPrefix("/xdg/charnn/big.txt-"), x[1])
        XCTAssertTrue(x[0].hasSuffix(".byte-none.charnn-ids"), x[0])
        XCTAssertEqual(CorpusCachePolicy.fromEnvironment(["CHARNN_IDS_CACHE": "off"]).enabled, false)
        XCTAssertEqual(
            CorpusCachePolicy.fromEnvironment(["CHARNN_IDS_CACHE": "/c"]),
            CorpusCachePolicy(directory: "/c", minimumBytes: 1))
        XCTAssertEqual(CorpusCachePolicy.fromEnvironment([:]), CorpusCachePolicy())
    }

    /// A read-only corpus folder with a valid cache beside the corpus: the cache is used, not rewritten.
    func testValidCacheBesideAReadOnlyCorpusIsUsed() throws {
        let data = folder.path + "/data"
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        let path = folder.write(text(100), name: "data/corpus.txt")
        // Made beside the corpus by whoever could write there.
        let beside = CorpusCachePolicy(directory: data, minimumBytes: 1)
        let (_, made) = try load(path, policy: beside)
        XCTAssertEqual(made.outcome, .built)
        let attributes = try FileManager.default.attributesOfItem(atPath: try cacheFile(made))
        XCTAssertEqual(chmod(data, 0o555), 0)
        defer { chmod(data, 0o755) }
        let (_, again) = try load(path, policy: beside)
        XCTAssertEqual(again.outcome, .reused)
        let after = try FileManager.default.attributesOfItem(atPath: try cacheFile(made))
        XCTAssertEqual(after[.modificationDate] as? Date, attributes[.modificationDate] as? Date)
    }

    func testSmallCorporaAndPipesAreNotCached() throws {
        let path = folder.write(text(10), name: "small.txt")
        let (corpus, report) = try load(path, policy: CorpusCachePolicy(directory: folder.path, minimumBytes: 1 << 20))
        XCTAssertEqual(report.outcome, .uncached)
        XCTAssertEqual(report.notes, [])
        XCTAssertFalse(corpus.ids.isMapped)
        let (_, off) = try load(path, policy: CorpusCachePolicy(enabled: false))
        XCTAssertEqual(off.outcome, .uncached)
    }

    func testCorpusErrorsAreTheEncodersErrors() {
        XCTAssertThrowsError(try load(folder.path + "/missing.txt")) {
            XCTAssertEqual($0 as? TokenizationError, .fileNotFound(path: folder.path + "/missing.txt"))
        }
        let empty = folder.write("", name: "empty.txt")
        XCTAssertThrowsError(try load(empty)) { XCTAssertEqual($0 as? TokenizationError, .emptyFile(path: empty)) }
    }

    func testVocabularyLimitHoldsForACachedCorpus() throws {
        let path = folder.write(text(50), name: "corpus.txt")
        let (corpus, _) = try load(path)
        XCTAssertThrowsError(
            try CorpusCache.load(
                path: path, unit: .grapheme, normalization: .nfc,
                maxVocabulary: corpus.vocabulary.count - 1, policy: policy)
        ) {
            guard case .vocabularyTooLarge = $0 as? TokenizationError else { return XCTFail("\($0)") }
        }
    }

    /// Several processes at once: each one maps the same cache, one of them wrote it.
    func testConcurrentLoadsAgree() throws {
        let path = folder.write(text(3000), name: "corpus.txt")
        let reference = Array(try CorpusEncoder.build(path: path).ids)
        let policy = self.policy
        final class Results: @unchecked Sendable {
            let lock = NSLock()
            var values: [Int] = []
            func add(_ v: Int) { lock.lock(); values.append(v); lock.unlock() }
        }
        let results = Results()
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            let loaded = try? CorpusCache.load(
                path: path, unit: .grapheme, normalization: .nfc,
                maxVocabulary: 1 << 20, policy: policy)
            results.add(loaded.map { Array($0.0.ids) == reference ? ($0.1.outcome == .built ? 1 : 2) : -1 } ?? -2)
        }
        let outcomes = results.values
        XCTAssertEqual(outcomes.count, 4)
        XCTAssertEqual(outcomes.filter { $0 < 0 }, [])
        XCTAssertGreaterThanOrEqual(outcomes.filter { $0 == 1 }.count, 1)
    }
}
