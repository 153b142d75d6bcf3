import XCTest
import _TestSupport

@testable import Tokenization

/// `decode(encode(x)) == normalize(x)` over generated texts, for every unit,
/// both normalizations, in memory and through files cut into many chunks.
final class RoundTripTests: XCTestCase {
    private var folder: TemporaryFolder!
    override func setUp() { folder = TemporaryFolder() }
    override func tearDown() { folder.remove() }

    private let chunkSizes = [4, 7, 16, 61, 1 << 20]

    func testGeneratedTextsRoundTripThroughFilesInEveryUnit() throws {
        for seed in UInt64(1)...16 {
            let text = TextPieces.text(seed: seed, count: 250)
            let path = folder.write(text, name: "text-\(seed).txt")
            for normalization in Normalization.allCases {
                let expected = reference(text, normalization)
                for unit in TextUnit.allCases {
                    let context = "seed \(seed), \(unit), \(normalization)"
                    var first: EncodedCorpus?
                    for chunkSize in chunkSizes {
                        let corpus = try CorpusEncoder.build(
                            path: path, unit: unit, normalization: normalization,
                            maxVocabulary: 1 << 20, chunkSize: chunkSize)
                        let vocabulary = corpus.vocabulary
                        XCTAssertSameScalars(vocabulary.decode(corpus.ids), expected, context)
                        XCTAssertEqual(corpus.byteCount, text.utf8.count, context)
                        if let first {
                            XCTAssertEqual(corpus.vocabulary, first.vocabulary, "\(context), chunk \(chunkSize)")
                            XCTAssertEqual(Array(corpus.ids), Array(first.ids), "\(context), chunk \(chunkSize)")
                        } else {
                            first = corpus
                            // Every unit is exactly what Swift's own views of the normalized text give.
                            let units = referenceUnits(expected, unit)
                            XCTAssertEqual(corpus.ids.map { Array(vocabulary.token(at: Int($0)).utf8) }, units, context)
                            assertSortedAndUnique(vocabulary, context)
                        }
                    }
                    // A saved vocabulary meets the same text: same ids, in memory and from the file.
                    let corpus = first!
                    let inMemory = try corpus.vocabulary.encode(text, unknown: .error)
                    XCTAssertEqual(inMemory.ids, Array(corpus.ids), context)
                    XCTAssertTrue(inMemory.unknowns.isEmpty, context)
                    let fromFile = try CorpusEncoder.encode(
                        path: path, vocabulary: corpus.vocabulary, unknown: .error, chunkSize: 16)
                    XCTAssertEqual(Array(fromFile.ids), Array(corpus.ids), context)
                }
            }
        }
    }

    func testByteUnitDecodesToTheOriginalBytes() throws {
        let text = "naïve café 漢字 👩‍💻\r\n"
        let path = folder.write(text, name: "bytes.txt")
        let corpus = try CorpusEncoder.build(path: path, unit: .byte, normalization: .none)
        XCTAssertEqual(corpus.vocabulary.decodeBytes(corpus.ids), Array(text.utf8))
        XCTAssertSameScalars(corpus.vocabulary.decode(corpus.ids), text)
        // Every token is the Latin-1 scalar of its byte.
        for (id, token) in corpus.vocabulary.tokens.enumerated() {
            let scalars = Array(token.unicodeScalars)
            XCTAssertEqual(scalars.count, 1)
            XCTAssertEqual(corpus.vocabulary.decodeBytes([id]), [UInt8(scalars[0].value)])
        }
        // A cut in the middle of a character decodes with a replacement character.
        let ids = Array(corpus.ids)
        let cut = Array(text.utf8).firstIndex(of: 0xE6)! + 1  // inside 漢
        XCTAssertTrue(corpus.vocabulary.decode(ids[..<cut]).hasSuffix("\u{FFFD}"))
    }

    func testNormalizationMatchesFoundation() {
        for seed in UInt64(100)..<110 {
            let text = TextPieces.text(seed: seed, count: 200)
            XCTAssertSameScalars(Normalization.nfc.apply(to: text), referenceNFC(text), "seed \(seed)")
            XCTAssertSameScalars(Normalization.none.apply(to: text), text)
        }
        XCTAssertSameScalars(Normalization.nfc.apply(to: "e\u{301}"), "\u{E9}")
        XCTAssertSameScalars(Normalization.nfc.apply(to: "o\u{323}\u{302}"), "\u{1ED9}")
        XCTAssertSameScalars(Normalization.nfc.apply(to: "\u{1100}\u{1161}\u{11A8}"), "\u{AC01}")
        XCTAssertSameScalars(Normalization.nfc.apply(to: "\u{D558}\u{11A8}"), "\u{D559}")  // LV + T → LVT
        XCTAssertSameScalars(Normalization.nfc.apply(to: "\u{212B}"), "\u{C5}")
        XCTAssertSameScalars(Normalization.nfc.apply(to: "\u{0958}"), "\u{0915}\u{093C}")
    }

    func testLongLinesWithoutLineFeedsAreCutBetweenIdeographs() throws {
        // No LF and no ASCII pair: the only safe cuts are between ideographs.
        var random = SeededRandom(seed: 7)
        var text = ""
        for _ in 0..<3000 {
            text.unicodeScalars.append(Unicode.Scalar(UInt32.random(in: 0x4E00...0x9FFF, using: &random))!)
            if Int.random(in: 0..<10, using: &random) == 0 { text += "e\u{301}👍🏽" }
        }
        let path = folder.write(text, name: "cjk-line.txt")
        try assertSmallChunksMatchWhole(path: path, text: text, chunkSize: 8)
    }

    func testSafeCuts() {
        func cut(_ text: String) -> Int { Array(text.utf8).withUnsafeBufferPointer { lastSafeCut($0) } }
        XCTAssertEqual(cut("ab\ncd"), 3)  // just after the last LF
        XCTAssertEqual(cut("abcd"), 3)  // between two ASCII bytes
        XCTAssertEqual(cut("ab\r\n"), 4)
        XCTAssertEqual(cut("a\r"), 1)  // never inside CR LF, and not after a final CR...
        XCTAssertEqual(cut("漢字"), 3)  // between two ideographs
        XCTAssertEqual(cut("e\u{301}"), 0)  // never before a combining mark
        XCTAssertEqual(cut("👍🏽"), 0)
        XCTAssertEqual(cut("\u{600}1"), 0)  // never after a prepended mark
        XCTAssertEqual(cut("\u{600}漢"), 0)
        XCTAssertEqual(cut("字葛\u{E0100}"), 3)  // before 葛, not before its variation selector
        XCTAssertEqual(cut("при вет"), 11)  // between Cyrillic letters, before т
        XCTAssertEqual(cut("ab\u{387}"), 1)  // not before U+0387 (NFC turns it into U+00B7)
        XCTAssertEqual(cut("👍👍"), 0)
        XCTAssertEqual(cut("\u{1F44D}"), 0)
        // Ill-formed bytes: no crash, no cut inside what could be a sequence.
        for bytes: [UInt8] in [
            [0xE6, 0x97], [0x41, 0xC3], [0xC3, 0xC3, 0xA9], [0x80, 0x80, 0x41], [0xFF, 0x41, 0x42],
        ] {
            _ = bytes.withUnsafeBufferPointer { lastSafeCut($0) }
        }
        XCTAssertEqual([UInt8]([0xC3, 0xC3, 0xA9]).withUnsafeBufferPointer { lastSafeCut($0) }, 0)
    }

    /// Text cut at every safe cut normalizes and segments piece by piece exactly as a whole.
    func testPiecesCutAtSafeCutsNormalizeAndSegmentAsAWhole() {
        for seed in UInt64(200)..<216 {
            let text = TextPieces.text(seed: seed, count: 300)
            let whole = referenceNFC(text)
            var pieces: [String] = []
            Array(text.utf8).withUnsafeBufferPointer { utf8 in
                forEachPiece(of: utf8, pieceSize: 1) { pieces.append(String(decoding: $0, as: UTF8.self)) }
            }
            XCTAssertGreaterThan(pieces.count, 100)
            XCTAssertSameScalars(pieces.joined(), text)
            XCTAssertSameScalars(pieces.map(referenceNFC).joined(), whole, "seed \(seed)")
            XCTAssertEqual(
                pieces.flatMap { referenceUnits($0, .grapheme) }, referenceUnits(text, .grapheme), "seed \(seed)")
        }
    }

    /// The starters of safe cuts are NFC quick-check Yes (ICU) with combining class 0.
    func testSafeCutStartersAreNormalizationBoundaries() {
        let backend = NFCBackend()
        var members = 0
        for value in UInt32(0)...0xFFFF {
            guard let scalar = Unicode.Scalar(value) else { continue }
            let bytes = Array(("a" + String(scalar)).utf8)
            guard bytes.withUnsafeBufferPointer({ startsSafeCut($0.baseAddress! + 1) }) else { continue }
            members += 1
            XCTAssertEqual(scalar.properties.canonicalCombiningClass, .notReordered, "U+\(String(value, radix: 16))")
            XCTAssertNil(
                try bytes.withUnsafeBufferPointer { try backend.normalize($0) }, "U+\(String(value, radix: 16))")
        }
        XCTAssertGreaterThan(members, 35_000)
    }

    func testLongLinesOfLettersAreCutBetweenLetters() throws {
        // Russian and Greek with single spaces and no line feed: cuts fall between letters.
        var random = SeededRandom(seed: 3)
        let words = ["привет", "мир", "καλημέρα", "κόσμε", "Ё", "й", "e\u{301}", "\u{387}", "·"]
        var text = ""
        for _ in 0..<2000 { text += words.randomElement(using: &random)! + " " }
        let path = folder.write(text, name: "one-line.txt")
        try assertSmallChunksMatchWhole(path: path, text: text, chunkSize: 16)
    }

    /// The scalars that `isTriviallyNFC` lets through without ICU are NFC quick-check
    /// Yes (ICU's span covers them all) with combining class 0.
    func testTriviallyNFCScalarsNeedNoNormalization() throws {
        let backend = NFCBackend()
        for range in [UInt32(0x1)...0x2FF, 0x4000...0x9FFF, 0xB000...0xCFFF] {
            var scalars = String.UnicodeScalarView()
            for value in range {
                let scalar = Unicode.Scalar(value)!
                XCTAssertEqual(
                    scalar.properties.canonicalCombiningClass, .notReordered, "U+\(String(value, radix: 16))")
                scalars.append(scalar)
            }
            var utf8 = Array(String(scalars).utf8)
            try utf8.withUnsafeMutableBufferPointer { buffer in
                let text = UnsafeBufferPointer(buffer)
                XCTAssertTrue(isTriviallyNFC(text))
                XCTAssertNil(try backend.normalize(text), "\(range) is not all NFC quick-check Yes")
            }
        }
        for text in ["e\u{301}", "\u{300}", "か\u{3099}", "\u{AC00}\u{11A8}", "\u{212B}"] {
            XCTAssertFalse(Array(text.utf8).withUnsafeBufferPointer { isTriviallyNFC($0) }, text)
        }
    }

    /// The scalars that the grapheme scanner cuts without grapheme rules never join
    /// a neighbour of class Other, nor each other.
    func testSimpleGraphemeScalarsBreakOnBothSides() {
        let ranges: [ClosedRange<UInt32>] = [
            0x0...0x2FF, 0x370...0x3FF, 0x400...0x482, 0x48A...0x4FF, 0x5D0...0x5EA, 0x621...0x64A,
            0x3041...0x3096, 0x30A1...0x30FA, 0x4000...0x9FFF, 0xAC00...0xD7A3,
        ]
        func count(_ scalars: [Unicode.Scalar]) -> Int { String(String.UnicodeScalarView(scalars)).count }
        var members = 0
        for value in UInt32(0)...0xFFFF {
            guard let scalar = Unicode.Scalar(value) else { continue }
            let bytes = Array(String(scalar).utf8)
            let simple = bytes.withUnsafeBufferPointer { isSimpleGraphemeLead($0.baseAddress!) }
            let expected = ranges.contains { $0.contains(value) }
            XCTAssertEqual(simple, expected, "U+\(String(value, radix: 16))")
            guard simple else { continue }
            members += 1
            if value == 0x0D || value == 0x0A { continue }  // CR LF: the one exception
            XCTAssertFalse(scalar.properties.isGraphemeExtend)
            XCTAssertEqual(count([scalar, "a"]), 2, "U+\(String(value, radix: 16))")
            XCTAssertEqual(count(["a", scalar]), 2, "U+\(String(value, radix: 16))")
            XCTAssertEqual(count([scalar, scalar]), 2, "U+\(String(value, radix: 16))")
        }
        XCTAssertEqual(members, ranges.reduce(0) { $0 + $1.count })
    }

    private func assertSortedAndUnique(
        _ vocabulary: Vocabulary, _ context: String, file: StaticString = #filePath, line: UInt = #line
    ) {
        let bytes = vocabulary.tokens.map { Array($0.utf8) }
        for k in bytes.indices.dropFirst() where !bytes[k - 1].lexicographicallyPrecedes(bytes[k]) {
            XCTFail("\(context): tokens \(k - 1) and \(k) are out of order or equal", file: file, line: line)
        }
    }

    /// Encoding `path` in chunks of `chunkSize` bytes gives the vocabulary and ids of one
    /// chunk, for every unit, and decodes to NFC(`text`).
    func assertSmallChunksMatchWhole(
        path: String, text: String, chunkSize: Int,
        file: StaticString = #filePath, line: UInt = #line
    ) throws {
        for unit in TextUnit.allCases {
            let small = try CorpusEncoder.build(
                path: path, unit: unit, normalization: .nfc, maxVocabulary: 1 << 20,
                chunkSize: chunkSize)
            let whole = try CorpusEncoder.build(
                path: path, unit: unit, normalization: .nfc, maxVocabulary: 1 << 20,
                chunkSize: 1 << 20)
            XCTAssertEqual(small.vocabulary, whole.vocabulary, "\(unit)", file: file, line: line)
            XCTAssertEqual(Array(small.ids), Array(whole.ids), "\(unit)", file: file, line: line)
            XCTAssertSameScalars(
                small.vocabulary.decode(small.ids), referenceNFC(text), "\(unit)", file: file, line: line)
        }
    }
}
