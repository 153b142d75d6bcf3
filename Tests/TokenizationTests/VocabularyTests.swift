import Foundation
import XCTest

@testable import Tokenization

/// Exact token lists and ids for small known texts, vocab.json, unknown characters.
final class VocabularyTests: XCTestCase {
    private var folder: TemporaryFolder!
    override func setUp() { folder = TemporaryFolder() }
    override func tearDown() { folder.remove() }

    private func build(_ text: String, _ unit: TextUnit, _ normalization: Normalization = .nfc) throws -> EncodedCorpus
    {
        try CorpusEncoder.build(path: folder.write(text, name: "golden.txt"), unit: unit, normalization: normalization)
    }

    // MARK: - Golden vocabularies

    func testGoldenGraphemeVocabulary() throws {
        let corpus = try build("hello\r\nworld\n", .grapheme)
        XCTAssertEqual(corpus.vocabulary.tokens, ["\n", "\r\n", "d", "e", "h", "l", "o", "r", "w"])
        XCTAssertEqual(Array(corpus.ids), [4, 3, 5, 5, 6, 1, 8, 6, 7, 5, 2, 0])
        XCTAssertEqual(corpus.vocabulary.unit, .grapheme)
        XCTAssertEqual(corpus.vocabulary.normalization, .nfc)
    }

    func testGoldenScalarVocabulary() throws {
        let corpus = try build("hello\r\nworld\n", .scalar)
        XCTAssertEqual(corpus.vocabulary.tokens, ["\n", "\r", "d", "e", "h", "l", "o", "r", "w"])
        XCTAssertEqual(Array(corpus.ids), [4, 3, 5, 5, 6, 1, 0, 8, 6, 7, 5, 2, 0])
    }

    func testGoldenByteVocabulary() throws {
        // "café" in NFC is 63 61 66 C3 A9; tokens are the Latin-1 scalars, in byte order.
        let corpus = try build("cafe\u{301}", .byte)
        XCTAssertEqual(corpus.vocabulary.tokens.map { $0.unicodeScalars.first!.value }, [0x61, 0x63, 0x66, 0xA9, 0xC3])
        XCTAssertEqual(corpus.vocabulary.tokens, ["a", "c", "f", "\u{A9}", "\u{C3}"])
        XCTAssertEqual(Array(corpus.ids), [1, 0, 2, 4, 3])
        XCTAssertSameScalars(corpus.vocabulary.decode(corpus.ids), "caf\u{E9}")
    }

    func testNormalizationDecidesTheTokens() throws {
        let composed = try build("cafe\u{301}", .grapheme, .nfc)
        XCTAssertEqual(composed.vocabulary.tokens.map { Array($0.unicodeScalars) }, [["a"], ["c"], ["f"], ["\u{E9}"]])
        XCTAssertEqual(Array(composed.ids), [1, 0, 2, 3])

        let raw = try build("cafe\u{301}", .grapheme, .none)
        XCTAssertEqual(
            raw.vocabulary.tokens.map { Array($0.unicodeScalars) }, [["a"], ["c"], ["e", "\u{301}"], ["f"]])
        XCTAssertEqual(Array(raw.ids), [1, 0, 3, 2])

        let scalars = try build("cafe\u{301}", .scalar, .none)
        XCTAssertEqual(
            scalars.vocabulary.tokens.map { Array($0.unicodeScalars) }, [["a"], ["c"], ["e"], ["f"], ["\u{301}"]])
        XCTAssertEqual(Array(scalars.ids), [1, 0, 3, 2, 4])

        // Under .none, "é" and "e\u{301}" are two tokens although String.== calls them equal.
        let both = try build("\u{E9}e\u{301}", .grapheme, .none)
        XCTAssertEqual(both.vocabulary.count, 2)
        XCTAssertEqual(Array(both.ids), [1, 0])
        XCTAssertEqual(both.vocabulary.id(of: "e\u{301}"), 0)
        XCTAssertEqual(both.vocabulary.id(of: "\u{E9}"), 1)
    }

    func testGoldenHangul() throws {
        // A syllable LV followed by a trailing jamo T is one cluster; NFC composes it to LVT.
        let raw = try build("\u{D558}\u{11A8}\u{D55C}\u{D55C}", .grapheme, .none)
        XCTAssertEqual(
            raw.vocabulary.tokens.map { Array($0.unicodeScalars) }, [["\u{D558}", "\u{11A8}"], ["\u{D55C}"]])
        XCTAssertEqual(Array(raw.ids), [0, 1, 1])
        let composed = try build("\u{D558}\u{11A8}\u{D55C}\u{D55C}", .grapheme, .nfc)
        XCTAssertEqual(composed.vocabulary.tokens.map { Array($0.unicodeScalars) }, [["\u{D559}"], ["\u{D55C}"]])
        XCTAssertEqual(Array(composed.ids), [0, 1, 1])
    }

    func testGoldenEmojiAndFlags() throws {
        let corpus = try build("👍🏽👍🇫🇷🇩🇪👩‍💻", .grapheme)
        // Sorted by code points: 👍 is a prefix of 👍🏽; regional indicators (U+1F1xx) before U+1F44D.
        XCTAssertEqual(corpus.vocabulary.tokens, ["🇩🇪", "🇫🇷", "👍", "👍🏽", "👩‍💻"])
        XCTAssertEqual(Array(corpus.ids), [3, 2, 1, 0, 4])
        let scalars = try build("👍🏽👍", .scalar)
        XCTAssertEqual(
            scalars.vocabulary.tokens, ["👍", "🏽"].sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) })
        XCTAssertEqual(scalars.vocabulary.tokens, ["🏽", "👍"])
        XCTAssertEqual(Array(scalars.ids), [1, 0, 1])
    }

    func testASCIIOrderEqualsPythonSortedSet() throws {
        let text = "First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.\n"
        let corpus = try build(text, .grapheme)
        // Python: sorted(set(text)), i.e. by code point.
        let expected = Set(text.unicodeScalars).sorted { $0.value < $1.value }.map { String($0) }
        XCTAssertEqual(corpus.vocabulary.tokens, expected)
        XCTAssertEqual(Array(corpus.ids), text.unicodeScalars.map { Int32(expected.firstIndex(of: String($0))!) })
    }

    // MARK: - Lookups

    func testIdTokenAndDecode() throws {
        let vocabulary = try Vocabulary(unit: .grapheme, normalization: .nfc, tokens: ["\n", "\r\n", "a", "é", "👍🏽"])
        XCTAssertEqual(vocabulary.count, 5)
        XCTAssertEqual(vocabulary.id(of: "\r\n"), 1)
        XCTAssertEqual(vocabulary.id(of: "👍🏽"), 4)
        XCTAssertNil(vocabulary.id(of: "👍"))
        XCTAssertNil(vocabulary.id(of: "e\u{301}"))
        XCTAssertEqual(vocabulary.token(at: 3), "é")
        XCTAssertSameScalars(vocabulary.decode([2, 3, 1, 4] as [UInt16]), "aé\r\n👍🏽")
        XCTAssertEqual(try vocabulary.encode("a\r\né\n👍🏽").ids, [2, 1, 3, 0, 4])
        // Input is normalized first.
        XCTAssertEqual(try vocabulary.encode("e\u{301}").ids, [3])
    }

    func testEquality() throws {
        let a = try Vocabulary(unit: .grapheme, normalization: .none, tokens: ["e\u{301}"])
        let b = try Vocabulary(unit: .grapheme, normalization: .none, tokens: ["\u{E9}"])
        XCTAssertNotEqual(a, b)
        XCTAssertEqual(a, try Vocabulary(unit: .grapheme, normalization: .none, tokens: ["e\u{301}"]))
        XCTAssertNotEqual(a, try Vocabulary(unit: .scalar, normalization: .none, tokens: ["e\u{301}"].map { _ in "e" }))
    }

    // MARK: - Unknown characters

    func testUnknownCharacterErrorNamesTheCharacterAndPosition() throws {
        let vocabulary = try build("abc\n", .grapheme).vocabulary
        assertThrows(
            .unknownCharacter(UnknownCharacter(token: "x", unit: .grapheme, line: 2, column: 2, index: 4), path: nil),
            mentioning: ["\"x\"", "U+0078", "LATIN SMALL LETTER X", "line 2, column 2", "character 4"]
        ) {
            try vocabulary.encode("ab\nax", unknown: .error)
        }
        // A cluster shows its code points.
        assertThrows(
            .unknownCharacter(UnknownCharacter(token: "👍🏽", unit: .grapheme, line: 2, column: 1, index: 2), path: nil),
            mentioning: ["\"👍🏽\" (U+1F44D U+1F3FD)", "line 2, column 1"]
        ) {
            try vocabulary.encode("a\n👍🏽", unknown: .error)
        }
        // CR LF ends a line too, and is one unit.
        let windows = try build("abc\r\n", .grapheme).vocabulary
        assertThrows(
            .unknownCharacter(UnknownCharacter(token: "x", unit: .grapheme, line: 3, column: 2, index: 5), path: nil)
        ) {
            try windows.encode("a\r\nb\r\nbx", unknown: .error)
        }
        // Invisible characters show as code points only.
        assertThrows(
            .unknownCharacter(
                UnknownCharacter(token: "\u{200B}", unit: .grapheme, line: 1, column: 2, index: 1), path: nil),
            mentioning: ["U+200B ZERO WIDTH SPACE"]
        ) {
            try vocabulary.encode("a\u{200B}", unknown: .error)
        }
    }

    func testUnknownCharactersInAFileNameTheFile() throws {
        let vocabulary = try build("abc\n", .scalar).vocabulary
        let path = folder.write("abc\nab\ncaé\n", name: "eval.txt")
        assertThrows(
            .unknownCharacter(UnknownCharacter(token: "é", unit: .scalar, line: 3, column: 3, index: 9), path: path),
            mentioning: [path, "\"é\" (U+00E9", "line 3, column 3"]
        ) {
            try CorpusEncoder.encode(path: path, vocabulary: vocabulary, unknown: .error)
        }
    }

    func testSkipAndReplaceReportTheUnknowns() throws {
        let vocabulary = try build("abc?\n", .grapheme).vocabulary
        let text = "axb\nyx!"
        let skipped = try vocabulary.encode(text, unknown: .skip)
        XCTAssertEqual(vocabulary.decode(skipped.ids), "ab\n")
        XCTAssertEqual(
            skipped.unknowns,
            [
                UnknownCharacter(token: "x", unit: .grapheme, line: 1, column: 2, index: 1, occurrences: 2),
                UnknownCharacter(token: "y", unit: .grapheme, line: 2, column: 1, index: 4, occurrences: 1),
                UnknownCharacter(token: "!", unit: .grapheme, line: 2, column: 3, index: 6, occurrences: 1),
            ])
        let replaced = try vocabulary.encode(text, unknown: .replace("?"))
        XCTAssertEqual(vocabulary.decode(replaced.ids), "a?b\n???")
        XCTAssertEqual(replaced.unknowns, skipped.unknowns)

        let path = folder.write(text, name: "eval.txt")
        let fromFile = try CorpusEncoder.encode(path: path, vocabulary: vocabulary, unknown: .replace("?"))
        XCTAssertEqual(Array(fromFile.ids), replaced.ids)
        XCTAssertEqual(fromFile.unknowns, replaced.unknowns)
        XCTAssertEqual(
            fromFile.unknowns[0].description,
            "\"x\" (U+0078 LATIN SMALL LETTER X) at line 1, column 2 (character 1), 2 times")

        assertThrows(
            .invalidReplacement("#", reason: "\"#\" (U+0023 NUMBER SIGN) is not in the vocabulary"),
            mentioning: ["replacement", "#"]
        ) {
            try vocabulary.encode(text, unknown: .replace("#"))
        }
    }

    func testUnknownBytes() throws {
        let vocabulary = try build("ab", .byte).vocabulary
        assertThrows(
            .unknownCharacter(UnknownCharacter(token: "\u{C3}", unit: .byte, line: 1, column: 2, index: 1), path: nil),
            mentioning: ["byte 0xC3", "line 1, column 2 (byte 1)"]
        ) {
            try vocabulary.encode("aé", unknown: .error)
        }
    }

    // MARK: - Invalid vocabularies

    func testInvalidVocabularies() {
        assertThrows(.invalidVocabulary(path: nil, reason: "it has no tokens")) {
            try Vocabulary(unit: .grapheme, normalization: .nfc, tokens: [])
        }
        assertThrows(
            .invalidVocabulary(
                path: nil, reason: "token \"a\" (U+0061 LATIN SMALL LETTER A) appears twice, at ids 0 and 2"),
            mentioning: ["twice"]
        ) {
            try Vocabulary(unit: .grapheme, normalization: .nfc, tokens: ["a", "b", "a"])
        }
        assertThrows(
            .invalidVocabulary(path: nil, reason: "token 1 (\"ab\" (U+0061 U+0062)) is not a single Unicode scalar")
        ) {
            try Vocabulary(unit: .scalar, normalization: .nfc, tokens: ["a", "ab"])
        }
        assertThrows(
            .invalidVocabulary(
                path: nil,
                reason:
                    "token 0 (\"ā\" (U+0101 LATIN SMALL LETTER A WITH MACRON)) is not a single scalar U+0000...U+00FF standing for a byte"
            )
        ) {
            try Vocabulary(unit: .byte, normalization: .none, tokens: ["ā"])
        }
        assertThrows(.invalidVocabulary(path: nil, reason: "token 0 is an empty string")) {
            try Vocabulary(unit: .grapheme, normalization: .nfc, tokens: [""])
        }
    }

    // MARK: - vocab.json

    func testJSONRoundTripForEveryUnit() throws {
        let text = "Hello \"world\" \\ \t tab\r\n\u{1}\u{7F}\u{85} é 漢 👩‍💻 🇫🇷 \u{FEFF}\n"
        for unit in TextUnit.allCases {
            for normalization in Normalization.allCases {
                let vocabulary = try build(text, unit, normalization).vocabulary
                let path = folder.path + "/vocab-\(unit)-\(normalization).json"
                try vocabulary.save(to: path)
                let loaded = try Vocabulary.load(from: path)
                XCTAssertEqual(loaded, vocabulary)
                XCTAssertEqual(loaded.tokens.map { Array($0.utf8) }, vocabulary.tokens.map { Array($0.utf8) })
                XCTAssertEqual(try Vocabulary(jsonData: vocabulary.jsonData()), vocabulary)

                // Plain JSON that any reader understands.
                let object =
                    try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path)))
                    as! [String: Any]
                XCTAssertEqual(object["format"] as? Int, 1)
                XCTAssertEqual(object["unit"] as? String, unit.rawValue)
                XCTAssertEqual(object["normalization"] as? String, normalization.rawValue)
                XCTAssertEqual(
                    (object["tokens"] as? [String])?.map { Array($0.utf8) }, vocabulary.tokens.map { Array($0.utf8) })
            }
        }
    }

    func testJSONLayout() throws {
        let vocabulary = try Vocabulary(
            unit: .byte, normalization: .none, tokens: ["\n", "\"", "A", "\u{85}", "\u{C3}"])
        XCTAssertEqual(
            String(decoding: try vocabulary.jsonData(), as: UTF8.self),
            """
            {
              "format": 1,
              "unit": "byte",
              "normalization": "none",
              "tokens": ["\\n", "\\"", "A", "\\u0085", "\u{C3}"]
            }

            """)
    }

    func testJSONEscapesInvisibleCharacters() throws {
        let vocabulary = try Vocabulary(
            unit: .grapheme, normalization: .nfc,
            tokens: ["\u{AD}", "\u{200D}", "\u{2028}", "\u{FEFF}", "👍", "\u{E0001}"])
        let json = String(decoding: try vocabulary.jsonData(), as: UTF8.self)
        XCTAssertTrue(json.contains(#""tokens": ["\u00AD", "\u200D", "\u2028", "\uFEFF", "👍", "\uDB40\uDC01"]"#), json)
        XCTAssertEqual(try Vocabulary(jsonData: Data(json.utf8)), vocabulary)
    }

    func testJSONWithoutFormatAndWithExtraKeysLoads() throws {
        let json = #"{"unit": "scalar", "normalization": "NFC", "tokens": ["a", "b"], "comment": "x"}"#
        let vocabulary = try Vocabulary(jsonData: Data(json.utf8))
        XCTAssertEqual(vocabulary.tokens, ["a", "b"])
        XCTAssertEqual(vocabulary.unit, .scalar)
    }

    func testMalformedJSON() {
        func check(_ json: String, _ reason: String, file: StaticString = #filePath, line: UInt = #line) {
            do {
                _ = try Vocabulary(jsonData: Data(json.utf8))
                XCTFail("accepted \(json)", file: file, line: line)
            } catch let TokenizationError.invalidVocabulary(path, message) {
                XCTAssertNil(path, file: file, line: line)
                XCTAssertTrue(
                    message.hasPrefix(reason), "\"\(message)\" does not start with \"\(reason)\"", file: file,
                    line: line)
            } catch {
                XCTFail("unexpected \(error)", file: file, line: line)
            }
        }
        check("", "not valid JSON")
        check("{\"unit\": ", "not valid JSON")
        check("[1, 2]", "the top level must be a JSON object")
        check(#"{"normalization": "NFC", "tokens": ["a"]}"#, "missing key \"unit\"")
        check(#"{"unit": "grapheme", "tokens": ["a"]}"#, "missing key \"normalization\"")
        check(#"{"unit": "grapheme", "normalization": "NFC"}"#, "missing key \"tokens\"")
        check(#"{"unit": 3, "normalization": "NFC", "tokens": ["a"]}"#, "\"unit\" must be a string")
        check(
            #"{"unit": "grapheme", "normalization": "NFC", "tokens": "abc"}"#, "\"tokens\" must be an array of strings")
        check(
            #"{"unit": "grapheme", "normalization": "NFC", "tokens": ["a", 7]}"#,
            "\"tokens\" must be an array of strings (at tokens[1])")
        check(
            #"{"unit": "grapheme", "normalization": "NFC", "tokens": ["a", null]}"#,
            "\"tokens\" must be an array of strings (at tokens[1])")
        check(
            #"{"format": "1", "unit": "grapheme", "normalization": "NFC", "tokens": ["a"]}"#,
            "\"format\" must be an integer")
        check(
            #"{"format": 2, "unit": "grapheme", "normalization": "NFC", "tokens": ["a"]}"#,
            "unsupported format 2 (this version reads format 1)")
        check(
            #"{"unit": "word", "normalization": "NFC", "tokens": ["a"]}"#,
            "unknown unit \"word\" (expected \"grapheme\", \"scalar\" or \"byte\")")
        check(
            #"{"unit": "byte", "normalization": "NFD", "tokens": ["a"]}"#,
            "unknown normalization \"NFD\" (expected \"NFC\" or \"none\")")
        check(
            #"{"unit": "grapheme", "normalization": "NFC", "tokens": ["a", "b", "b"]}"#,
            "tokens[2] (\"b\" (U+0062 LATIN SMALL LETTER B)) appears twice, at tokens[1] and tokens[2]")
        check(
            #"{"unit": "byte", "normalization": "none", "tokens": ["ab"]}"#,
            "tokens[0] (\"ab\" (U+0061 U+0062)) is not one byte")
    }

    /// What `save` never writes is refused when read, naming the field and the index
    /// (rather than loading and letting a later step blame the corpus).
    func testVocabularyJSONRules() throws {
        func check(
            _ unit: String, _ normalization: String, _ tokens: String, _ reason: String,
            file: StaticString = #filePath, line: UInt = #line
        ) {
            let json =
                #"{"format": 1, "unit": "\#(unit)", "normalization": "\#(normalization)", "tokens": [\#(tokens)]}"#
            let path = folder.write(json, name: "vocab.json")
            assertThrows(
                .invalidVocabulary(path: path, reason: reason), mentioning: [path, "invalid vocabulary"],
                file: file, line: line
            ) { try Vocabulary.load(from: path) }
        }
        // Not one unit of the declared unit.
        check("grapheme", "NFC", #""a", "bc""#, "tokens[1] (\"bc\" (U+0062 U+0063)) is 2 grapheme clusters, not one")
        check("grapheme", "none", #""\r\n", "\n\r""#, "tokens[1] (U+000A U+000D) is 2 grapheme clusters, not one")
        check(
            "scalar", "NFC", #""a", "\u00e9", "e\u0301""#,
            "tokens[2] (\"é\" (U+0065 U+0301)) is 2 Unicode scalars, not one")
        check(
            "byte", "none", #""a", "\u0100""#,
            "tokens[1] (\"Ā\" (U+0100 LATIN CAPITAL LETTER A WITH MACRON)) is not one byte (a single scalar U+0000...U+00FF)"
        )
        check("byte", "none", #""", "a""#, "tokens[0] is an empty string")
        // Not NFC under NFC (fine under "none").
        check(
            "grapheme", "NFC", #""a", "e\u0301""#,
            "tokens[1] (\"é\" (U+0065 U+0301)) is not in NFC (its NFC form is \"é\" (U+00E9 LATIN SMALL LETTER E WITH ACUTE)) "
                + "although \"normalization\" is \"NFC\"")
        check(
            "scalar", "NFC", #""\u2126""#,
            "tokens[0] (\"Ω\" (U+2126 OHM SIGN)) is not in NFC (its NFC form is "
                + "\"Ω\" (U+03A9 GREEK CAPITAL LETTER OMEGA)) although \"normalization\" is \"NFC\"")
        XCTAssertEqual(
            try Vocabulary(
                jsonData: Data(#"{"unit": "grapheme", "normalization": "none", "tokens": ["a", "e\u0301"]}"#.utf8)
            ).count, 2)
        // Unsorted, and repeated.
        check(
            "grapheme", "NFC", #""a", "c", "b""#,
            "tokens[2] (\"b\" (U+0062 LATIN SMALL LETTER B)) is out of order: tokens must be sorted by code point, "
                + "and it sorts before tokens[1] (\"c\" (U+0063 LATIN SMALL LETTER C))")
        check(
            "byte", "none", #""\u00c3", "A""#,
            "tokens[1] (\"A\" (U+0041 LATIN CAPITAL LETTER A)) is out of order: tokens must be sorted by code point, "
                + "and it sorts before tokens[0] (\"Ã\" (U+00C3 LATIN CAPITAL LETTER A WITH TILDE))")
        check(
            "scalar", "none", #""a", "a""#,
            "tokens[1] (\"a\" (U+0061 LATIN SMALL LETTER A)) appears twice, at tokens[0] and tokens[1]")
        // A key given twice (the decoder would keep one of them without a word), escaped or not.
        let twice = folder.write(
            #"{"unit": "grapheme", "normalization": "NFC", "tokens": ["a"], "unit": "byte"}"#, name: "twice.json")
        assertThrows(.invalidVocabulary(path: twice, reason: "the key \"unit\" appears twice"), mentioning: [twice]) {
            try Vocabulary.load(from: twice)
        }
        // Keys are compared decoded: "\u0074okens" is "tokens" (the scanner's own tests: JSONScanTests).
        let escaped = folder.write(
            #"{"unit": "grapheme", "normalization": "NFC", "tokens": ["a"], "\u0074okens": []}"#,
            name: "escaped.json")
        assertThrows(
            .invalidVocabulary(path: escaped, reason: "the key \"tokens\" appears twice"), mentioning: [escaped]
        ) {
            try Vocabulary.load(from: escaped)
        }
    }

    /// A vocab.json that is a link to an endless device is refused at a bound, not read into all memory.
    func testVocabularyFromAnEndlessDeviceIsRefused() throws {
        let link = folder.path + "/vocab.json"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "/dev/zero")
        assertThrows(
            .fileTooLarge(path: link, limit: Vocabulary.maximumJSONBytes), mentioning: [link, "64.0 MiB", "never ends"]
        ) {
            try Vocabulary.load(from: link)
        }
    }

    /// Every byte value, NUL and the C0/C1 controls included, survives vocab.json.
    func testAllByteValuesRoundTripThroughJSON() throws {
        let tokens = (0...255).map { String(Unicode.Scalar(UInt8($0))) }
        for normalization in Normalization.allCases {
            let vocabulary = try Vocabulary(unit: .byte, normalization: normalization, tokens: tokens)
            let loaded = try Vocabulary(jsonData: vocabulary.jsonData())
            XCTAssertEqual(loaded, vocabulary)
            XCTAssertEqual(loaded.decodeBytes(0..<256), (0...255).map { UInt8($0) })
        }
    }

    func testLoadErrorsNameTheFile() throws {
        let path = folder.write(#"{"unit": "grapheme", "tokens": []}"#, name: "vocab.json")
        assertThrows(
            .invalidVocabulary(path: path, reason: "missing key \"normalization\" (line 1, column 1)"),
            mentioning: [path, "invalid vocabulary"]
        ) {
            try Vocabulary.load(from: path)
        }
        let missing = folder.path + "/nope.json"
        assertThrows(.fileNotFound(path: missing), mentioning: [missing]) { try Vocabulary.load(from: missing) }
        let directory = folder.path + "/no-such-dir/vocab.json"
        assertThrows(.writeFailed(path: directory, reason: "No such file or directory"), mentioning: [directory]) {
            try Vocabulary(unit: .grapheme, normalization: .nfc, tokens: ["a"]).save(to: directory)
        }
    }
}
