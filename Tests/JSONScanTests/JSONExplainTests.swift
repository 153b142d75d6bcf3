import Foundation
import JSONScan
import XCTest

/// Why a decoder refused a document, with the line, the column and the field.
final class JSONExplainTests: XCTestCase {
    struct State: Decodable {
        var step: Int
        var rng: UInt64
        var loss: Double
        var tokens: [String]
        var inner: Inner?
    }
    struct Inner: Decodable { var count: Int }

    func explain(_ text: String) -> String? {
        let bytes = Array(text.utf8)
        do {
            _ = try JSONDecoder().decode(State.self, from: Data(bytes))
            return "decoded"
        } catch {
            return explainRefusedJSON(bytes, error: error) {
                (try? JSONDecoder().decode(State.self, from: Data($0))) != nil
            }
        }
    }

    let good = #"{"step": 3, "rng": 5, "loss": 1.5, "tokens": ["a"]}"#

    func testAWellFormedDocumentDecodes() {
        XCTAssertEqual(explain(good), "decoded")
    }

    func testNumbersOutOfTheirFieldsRangeAreNamed() {
        XCTAssertEqual(
            explain("{\"step\": 3,\n \"rng\": 5, \"loss\": 1.5,\n \"tokens\": [], \"inner\": {\"count\": 1e30}}"),
            "line 3, column 35: 'inner.count' is 1e30, expected a whole number from \(Int.min) to \(Int.max)")
        XCTAssertEqual(
            explain(#"{"step": 3, "rng": -1, "loss": 1.5, "tokens": []}"#),
            "line 1, column 20: 'rng' is -1, expected a whole number from 0 to \(UInt64.max)")
        XCTAssertEqual(
            explain(#"{"step": 3, "rng": 1, "loss": 1e400, "tokens": []}"#),
            "line 1, column 31: 'loss' is 1e400, expected a number within a double's range (±1.7976931348623157e308)")
        XCTAssertEqual(
            explain(#"{"step": 2.5, "rng": 1, "loss": 0.5, "tokens": []}"#),
            "line 1, column 10: 'step' is 2.5, expected a whole number from \(Int.min) to \(Int.max)")
    }

    func testSyntaxErrorsHaveTheirLineColumnAndPlace() {
        XCTAssertEqual(
            explain("{\"step\": 3, \"rng\": 1,\n  \"loss\": nan, \"tokens\": []}"),
            "not valid JSON at line 2, column 11: nan is not a JSON number (JSON has no NaN or infinity), "
                + "expected a value (in 'loss')")
        XCTAssertEqual(
            explain(#"{"step": 3, "rng": 1, "loss": 1, "tokens": ["a", "\ud800"]}"#),
            #"not valid JSON at line 1, column 57: unpaired surrogate in a \u escape (in 'tokens[1]')"#)
        XCTAssertEqual(
            explain("{\"step\": 3,,}"),
            "not valid JSON at line 1, column 12: unexpected ',', expected a member name in double quotes")
        XCTAssertEqual(
            explain("{\"step\": 3"),
            "not valid JSON at line 1, column 11: unexpected end of document, expected ',' or '}'")
    }

    func testTypesAndMissingKeysArePlaced() {
        XCTAssertEqual(
            explain(#"{"step": "three", "rng": 1, "loss": 1, "tokens": []}"#),
            #"line 1, column 10: 'step' is "three" (Expected to decode Int but found a string instead.)"#)
        XCTAssertEqual(explain(#"{"rng": 1, "loss": 1, "tokens": []}"#), "line 1, column 1: missing key 'step'")
        XCTAssertEqual(
            explain(#"{"step": 1, "rng": 1, "loss": 1, "tokens": [], "inner": {}}"#),
            "line 1, column 57: missing key 'count' in 'inner'")
    }

    func testLineAndColumnCountCharacters() {
        let bytes = Array("ab\ncé\nx".utf8)
        XCTAssertEqual(jsonLineAndColumn(ofByte: 0, in: bytes).line, 1)
        XCTAssertEqual(jsonLineAndColumn(ofByte: 6, in: bytes).column, 3)  // after "cé"
        XCTAssertEqual(jsonLineAndColumn(ofByte: 7, in: bytes).line, 3)
    }
}
