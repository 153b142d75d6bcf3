import Foundation
import XCTest
import _TestSupport

@testable import Tokenization

/// `--unit byte` takes any file: every byte value is a
/// possible token, NUL included, and nothing is validated as UTF-8.
final class ByteUnitTests: XCTestCase {
    private var folder: TemporaryFolder!
    override func setUp() { folder = TemporaryFolder() }
    override func tearDown() { folder.remove() }

    private func randomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
        var random = SeededRandom(seed: seed)
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &random) }
    }

    /// Random binary data, unnormalized: the ids are the bytes, in any chunking, and they
    /// decode to the file exactly; the saved vocabulary encodes the file again to the same ids.
    func testRandomBinaryRoundTripsWithoutNormalization() throws {
        for seed in UInt64(1)...8 {
            let bytes = randomBytes(Int(seed) * 1500, seed: seed) + [0, 0, 0xFF, 0xC3]
            let path = folder.write(bytes, name: "random-\(seed).bin")
            var first: EncodedCorpus?
            for chunkSize in [4, 7, 61, 1 << 20] {
                let corpus = try CorpusEncoder.build(
                    path: path, unit: .byte, normalization: .none,
                    maxVocabulary: 1 << 20, chunkSize: chunkSize)
                XCTAssertEqual(corpus.vocabulary.decodeBytes(corpus.ids), bytes, "seed \(seed), chunk \(chunkSize)")
                XCTAssertEqual(corpus.byteCount, bytes.count)
                XCTAssertEqual(
                    corpus.vocabulary.tokens.map { $0.unicodeScalars.first!.value },
                    Set(bytes).sorted().map(UInt32.init))
                if let first { XCTAssertEqual(Array(corpus.ids), Array(first.ids)) } else { first = corpus }
            }
            let vocabulary = try Vocabulary(jsonData: first!.vocabulary.jsonData())
            let again = try CorpusEncoder.encode(path: path, vocabulary: vocabulary, unknown: .error, chunkSize: 13)
            XCTAssertEqual(Array(again.ids), Array(first!.ids))
        }
    }

    /// Under NFC (the CLI's default), a binary file still loads; the well-formed UTF-8
    /// stretches are normalized, each ill-formed byte is kept, and chunking changes nothing.
    func testAnyFileUnderNFC() throws {
        // "e" + U+0301 composes; a stray 0xFF separates the next U+0301 from it; NUL is kept.
        let mixed: [UInt8] = Array("cafe\u{301}".utf8) + [0xFF] + Array("\u{301}x".utf8) + [0, 0xC3, 0x28, 0xE6, 0x97]
        let path = folder.write(mixed, name: "mixed.bin")
        let corpus = try CorpusEncoder.build(path: path, unit: .byte, normalization: .nfc)
        XCTAssertEqual(
            corpus.vocabulary.decodeBytes(corpus.ids),
            Array("caf\u{E9}".utf8) + [0xFF] + Array("\u{301}x".utf8) + [0, 0xC3, 0x28, 0xE6, 0x97])
        XCTAssertEqual(corpus.vocabulary.normalization, .nfc)

        for seed in UInt64(1)...8 {
            // Random bytes with decomposed text mixed in, so that both paths are taken.
            var random = SeededRandom(seed: seed)
            var bytes: [UInt8] = []
            while bytes.count < 6000 {
                if Bool.random(using: &random) {
                    bytes += Array(TextPieces.text(seed: random.next(), count: 3).utf8)
                } else {
                    bytes += randomBytes(Int.random(in: 1...40, using: &random), seed: random.next())
                }
            }
            let file = folder.write(bytes, name: "nfc-\(seed).bin")
            let whole = try CorpusEncoder.build(
                path: file, unit: .byte, normalization: .nfc,
                maxVocabulary: 1 << 20, chunkSize: 1 << 20)
            for chunkSize in [4, 9, 64] {
                let chunked = try CorpusEncoder.build(
                    path: file, unit: .byte, normalization: .nfc,
                    maxVocabulary: 1 << 20, chunkSize: chunkSize)
                XCTAssertEqual(Array(chunked.ids), Array(whole.ids), "seed \(seed), chunk \(chunkSize)")
                XCTAssertEqual(chunked.vocabulary, whole.vocabulary)
            }
            // A file that is valid UTF-8 gives the bytes of its NFC form.
            if let text = String(validatingUTF8: bytes.map { CChar(bitPattern: $0) } + [0]), !bytes.contains(0) {
                XCTAssertEqual(whole.vocabulary.decodeBytes(whole.ids), Array(referenceNFC(text).utf8))
            }
        }
    }

    /// A long binary stretch with no line feed and no letter is cut after an
    /// ill-formed byte instead of growing the chunk until "line too long".
    func testBinaryWithoutSafeCutsUnderNFC() throws {
        let bytes =
            [UInt8](repeating: 0xFF, count: 5000) + [0xF8, 0x80, 0x80, 0x80] + [UInt8](repeating: 0xFE, count: 3000)
        let path = folder.write(bytes, name: "ff.bin")
        let corpus = try CorpusEncoder.build(
            path: path, unit: .byte, normalization: .nfc, maxVocabulary: 1 << 20, chunkSize: 64)
        XCTAssertEqual(corpus.vocabulary.decodeBytes(corpus.ids), bytes)
        XCTAssertEqual(corpus.vocabulary.count, 4)
    }

    /// The text units still refuse what is not UTF-8 text.
    func testTextUnitsStillRefuseBinary() {
        let path = folder.write([0x61, 0xFF, 0x62], name: "bad.txt")
        for unit in [TextUnit.grapheme, .scalar] {
            assertThrows(.invalidUTF8(path: path, byteOffset: 1, line: 1, byte: 0xFF)) {
                try CorpusEncoder.build(path: path, unit: unit)
            }
        }
        XCTAssertEqual(try CorpusEncoder.build(path: path, unit: .byte).ids.count, 3)
    }
}
