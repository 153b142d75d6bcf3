import Foundation
import XCTest

@testable import Checkpointing

/// The scanner that refuses a key twice in one object of a checkpoint's JSON files.
final class DuplicateKeyTests: XCTestCase {
    func testDuplicateKeyScanner() {
        func dup(_ s: String) -> String? { duplicateJSONKey(in: Data(s.utf8)) }
        XCTAssertNil(dup(#"{"a": 1, "b": {"a": 2}, "c": [{"a": 1}, {"a": 2}]}"#))
        XCTAssertEqual(dup(#"{"a": 1, "a": 2}"#), "a")
        XCTAssertEqual(dup(#"{"a": "x", "b": {"c": 1, "\u0063": 2}}"#), "b.c")
        XCTAssertEqual(dup(#"{"h": [{"s": 1}, {"s": 1, "s": 1}]}"#), "h.[1].s")
        XCTAssertNil(dup(#"{"a": "b\": 1, \"a"}"#), "keys inside strings are text")
        XCTAssertNil(dup(#"["a", "a"]"#))
    }
}
