import Foundation
import XCTest

@testable import Tokenization

/// Corpora that do not end, or do not fit in memory, are refused with the
/// amount they would need, never read until memory runs out.
final class CorpusMemoryTests: XCTestCase {
    private var folder: TemporaryFolder!
    override func setUp() { folder = TemporaryFolder() }
    override func tearDown() { folder.remove() }

    /// A regular file larger than the budget is refused before it is read.
    func testRegularFileOverTheBudgetIsRefusedUpFront() {
        let path = folder.write(String(repeating: "abc\n", count: 1000), name: "big.txt")
        assertThrows(
            .corpusTooLarge(path: path, bytesRead: 4000, endless: false, budget: 1000),
            mentioning: [path, "3.9 KiB", "would need up to 7.8 KiB", "1000 bytes of memory"]
        ) {
            try CorpusEncoder.build(
                path: path, unit: .grapheme, normalization: .nfc, maxVocabulary: 100,
                chunkSize: 1 << 20, memoryBudget: 1000)
        }
        let vocabulary = try! Vocabulary(unit: .grapheme, normalization: .nfc, tokens: ["\n", "a", "b", "c"])
        assertThrows(.corpusTooLarge(path: path, bytesRead: 4000, endless: false, budget: 1000)) {
            try CorpusEncoder.encode(
                path: path, vocabulary: vocabulary, unknown: .error, chunkSize: 1 << 20, memoryBudget: 1000)
        }
        XCTAssertEqual(
            try CorpusEncoder.build(
                path: path, unit: .grapheme, normalization: .nfc, maxVocabulary: 100,
                chunkSize: 1 << 20, memoryBudget: 8000
            ).ids.count, 4000)
    }

    /// `/dev/zero` behind a link: the byte unit reads it until the budget, then stops
    /// saying it may never end; a text unit stops at its first NUL.
    func testEndlessDeviceBehindALink() throws {
        let link = folder.path + "/corpus.txt"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "/dev/zero")
        for normalization in Normalization.allCases {
            assertStopsEndless(
                link, budget: 2 << 20, chunk: 1 << 16, mentioning: ["did not end after 1.", "never ends"]
            ) {
                try CorpusEncoder.build(
                    path: link, unit: .byte, normalization: normalization, maxVocabulary: 1 << 20,
                    chunkSize: 1 << 16, memoryBudget: 2 << 20)
            }
        }
        assertThrows(.binaryContent(path: link, byteOffset: 0, line: 1)) { try CorpusEncoder.build(path: link) }
    }

    /// `yes | charnn train /dev/stdin`: an endless pipe of text (here a FIFO fed by a thread).
    func testEndlessPipeOfText() throws {
        let fifo = folder.path + "/fifo"
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        signal(SIGPIPE, SIG_IGN)  // the writer learns that the reader left through EPIPE
        let writer = Thread {
            let fd = open(fifo, O_WRONLY)
            guard fd >= 0 else { return }
            let line = Array(String(repeating: "y\n", count: 4096).utf8)
            while line.withUnsafeBytes({ write(fd, $0.baseAddress!, $0.count) }) > 0 {}
            close(fd)
        }
        writer.start()
        assertStopsEndless(
            fifo, budget: 1 << 20, chunk: 1 << 16,
            mentioning: ["did not end after 5", "more than the 1.0 MiB", "pipe that never ends"]
        ) {
            try CorpusEncoder.build(
                path: fifo, unit: .grapheme, normalization: .nfc, maxVocabulary: 100,
                chunkSize: 1 << 16, memoryBudget: 1 << 20)
        }
    }

    /// Stopped as endless just past the budget: more than `budget / 2` bytes read, at most a chunk more.
    private func assertStopsEndless<T>(
        _ path: String, budget: Int, chunk: Int, mentioning: [String],
        file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> T
    ) {
        do {
            _ = try body()
            XCTFail("read an endless input to its end", file: file, line: line)
        } catch let error as TokenizationError {
            guard case .corpusTooLarge(path, let read, true, budget) = error else {
                return XCTFail("unexpected \(error)", file: file, line: line)
            }
            XCTAssertGreaterThan(read * CorpusEncoder.bytesPerUnitEstimate, budget, file: file, line: line)
            XCTAssertLessThanOrEqual(read, budget / 2 + chunk, file: file, line: line)
            for fragment in mentioning + [path] {
                XCTAssertTrue(
                    error.localizedDescription.contains(fragment), "\(error.localizedDescription) lacks \(fragment)",
                    file: file, line: line)
            }
        } catch {
            XCTFail("unexpected \(error)", file: file, line: line)
        }
    }

    /// One stretch with no two ASCII bytes side by side is normalized at once (up to a chunk): its
    /// NFC buffers grow with it, and past the memory available that is an error, not a trap.
    func testNFCBuffersOverTheMemoryAvailableAreRefused() throws {
        let text = String(repeating: "e\u{301}", count: 100_000)  // 300 kB, "é" decomposed
        let path = folder.write(text, name: "accents.txt")
        XCTAssertThrowsError(
            try CorpusEncoder.build(
                path: path, unit: .grapheme, normalization: .nfc, maxVocabulary: 100, chunkSize: 1 << 20,
                available: { 100_000 })
        ) { error in
            guard case .outOfMemory(path, let bytes, let what)? = error as? TokenizationError else {
                return XCTFail("unexpected \(error)")
            }
            XCTAssertGreaterThan(bytes, 100_000)
            XCTAssertEqual(what, "the NFC form of 293.0 KiB of its text from byte offset 0")
        }
        let corpus = try CorpusEncoder.build(
            path: path, unit: .grapheme, normalization: .nfc, maxVocabulary: 100, chunkSize: 1 << 20)
        XCTAssertEqual(corpus.ids.count, 100_000)
        XCTAssertEqual(corpus.vocabulary.tokens, ["\u{E9}"])
    }

    /// The default budget comes from the memory the system reports.
    func testDefaultBudgetIsHalfTheAvailableMemory() {
        let available = availableMemoryBytes()
        XCTAssertGreaterThan(available, 1 << 24)
        let budget = CorpusEncoder.defaultMemoryBudget()
        XCTAssertGreaterThan(budget, available / 4)
        XCTAssertLessThan(budget, available)
    }
}
