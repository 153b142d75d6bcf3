import Foundation
import XCTest

@testable import Tokenization

/// Every file error, with the file name and the position in its message.
final class CorpusErrorTests: XCTestCase {
    private var folder: TemporaryFolder!
    override func setUp() { folder = TemporaryFolder() }
    override func tearDown() { folder.remove() }

    func testMissingFile() {
        let path = folder.path + "/missing.txt"
        assertThrows(.fileNotFound(path: path), mentioning: [path, "no such file"]) {
            try CorpusEncoder.build(path: path)
        }
        let vocabulary = try! Vocabulary(unit: .grapheme, normalization: .nfc, tokens: ["a"])
        assertThrows(.fileNotFound(path: path), mentioning: [path]) {
            try CorpusEncoder.encode(path: path, vocabulary: vocabulary, unknown: .skip)
        }
    }

    func testDirectory() {
        assertThrows(.isDirectory(path: folder.path), mentioning: [folder.path, "directory"]) {
            try CorpusEncoder.build(path: folder.path)
        }
    }

    func testUnreadableFile() throws {
        if getuid() == 0 {
            // Root reads files whatever their mode; a read that fails still must not crash.
            let path = "/proc/self/mem"  // reading at offset 0 fails with EIO
            guard FileManager.default.fileExists(atPath: path) else {
                throw XCTSkip("root reads files whatever their mode")
            }
            assertThrows(.unreadable(path: path, reason: "Input/output error"), mentioning: [path, "cannot read"]) {
                try CorpusEncoder.build(path: path)
            }
            return
        }
        let path = folder.write("text", name: "secret.txt")
        chmod(path, 0)
        assertThrows(
            .unreadable(path: path, reason: "Permission denied"),
            mentioning: [path, "cannot read", "Permission denied"]
        ) {
            try CorpusEncoder.build(path: path)
        }
    }

    func testEmptyFile() {
        let path = folder.write("", name: "empty.txt")
        assertThrows(.emptyFile(path: path), mentioning: [path, "empty"]) { try CorpusEncoder.build(path: path) }
    }

    func testInvalidUTF8NamesOffsetAndLine() {
        let cases: [(bytes: [UInt8], offset: Int, line: Int)] = [
            (Array("abc\nde".utf8) + [0xFF] + Array("fg".utf8), 6, 2),  // never valid
            (Array("ab".utf8) + [0xE6, 0x97], 2, 1),  // cut short at the end
            ([0x80] + Array("abc".utf8), 0, 1),  // stray continuation
            (Array("a\n\n".utf8) + [0xC0, 0x80], 3, 3),  // overlong NUL
            (Array("x".utf8) + [0xED, 0xA0, 0x80], 1, 1),  // surrogate
            (Array("xy".utf8) + [0xF4, 0x90, 0x80, 0x80], 2, 1),  // above U+10FFFF
            (Array("é".utf8) + [0xC3, 0x28], 2, 1),  // bad continuation
        ]
        for (k, item) in cases.enumerated() {
            let path = folder.write(item.bytes, name: "bad-\(k).txt")
            let expected = TokenizationError.invalidUTF8(
                path: path, byteOffset: item.offset, line: item.line, byte: item.bytes[item.offset])
            assertThrows(
                expected, mentioning: [path, "invalid UTF-8", "byte offset \(item.offset)", "line \(item.line)"]
            ) {
                try CorpusEncoder.build(path: path)
            }
        }
    }

    func testInvalidUTF8FarIntoAFileWithSmallChunks() {
        var bytes = Array(String(repeating: "line of text\n", count: 500).utf8)
        let offset = bytes.count + 3
        bytes += Array("abc".utf8) + [0xFE] + Array("\nmore\n".utf8)
        let path = folder.write(bytes, name: "late.txt")
        for chunkSize in [5, 64, 1 << 20] {
            assertThrows(
                .invalidUTF8(path: path, byteOffset: offset, line: 501, byte: 0xFE),
                mentioning: ["byte offset \(offset) (line 501)"]
            ) {
                try CorpusEncoder.build(
                    path: path, unit: .grapheme, normalization: .nfc, maxVocabulary: 100, chunkSize: chunkSize)
            }
        }
    }

    func testBinaryContent() {
        let path = folder.write(Array("hello\nwor".utf8) + [0] + Array("ld".utf8), name: "binary.bin")
        assertThrows(
            .binaryContent(path: path, byteOffset: 9, line: 2),
            mentioning: [path, "binary", "NUL byte at offset 9", "line 2"]
        ) {
            try CorpusEncoder.build(path: path)
        }
        // Found within a run of ASCII too (the validator reads eight bytes at a time).
        let longer = folder.write(Array("abcdefghijklmnop".utf8) + [0] + Array("qrstuvwxyz".utf8), name: "binary2.bin")
        assertThrows(.binaryContent(path: longer, byteOffset: 16, line: 1)) { try CorpusEncoder.build(path: longer) }
    }

    func testVocabularyTooLarge() {
        let path = folder.write("abcdefghij\n", name: "ten.txt")
        assertThrows(
            .vocabularyTooLarge(path: path, unit: .grapheme, distinct: 11, limit: 5),
            mentioning: [path, "found 11 distinct grapheme clusters", "limit of 5", "the scalar or the byte unit"]
        ) {
            try CorpusEncoder.build(path: path, maxVocabulary: 5)
        }
        assertThrows(
            .vocabularyTooLarge(path: path, unit: .scalar, distinct: 11, limit: 10), mentioning: ["use the byte unit"]
        ) {
            try CorpusEncoder.build(path: path, unit: .scalar, maxVocabulary: 10)
        }
        XCTAssertEqual(try CorpusEncoder.build(path: path, maxVocabulary: 11).vocabulary.count, 11)
    }

    func testEveryErrorHasADescription() {
        let character = UnknownCharacter(token: "x", unit: .grapheme, line: 1, column: 1, index: 0)
        let errors: [TokenizationError] = [
            .fileNotFound(path: "f"), .isDirectory(path: "f"), .unreadable(path: "f", reason: "r"),
            .emptyFile(path: "f"),
            .invalidUTF8(path: "f", byteOffset: 1, line: 1, byte: 0xFF),
            .binaryContent(path: "f", byteOffset: 1, line: 1),
            .lineTooLong(path: "f", byteOffset: 0, limit: 8),
            .vocabularyTooLarge(path: "f", unit: .byte, distinct: 3, limit: 2),
            .unknownCharacter(character, path: "f"), .invalidReplacement("x", reason: "r"),
            .invalidVocabulary(path: "f", reason: "r"), .writeFailed(path: "f", reason: "r"),
            .fileTooLarge(path: "f", limit: 1 << 20),
            .corpusTooLarge(path: "f", bytesRead: 1 << 30, endless: true, budget: 1 << 29),
            .corpusTooLarge(path: "f", bytesRead: Int.max, endless: false, budget: 1 << 29),
            .outOfMemory(path: "f", bytes: 1 << 30, what: "the ids of its first 512.0 MiB"),
        ]
        for error in errors {
            XCTAssertTrue(
                error.errorDescription?.hasPrefix("'f': ") ?? false
                    || {
                        if case .invalidReplacement = error { return true }; return false
                    }(),
                "\(error)")
        }
    }
}
