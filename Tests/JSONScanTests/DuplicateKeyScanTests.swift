import JSONScan
import XCTest

/// `firstDuplicateJSONKey`: the check that vocab.json and a checkpoint's JSON files pass before
/// Foundation's decoder, which would keep one of two equal keys without a word.
final class DuplicateKeyScanTests: XCTestCase {
    func dup(_ s: String, maximumDepth: Int = 128) -> String? {
        firstDuplicateJSONKey(in: Array(s.utf8), maximumDepth: maximumDepth)
    }

    func testDuplicateKeysAreFoundWithTheirPath() {
        XCTAssertEqual(dup(#"{"a": 1, "a": 2}"#), "a")
        XCTAssertEqual(dup(#"{"a": 1, "b": {"c": 1, "c": 2}}"#), "b.c")
        XCTAssertEqual(dup(#"{"h": [{"s": 1}, {"s": 1, "s": 1}]}"#), "h.[1].s")
        XCTAssertEqual(dup(#"[[], [{"x": {"y": 0, "y": 0}}]]"#), "[1].[0].x.y")
        // An object's own keys come before those nested in its values.
        XCTAssertEqual(dup(#"{"a": {"b": 1, "b": 2}, "a": 3}"#), "a")
    }

    func testEqualKeysInDifferentObjectsAreFine() {
        XCTAssertNil(dup(#"{"a": 1, "b": {"a": 2}, "c": [{"a": 1}, {"a": 2}]}"#))
        XCTAssertNil(dup(#"["a", "a", {"a": "a"}]"#), "array elements and values are not keys")
        XCTAssertNil(dup(#"{}"#))
        XCTAssertNil(dup(#"3"#))
    }

    func testKeysAreComparedDecoded() {
        XCTAssertEqual(dup(#"{"a": "x", "b": {"c": 1, "\u0063": 2}}"#), "b.c")
        XCTAssertEqual(dup(#"{"\"q\"": 1, "\u0022q\u0022": 2}"#), "\"q\"")
        // A surrogate pair and the raw UTF-8 of the same scalar are the same key.
        XCTAssertEqual(dup(#"{"😀": 1, "\ud83d\ude00": 2}"#), "😀")
        XCTAssertNil(dup(#"{"a": "b\": 1, \"a"}"#), "a key-like text inside a string is text")
        XCTAssertNil(dup(#"{"a\\": 1, "a": 2}"#), "an escaped backslash ends the key")
    }

    func testInputThatIsNotJSONIsLeftToTheDecoder() {
        // Truncated at every byte: never a trap, never a duplicate that is not there.
        let text = #"{"unit": "grapheme", "tokens": ["a", "\u00e9", {"x": [1, 2.5e3, true, null]}], "z": -0}"#
        let bytes = Array(text.utf8)
        for n in 0..<bytes.count {
            XCTAssertNil(firstDuplicateJSONKey(in: Array(bytes[..<n])), "prefix of \(n) bytes")
        }
        XCTAssertNil(firstDuplicateJSONKey(in: bytes))
        XCTAssertNil(dup(#"{"a": 1, "a": 2"#), "unterminated: the decoder reports it")
        XCTAssertNil(dup(#"{"a": 1,, "a": 2}"#))
        XCTAssertNil(dup("{\"a\": 1, \"a\": 2} trailing"))
        XCTAssertNil(firstDuplicateJSONKey(in: [0xFF, 0xFE, 0x00]))
    }

    func testDeepNestingIsBoundedNotRecursedWithoutEnd() {
        // 100 000 levels would overflow the stack of an unbounded recursive reader.
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        XCTAssertNil(dup(deep))
        let objects = String(repeating: #"{"a":"#, count: 50_000) + "1" + String(repeating: "}", count: 50_000)
        XCTAssertNil(dup(objects))
        // Within the bound, a duplicate deep inside is found.
        let nested =
            String(repeating: #"{"a":"#, count: 100) + #"{"k": 1, "k": 2}"#
            + String(repeating: "}", count: 100)
        XCTAssertEqual(dup(nested), Array(repeating: "a", count: 100).joined(separator: ".") + ".k")
        XCTAssertNil(dup(nested, maximumDepth: 50), "beyond the bound the decoder decides")
    }
}
