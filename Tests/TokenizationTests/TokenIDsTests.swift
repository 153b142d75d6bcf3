import XCTest

@testable import Tokenization

/// Compact id storage: UInt16 up to 65,536 tokens, UInt32 beyond.
final class TokenIDsTests: XCTestCase {
    private var folder: TemporaryFolder!
    override func setUp() { folder = TemporaryFolder() }
    override func tearDown() { folder.remove() }

    /// `count` distinct CJK ideographs (Extension A, Unified, Extension B), 100 per line.
    private func ideographs(_ count: Int) -> String {
        let ranges: [ClosedRange<UInt32>] = [0x3400...0x4DBF, 0x4E00...0x9FFF, 0x2_0000...0x2_A6DF]
        var scalars = String.UnicodeScalarView()
        var produced = 0
        outer: for range in ranges {
            for value in range {
                if produced == count { break outer }
                scalars.append(Unicode.Scalar(value)!)
                produced += 1
                if produced % 100 == 0 { scalars.append("\n") }
            }
        }
        precondition(produced == count)
        return String(scalars)
    }

    func testPromotionToUInt32Beyond65536Tokens() throws {
        let text = ideographs(70_000)
        let path = folder.write(text, name: "ideographs.txt")
        for unit in [TextUnit.scalar, .grapheme] {
            let corpus = try CorpusEncoder.build(
                path: path, unit: unit, normalization: .nfc, maxVocabulary: 1 << 20, chunkSize: 1 << 16)
            XCTAssertEqual(corpus.vocabulary.count, 70_001)  // with "\n"
            XCTAssertEqual(corpus.ids.bytesPerID, 4)
            XCTAssertEqual(corpus.ids.count, text.unicodeScalars.count)
            XCTAssertEqual(corpus.ids.max(), 70_000)
            // Sorted by code point: "\n", then U+3400, U+3401, ...
            XCTAssertEqual(corpus.vocabulary.token(at: 1), "\u{3400}")
            XCTAssertEqual(corpus.ids[0], 1)
            XCTAssertEqual(corpus.ids[99], 100)
            XCTAssertEqual(corpus.ids[100], 0)
            XCTAssertEqual(corpus.ids[corpus.ids.count - 2], 70_000)
            XCTAssertSameScalars(corpus.vocabulary.decode(corpus.ids), text)
        }
    }

    func testExactly65536TokensStayUInt16() throws {
        let text = ideographs(65_535)
        let corpus = try CorpusEncoder.build(
            path: folder.write(text, name: "edge.txt"), unit: .scalar, normalization: .none)
        XCTAssertEqual(corpus.vocabulary.count, 65_536)
        XCTAssertEqual(corpus.ids.bytesPerID, 2)
        XCTAssertEqual(corpus.ids.max(), 65_535)
        XCTAssertSameScalars(corpus.vocabulary.decode(corpus.ids), text)
    }

    func testCopyRangeInBothWidths() {
        for values in [[3, 0, 65_535, 7, 1], [3, 0, 70_000, 7, 1]] {
            let ids = TokenIDs(values)
            XCTAssertEqual(ids.bytesPerID, values.max()! > 65_535 ? 4 : 2)
            XCTAssertEqual(Array(ids), values.map(Int32.init))
            var destination = [Int32](repeating: -1, count: 4)
            destination.withUnsafeMutableBufferPointer { ids.copy(1..<4, to: $0.baseAddress! + 1) }
            XCTAssertEqual(destination, [-1, 0, Int32(values[2]), 7])
            XCTAssertEqual(ids.array(2..<5), values[2...].map(Int32.init))
        }
        XCTAssertEqual(TokenIDs([Int]()).count, 0)
    }
}
