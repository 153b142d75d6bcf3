import XCTest

@testable import TensorIO

/// Each malformed input gives its own typed error with a precise message.
final class SafeTensorsValidationTests: XCTestCase {
    /// A header with one F32 tensor "w" of `shape` at `offsets`, plus `extra` JSON members.
    private func file(
        dtype: String = "\"F32\"", shape: String = "[2]", offsets: String = "[0,8]",
        extra: String = "", data: [UInt8] = f32Bytes([1, 2])
    ) -> [UInt8] {
        makeFile(
            header: #"{"w":{"dtype":\#(dtype),"shape":\#(shape),"data_offsets":\#(offsets)}\#(extra)}"#, data: data)
    }

    func testValidBaseline() throws {
        let decoded = try SafeTensors.decode(file())
        XCTAssertEqual(decoded.tensors, [TensorRecord(name: "w", shape: [2], values: [1, 2])])
    }

    // MARK: Framing

    func testShorterThanLengthPrefix() {
        assertDecodeError([], .fileTooShort(byteCount: 0), mentions: ["0 bytes", "8-byte"])
        assertDecodeError([1, 2, 3, 4, 5, 6, 7], .fileTooShort(byteCount: 7))
    }

    func testHugeHeaderLength() {
        let maxLength: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]
        assertDecodeError(
            maxLength + Array("{}      ".utf8), .headerTooLarge(headerLength: UInt64.max),
            mentions: ["18446744073709551615", "100000000"])
        let justOver = withUnsafeBytes(of: UInt64(100_000_001).littleEndian) { Array($0) }
        assertDecodeError(justOver, .headerTooLarge(headerLength: 100_000_001))
        let withinLimit = withUnsafeBytes(of: UInt64(100_000_000).littleEndian) { Array($0) }
        assertDecodeError(
            withinLimit + [0x7B], .headerExceedsFile(headerLength: 100_000_000, fileSize: 9),
            mentions: ["100000000", "9 bytes", "truncated"])
    }

    func testHeaderLongerThanFile() {
        var bytes = file()
        bytes[0] = UInt8(bytes.count - 8 + 1)
        assertDecodeError(bytes, .headerExceedsFile(headerLength: UInt64(bytes.count - 7), fileSize: bytes.count))
    }

    // MARK: Header JSON

    func testHeaderNotUTF8() {
        var header = Array(#"{"w":1}"#.utf8)
        header.insert(0xC3, at: 3)  // lead byte without continuation, inside the key
        assertDecodeError(
            makeFile(headerBytes: header, data: []), .headerNotUTF8(offset: 3), mentions: ["UTF-8", "byte 3"])
        assertDecodeError(makeFile(headerBytes: [0x7B, 0xED, 0xA0, 0x80, 0x7D], data: []), .headerNotUTF8(offset: 1))  // a surrogate
        assertDecodeError(makeFile(headerBytes: [0x7B, 0xC0, 0xAF, 0x7D], data: []), .headerNotUTF8(offset: 1))  // overlong '/'
    }

    func testMalformedJSON() {
        assertDecodeError(
            makeFile(header: #"{"w":}"#), .malformedHeader(offset: 5, reason: "unexpected '}', expected a value"),
            mentions: ["not valid JSON", "header byte 5", "expected a value"])
        assertDecodeError(
            makeFile(header: #"{"w":{"#, pad: false),
            .malformedHeader(offset: 6, reason: "unexpected end of header, expected a member name"))
        assertDecodeError(
            makeFile(header: #"{"w" 1}"#), .malformedHeader(offset: 5, reason: "unexpected '1', expected ':'"))
        assertDecodeError(
            makeFile(header: #"{"a":1,}"#),
            .malformedHeader(offset: 7, reason: "unexpected '}', expected a member name in double quotes"))
        assertDecodeError(
            makeFile(header: #"{"a":01}"#), .malformedHeader(offset: 6, reason: "invalid number (leading zero)"))
        assertDecodeError(makeFile(header: #"{"a":"\x"}"#), .malformedHeader(offset: 7, reason: "invalid escape \\x"))
        assertDecodeError(
            makeFile(header: #"{"a":"\ud800"}"#),
            .malformedHeader(offset: 12, reason: "unpaired surrogate in a \\u escape"))
        assertDecodeError(
            makeFile(header: "{\"a\":\"\u{01}\"}"),
            .malformedHeader(offset: 6, reason: "control character byte 0x1 in a string"))
        assertDecodeError(
            makeFile(header: #"{"a":tru}"#), .malformedHeader(offset: 5, reason: "invalid literal, expected true"))
        assertDecodeError(
            makeFile(header: #"{} {}"#),
            .malformedHeader(offset: 3, reason: "unexpected '{' after the end of the JSON value"))
        assertDecodeError(
            makeFile(header: ""), .malformedHeader(offset: 0, reason: "unexpected end of header, expected a value"))
    }

    func testDeepNestingIsAnErrorNotAStackOverflow() {
        let deep = "{\"a\":" + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "}"
        assertDecodeError(makeFile(header: deep), .malformedHeader(offset: 68, reason: "nesting deeper than 64 levels"))
    }

    func testHeaderNotAnObject() {
        assertDecodeError(makeFile(header: "[]"), .headerNotObject, mentions: ["not a JSON object"])
        assertDecodeError(makeFile(header: "\"w\""), .headerNotObject)
        assertDecodeError(
            makeFile(header: "  {}"), .malformedHeader(offset: 0, reason: "the header must begin with '{'"))
    }

    // MARK: Entries

    func testEntryNotAnObject() {
        assertDecodeError(makeFile(header: #"{"w":[1]}"#), .entryNotObject(tensor: "w"), mentions: [#"tensor "w""#])
    }

    func testMissingFields() {
        assertDecodeError(
            makeFile(header: #"{"w":{"shape":[],"data_offsets":[0,4]}}"#, data: f32Bytes([1])),
            .missingField(tensor: "w", field: "dtype"), mentions: [#"missing field "dtype""#])
        assertDecodeError(
            makeFile(header: #"{"w":{"dtype":"F32","data_offsets":[0,4]}}"#, data: f32Bytes([1])),
            .missingField(tensor: "w", field: "shape"))
        assertDecodeError(
            makeFile(header: #"{"w":{"dtype":"F32","shape":[]}}"#, data: f32Bytes([1])),
            .missingField(tensor: "w", field: "data_offsets"))
    }

    func testDuplicateFieldsAndNames() {
        assertDecodeError(
            file(extra: #","w":{"dtype":"F32","shape":[0],"data_offsets":[8,8]}"#), .duplicateTensorName("w"),
            mentions: [#"tensor "w" twice"#])
        assertDecodeError(
            makeFile(
                header: #"{"w":{"dtype":"F32","dtype":"F32","shape":[],"data_offsets":[0,4]}}"#, data: f32Bytes([1])),
            .duplicateField(tensor: "w", field: "dtype"))
        // Names that differ only by Unicode normalization are duplicates too (Swift String equality).
        assertDecodeError(
            makeFile(
                header:
                    "{\"\u{E9}\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]},\"e\u{301}\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}"
            ),
            .duplicateTensorName("e\u{301}"))
    }

    func testUnknownFieldsAreIgnored() throws {
        let decoded = try SafeTensors.decode(
            makeFile(
                header: #"{"w":{"future":{"x":[1]},"dtype":"F32","shape":[],"data_offsets":[0,4]}}"#,
                data: f32Bytes([5])))
        XCTAssertEqual(decoded.tensors, [TensorRecord(name: "w", shape: [], values: [5])])
    }

    func testWrongFieldTypes() {
        assertDecodeError(
            file(dtype: "32"), .invalidField(tensor: "w", field: "dtype", expected: "a string"),
            mentions: [#"tensor "w": "dtype" must be a string"#])
        let shapeError = SafeTensorsError.invalidField(
            tensor: "w", field: "shape", expected: "an array of non-negative integers")
        assertDecodeError(file(shape: "2"), shapeError)
        assertDecodeError(file(shape: "[2.0]"), shapeError)
        assertDecodeError(file(shape: "[\"2\"]"), shapeError)
        assertDecodeError(file(shape: "[2e0]"), shapeError)
        assertDecodeError(file(shape: "[-99999999999999999999999]"), shapeError)
        let offsetsError = SafeTensorsError.invalidField(
            tensor: "w", field: "data_offsets", expected: "two non-negative integers [begin, end]")
        assertDecodeError(file(offsets: "[0]"), offsetsError, mentions: ["two non-negative integers"])
        assertDecodeError(file(offsets: "[0,8,8]"), offsetsError)
        assertDecodeError(file(offsets: "[0,8.0]"), offsetsError)
        assertDecodeError(file(offsets: "[-1,7]"), offsetsError)
        assertDecodeError(file(offsets: "{\"a\":0}"), offsetsError)
        assertDecodeError(file(offsets: "[0,99999999999999999999999]"), offsetsError)
    }

    func testUnsupportedDType() {
        assertDecodeError(
            file(dtype: "\"I32\""), .unsupportedDType(tensor: "w", dtype: "I32"), mentions: ["\"I32\"", "F32"])
        assertDecodeError(file(dtype: "\"f32\""), .unsupportedDType(tensor: "w", dtype: "f32"))
        assertDecodeError(file(dtype: "\"F8_E4M3\""), .unsupportedDType(tensor: "w", dtype: "F8_E4M3"))
    }

    func testNegativeAndOverflowingShapes() {
        assertDecodeError(
            file(shape: "[-2]"), .negativeDimension(tensor: "w", shape: [-2]), mentions: ["[-2]", "negative"])
        assertDecodeError(file(shape: "[2,-1,0]"), .negativeDimension(tensor: "w", shape: [2, -1, 0]))
        assertDecodeError(file(shape: "[4611686018427387904,4]"), .shapeOverflow(tensor: "w"), mentions: ["too large"])
        assertDecodeError(file(shape: "[2305843009213693952]"), .shapeOverflow(tensor: "w"))  // elements fit, bytes (×4) do not
        assertDecodeError(file(shape: "[99999999999999999999999]"), .shapeOverflow(tensor: "w"))
    }

    func testDataOffsets() {
        assertDecodeError(
            file(offsets: "[8,0]"), .dataOffsetsReversed(tensor: "w", begin: 8, end: 0), mentions: ["[8, 0]"])
        assertDecodeError(
            file(offsets: "[0,16]"), .dataOffsetsOutOfRange(tensor: "w", end: 16, dataSize: 8),
            mentions: ["16", "8 bytes"])
        assertDecodeError(
            file(offsets: "[9223372036854775800,9223372036854775807]"),
            .dataOffsetsOutOfRange(tensor: "w", end: Int.max, dataSize: 8))
        assertDecodeError(
            file(offsets: "[0,4]"), .dataSizeMismatch(tensor: "w", expectedBytes: 8, actualBytes: 4),
            mentions: ["4 bytes", "need 8"])
        assertDecodeError(
            file(dtype: "\"F16\"", offsets: "[0,8]"), .dataSizeMismatch(tensor: "w", expectedBytes: 4, actualBytes: 8))
    }

    func testOverlapsHolesAndTrailingBytes() {
        let two = f32Bytes([1, 2, 3, 4])
        // b starts inside a.
        assertDecodeError(
            makeFile(
                header:
                    #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#,
                data: two),
            .overlappingTensors("a", "b"), mentions: [#""a" and "b" overlap"#])
        // Identical ranges.
        assertDecodeError(
            makeFile(
                header:
                    #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#,
                data: f32Bytes([1, 2])),
            .overlappingTensors("a", "b"))
        // An empty tensor inside another one's bytes.
        assertDecodeError(
            makeFile(
                header:
                    #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"z":{"dtype":"F32","shape":[0],"data_offsets":[4,4]}}"#,
                data: f32Bytes([1, 2])),
            .overlappingTensors("a", "z"))
        // A hole between tensors.
        assertDecodeError(
            makeFile(
                header:
                    #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}"#,
                data: two),
            .uncoveredData(begin: 4, end: 8), mentions: ["4..<8", "no tensor"])
        // A hole at the start.
        assertDecodeError(
            makeFile(header: #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, data: f32Bytes([1, 2])),
            .uncoveredData(begin: 0, end: 4))
        // Trailing bytes after the last tensor; and data in a file without tensors.
        assertDecodeError(
            makeFile(header: #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, data: f32Bytes([1, 2])),
            .uncoveredData(begin: 4, end: 8))
        assertDecodeError(makeFile(header: "{}", data: [0]), .uncoveredData(begin: 0, end: 1))
    }

    func testFileOrderFollowsOffsetsNotHeaderOrder() throws {
        let decoded = try SafeTensors.decode(
            makeFile(
                header:
                    #"{"late":{"dtype":"F32","shape":[1],"data_offsets":[4,8]},"e2":{"dtype":"F32","shape":[0],"data_offsets":[4,4]},"early":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"e1":{"dtype":"F32","shape":[0],"data_offsets":[4,4]}}"#,
                data: f32Bytes([10, 20])))
        XCTAssertEqual(decoded.tensors.map(\.name), ["early", "e2", "e1", "late"])
        XCTAssertEqual(decoded.tensors.map(\.values), [[10], [], [], [20]])
    }

    // MARK: Metadata

    func testMetadata() throws {
        assertDecodeError(
            file(extra: #","__metadata__":["a"]"#), .invalidMetadata(key: nil),
            mentions: ["__metadata__", "not a JSON object"])
        assertDecodeError(file(extra: #","__metadata__":"x""#), .invalidMetadata(key: nil))
        assertDecodeError(
            file(extra: #","__metadata__":{"ok":"1","step":10}"#), .invalidMetadata(key: "step"),
            mentions: [#"key "step" is not a string"#])
        assertDecodeError(file(extra: #","__metadata__":{"a":null}"#), .invalidMetadata(key: "a"))
        assertDecodeError(file(extra: #","__metadata__":{"a":"1","a":"2"}"#), .duplicateMetadataKey("a"))
        assertDecodeError(file(extra: #","__metadata__":{},"__metadata__":{}"#), .duplicateMetadataKey("__metadata__"))
        XCTAssertEqual(try SafeTensors.decode(file(extra: #","__metadata__":null"#)).metadata, [:])
        XCTAssertEqual(
            try SafeTensors.decode(file(extra: #","__metadata__":{"a":"\u00fc\n\"","b":""}"#)).metadata,
            ["a": "ü\n\"", "b": ""])
    }

    func testMessagesEscapeHostileNames() {
        let message = SafeTensorsError.entryNotObject(tensor: "a\"b\n\u{1B}[31m").errorDescription!
        XCTAssertEqual(message, #"tensor "a\"b\u{a}\u{1b}[31m": entry is not a JSON object"#)
        XCTAssertFalse(message.contains("\n"))
    }
}
