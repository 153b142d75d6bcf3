import Foundation
import XCTest
import _TestSupport

@testable import Tokenization

/// The shared temporary directory (_TestSupport), with the writes these tests use: they never
/// throw (a name in a missing folder leaves no file, which some tests want).
final class TemporaryFolder {
    let directory = try! TemporaryDirectory("tokenization-tests")
    var path: String { directory.url.path }

    func remove() { directory.remove() }

    /// Writes `bytes` to a file named `name` in the folder; returns its path.
    @discardableResult
    func write(_ bytes: [UInt8], name: String) -> String {
        let file = path + "/" + name
        _ = FileManager.default.createFile(atPath: file, contents: Data(bytes))
        return file
    }

    @discardableResult
    func write(_ text: String, name: String) -> String { write(Array(text.utf8), name: name) }
}

/// The independent NFC reference: Foundation's own normalizer (CoreFoundation's
/// tables on Linux, not ICU).
func referenceNFC(_ text: String) -> String { text.precomposedStringWithCanonicalMapping }

func reference(_ text: String, _ normalization: Normalization) -> String {
    normalization == .nfc ? referenceNFC(text) : text
}

/// The units of a text as UTF-8 byte strings, computed with Swift's own views.
func referenceUnits(_ text: String, _ unit: TextUnit) -> [[UInt8]] {
    switch unit {
    case .grapheme: return text.map { Array(String($0).utf8) }
    case .scalar: return text.unicodeScalars.map { Array(String($0).utf8) }
    case .byte: return text.utf8.map { Array(String(Unicode.Scalar($0)).utf8) }
    }
}

/// Pieces of text that exercise every rule the encoder has to get right.
enum TextPieces {
    static let ascii = [
        "the", "quick", "brown", "fox", " ", " ", " ", ",", ".", "!", "?", "'", "\"", "\t", "0", "42",
        "Hello", "WORLD", "\n", "\n", "\r\n", "\r", "a", "e", "x",
    ]
    static let emoji = [
        "👩‍💻", "👨‍👩‍👧‍👦", "🏳️‍🌈", "👍🏽", "👋🏿", "👍", "❤️", "🇫🇷", "🇯🇵", "🇫🇷🇩🇪", "🇺🇸",
        "👩🏻‍❤️‍💋‍👨🏼", "1️⃣", "😀",
    ]
    /// Decomposed or unordered sequences that NFC changes. (Not "하\u{11A8}": Foundation's
    /// normalizer on Linux leaves an LV syllable + trailing jamo uncomposed; see
    /// `testNormalizationMatchesFoundation` for ICU's correct answer.)
    static let decomposed = [
        "e\u{301}", "a\u{308}", "o\u{302}\u{323}", "o\u{323}\u{302}", "A\u{30A}", "\u{212B}",
        "\u{1100}\u{1161}\u{11A8}", "n\u{303}", "か\u{3099}", "\u{0958}",
        "q\u{307}\u{323}", "\u{301}", "e\u{301}\u{301}", "\u{FB2C}", "\u{1D15E}",
    ]
    static let precomposed = ["é", "ñ", "Å", "ü", "ß", "œ", "Ω", "ǅ"]
    static let cjk = ["漢字", "日本語", "中文", "한국어", "ひらがな", "カタカナ", "葛\u{E0100}", "。", "，", "𠀋", "𪚲"]
    static let rtl = ["שָׁלוֹם", "מרחב", "مرحبا", "السَّلَامُ", "\u{0600}12", "\u{200F}", "\u{202E}abc\u{202C}"]
    static let invisible = ["\u{200B}", "\u{200C}", "\u{200D}", "\u{FEFF}", "\u{2060}", "\u{00AD}", "\u{FE0F}"]
    static let indic = ["क्षि", "नमस्ते", "ক্ত", "ಕ್ಷ"]
    static let all = [ascii, ascii, ascii, emoji, decomposed, precomposed, cjk, rtl, invisible, indic]

    /// A reproducible text of `count` pieces drawn from every family.
    static func text(seed: UInt64, count: Int) -> String {
        var random = SeededRandom(seed: seed)
        var text = ""
        for _ in 0..<count {
            let family = all.randomElement(using: &random)!
            text += family.randomElement(using: &random)!
        }
        return text
    }
}

/// Asserts that `expression` throws `expected`, and that its description contains every fragment.
func assertThrows<T>(
    _ expected: TokenizationError, mentioning fragments: [String] = [],
    file: StaticString = #filePath, line: UInt = #line, _ expression: () throws -> T
) {
    do {
        _ = try expression()
        XCTFail("expected \(expected), nothing was thrown", file: file, line: line)
    } catch let error as TokenizationError {
        XCTAssertEqual(error, expected, file: file, line: line)
        let message = error.errorDescription ?? ""
        for fragment in fragments {
            XCTAssertTrue(
                message.contains(fragment), "\"\(message)\" does not mention \"\(fragment)\"", file: file, line: line)
        }
    } catch {
        XCTFail("expected \(expected), got \(error)", file: file, line: line)
    }
}

/// Byte-exact string comparison (`String.==` is canonical equivalence, which would hide NFC mistakes).
func XCTAssertSameScalars(
    _ a: String, _ b: String, _ message: String = "", file: StaticString = #filePath, line: UInt = #line
) {
    XCTAssertEqual(Array(a.utf8), Array(b.utf8), message, file: file, line: line)
}
