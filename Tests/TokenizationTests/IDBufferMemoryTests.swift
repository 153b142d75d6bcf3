import Foundation
import XCTest

@testable import Tokenization

/// The id buffer's growth past its reservation (NFC can make more units than a chunk has bytes)
/// and its widening at 256 and 65,536 units ask the memory budget first: over it, the corpus is
/// refused with `TokenizationError.outOfMemory`, never a trap.
final class IDBufferMemoryTests: XCTestCase {
    private var folder: TemporaryFolder!
    override func setUp() { folder = TemporaryFolder() }
    override func tearDown() { folder.remove() }

    func testWideningOverTheBudgetIsRecordedNotATrap() {
        var ids = IDBuffer(capacity: 1000, width: 1)
        for k in 0..<300 { ids.append(Int32(k % 256)) }
        ids.available = { 100 }
        ids.widen()
        XCTAssertEqual(ids.width, 1, "no wider block than the budget")
        XCTAssertNotNil(ids.refused)
    }

    /// Where the whole reservation does not fit wider, the ids so far and half as many again do.
    func testWideningShrinksTheReservationToFit() {
        var ids = IDBuffer(capacity: 1000, width: 1)
        for k in 0..<300 { ids.append(Int32(k % 256)) }
        ids.available = { 1500 }
        ids.widen()
        XCTAssertEqual(ids.width, 2)
        XCTAssertNil(ids.refused)
        XCTAssertLessThan(ids.capacity, 1000)
        ids.available = { 1 << 20 }
        for k in 300..<1200 { ids.append(Int32(k)) }
        XCTAssertNil(ids.refused, "growth goes on as needed")
        XCTAssertEqual(ids.array(), (0..<1200).map { Int32($0 < 300 ? $0 % 256 : $0) })
    }

    func testGrowthOverTheBudgetIsRecordedNotATrap() {
        var ids = IDBuffer(capacity: 16, width: 1)
        ids.available = { 20 }
        for k in 0..<40 { ids.append(Int32(k)) }
        XCTAssertEqual(ids.count, 16, "the ids past the room are dropped")
        XCTAssertEqual(ids.refused, 16 + 8 + 16)
    }

    /// U+0958 is 3 bytes and its NFC form 6 (U+0915 U+093C): with the byte unit, more units than
    /// the chunk has bytes, past the ids reserved for it. ("ab" keeps each stretch that is
    /// normalized short: its buffers need not grow.)
    func testNFCThatLengthensTextIsRefusedOverTheBudget() throws {
        let text = String(repeating: "\u{0958}ab", count: 1000)
        XCTAssertEqual(referenceNFC(text).utf8.count, 8000)
        let path = folder.write(text, name: "nukta.txt")
        XCTAssertThrowsError(
            try CorpusEncoder.build(
                path: path, unit: .byte, normalization: .nfc, maxVocabulary: 256, chunkSize: 1 << 20,
                available: { 6000 })
        ) { error in
            guard case .outOfMemory(path, let bytes, let what)? = error as? TokenizationError else {
                return XCTFail("unexpected \(error)")
            }
            XCTAssertGreaterThan(bytes, 6000)
            XCTAssertEqual(what, "the ids of its first 4.9 KiB")
            XCTAssertTrue("\(error.localizedDescription)".contains("the system refused about"))
        }
        let corpus = try CorpusEncoder.build(
            path: path, unit: .byte, normalization: .nfc, maxVocabulary: 256, chunkSize: 1 << 20)
        XCTAssertEqual(corpus.ids.count, 8000)
    }

    /// 300 distinct units: the ids widen to two bytes at the 257th.
    func testWideningOverTheBudgetIsRefused() throws {
        let text = String(String.UnicodeScalarView((0..<300).map { Unicode.Scalar(0x4E00 + $0)! }))
        let path = folder.write(text, name: "han.txt")
        for unit in [TextUnit.grapheme, .scalar] {
            XCTAssertThrowsError(
                try CorpusEncoder.build(
                    path: path, unit: unit, normalization: .nfc, maxVocabulary: 1000, chunkSize: 1 << 20,
                    available: { 500 })
            ) { error in
                guard case .outOfMemory(path, _, _)? = error as? TokenizationError else {
                    return XCTFail("unexpected \(error)")
                }
            }
            // Enough for the ids so far and half as many again: the reservation shrinks to fit.
            let corpus = try CorpusEncoder.build(
                path: path, unit: unit, normalization: .nfc, maxVocabulary: 1000, chunkSize: 1 << 20,
                available: { 1000 })
            XCTAssertEqual(corpus.ids.count, 300)
            XCTAssertEqual(corpus.vocabulary.decode(corpus.ids), text)
        }
    }
}
