import XCTest
import _TestSupport

@testable import Tokenization

/// Every case of `TokenizationError` speaks in facts: no `--flag` (the executable adds those).
final class TokenizationErrorWordingTests: XCTestCase {
    func testNoCaseNamesAFlag() {
        let unknown = UnknownCharacter(token: "é", unit: .grapheme, line: 2, column: 3, index: 9, occurrences: 4)
        var errors: [TokenizationError] = [
            .fileNotFound(path: "a.txt"), .isDirectory(path: "d"), .unreadable(path: "a.txt", reason: "EIO"),
            .emptyFile(path: "a.txt"), .invalidUTF8(path: "a.txt", byteOffset: 9, line: 2, byte: 0xFF),
            .binaryContent(path: "a.bin", byteOffset: 3, line: 1),
            .lineTooLong(path: "a.txt", byteOffset: 0, limit: 1 << 20),
            .unknownCharacter(unknown, path: "a.txt"), .unknownCharacter(unknown, path: nil),
            .invalidReplacement("¿", reason: "not in the vocabulary"),
            .invalidVocabulary(path: "vocab.json", reason: "the key \"unit\" appears twice"),
            .invalidVocabulary(path: nil, reason: "tokens[3] repeated"),
            .writeFailed(path: "vocab.json", reason: "No space left on device"),
            .fileTooLarge(path: "vocab.json", limit: 64 << 20),
            .corpusTooLarge(path: "big.txt", bytesRead: 1 << 34, endless: false, budget: 1 << 33),
            .corpusTooLarge(path: "/dev/zero", bytesRead: 1 << 34, endless: true, budget: 1 << 33),
        ]
        for unit in TextUnit.allCases {
            errors.append(.vocabularyTooLarge(path: "a.txt", unit: unit, distinct: 70_000, limit: 65_536))
        }
        assertSpeaksInFacts(errors)
    }

    func testTooLargeVocabularyNamesTheFinerUnits() {
        func text(_ unit: TextUnit) -> String {
            messageText(TokenizationError.vocabularyTooLarge(path: "a.txt", unit: unit, distinct: 9, limit: 5))
        }
        XCTAssertTrue(text(.grapheme).hasSuffix("; use the scalar or the byte unit"), text(.grapheme))
        XCTAssertTrue(text(.scalar).hasSuffix("; use the byte unit"), text(.scalar))
        XCTAssertTrue(text(.byte).hasSuffix("; raise the vocabulary limit"), text(.byte))
        // The facts alone: what the executable words its advice after.
        let e = TokenizationError.vocabularyTooLarge(path: "a.txt", unit: .scalar, distinct: 9, limit: 5)
        XCTAssertEqual(e.facts, "'a.txt': found 9 distinct Unicode scalars, more than the vocabulary limit of 5")
        XCTAssertEqual(TextUnit.grapheme.finerUnits, [.scalar, .byte])
        XCTAssertEqual(TextUnit.byte.finerUnits, [])
    }
}
