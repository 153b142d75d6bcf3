import JSONScan
import XCTest

/// The strict parser itself (TensorIOTests check it again through safetensors headers).
final class JSONParserTests: XCTestCase {
    func parse(_ s: String, maximumDepth: Int = 64) throws(JSONScanError) -> JSONValue {
        var parser = JSONParser(Array(s.utf8), maximumDepth: maximumDepth, documentName: "doc")
        return try parser.parseDocument()
    }

    func failure(_ s: String, maximumDepth: Int = 64) -> JSONScanError? {
        do throws(JSONScanError) {
            _ = try parse(s, maximumDepth: maximumDepth)
            return nil
        } catch { return error }
    }

    func testMembersKeepTheirOrderAndDuplicates() throws {
        guard case .object(let members) = try parse(#"{"b": 1, "a": [true, null], "b": "x"}"#) else {
            return XCTFail("not an object")
        }
        XCTAssertEqual(members.map(\.key), ["b", "a", "b"])
        guard case .number(let n) = members[0].value else { return XCTFail("not a number") }
        XCTAssertEqual(n, JSONNumber(integer: 1, isIntegerLiteral: true, isNegative: false))
    }

    func testNumbersSayHowTheyWereWritten() throws {
        func number(_ s: String) throws -> JSONNumber {
            guard case .number(let n) = try parse(s) else { throw JSONScanError(offset: 0, reason: "not a number") }
            return n
        }
        XCTAssertEqual(try number("9223372036854775807").integer, Int.max)
        XCTAssertEqual(try number("9223372036854775808").integer, nil, "does not fit")
        XCTAssertEqual(try number("9223372036854775808").isIntegerLiteral, true)
        XCTAssertEqual(try number("-0").isNegative, true)
        XCTAssertEqual(try number("1.0").isIntegerLiteral, false)
        XCTAssertEqual(try number("1e2").integer, nil)
    }

    func testEscapesAreDecoded() throws {
        guard case .string(let s) = try parse(#""a\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00""#) else { return XCTFail() }
        XCTAssertEqual(s, "a\"\\/\u{8}\u{c}\n\r\té😀")
    }

    func testErrorsGiveTheOffsetAndTheDocumentName() {
        XCTAssertEqual(failure(""), JSONScanError(offset: 0, reason: "unexpected end of doc, expected a value"))
        XCTAssertEqual(
            failure(#"{"a": 1"#),
            JSONScanError(offset: 7, reason: "unexpected end of doc, expected ',' or '}'"))
        XCTAssertEqual(failure(#"[1,]"#)?.offset, 3)
        XCTAssertEqual(failure(#""\ud800""#)?.reason, "unpaired surrogate in a \\u escape")
        XCTAssertEqual(failure(#""\x""#)?.reason, "invalid escape \\x")
        XCTAssertEqual(failure("01")?.reason, "invalid number (leading zero)")
        XCTAssertEqual(failure("[1] 2")?.reason, "unexpected '2' after the end of the JSON value")
        XCTAssertEqual(failure("\"a\u{1}\"")?.reason, "control character byte 0x1 in a string")
        XCTAssertEqual(
            failure(String(repeating: "[", count: 5) + String(repeating: "]", count: 5), maximumDepth: 4)?
                .reason, "nesting deeper than 4 levels")
        XCTAssertNil(failure(String(repeating: "[", count: 4) + String(repeating: "]", count: 4), maximumDepth: 4))
    }
}
