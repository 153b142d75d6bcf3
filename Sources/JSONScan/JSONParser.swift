// A strict, small JSON parser over bytes, shared by the safetensors reader (TensorIO) and the
// duplicate-key checks of vocab.json and a checkpoint's JSON files.
//
// Foundation's JSONSerialization is not used: it merges duplicate keys, loses member order, and
// does not say whether a number was written as an integer. This parser keeps objects as ordered
// member lists, records integers exactly, bounds nesting depth, and reports the byte offset of
// the first problem. Bytes that are not UTF-8 inside strings are decoded with replacement
// characters (callers that need strict UTF-8 check it first, as TensorIO does).

/// Where the input stops being JSON: the byte offset (from 0) and what is wrong there.
public struct JSONScanError: Error, Equatable, Sendable, CustomStringConvertible {
    public var offset: Int
    public var reason: String

    public init(offset: Int, reason: String) {
        self.offset = offset
        self.reason = reason
    }

    public var description: String { "at byte \(offset): \(reason)" }
}

/// Parses one JSON document from bytes, strictly (RFC 8259: no trailing commas, no comments,
/// no leading zeros, escapes checked, surrogates paired), recursing once per level of nesting.
public struct JSONParser {
    private let bytes: [UInt8]
    private var index = 0
    private let maximumDepth: Int
    /// What the messages call the input ("header": "unexpected end of header").
    private let documentName: String
    /// Where each value starts and ends, by path, when recording (`parseDocumentRecordingValues`).
    private var recording = false
    private var path: [String] = []
    private(set) var values: [JSONValueSpan] = []

    /// - Parameters:
    ///   - maximumDepth: objects and arrays nested deeper are refused (the parser recurses once
    ///     per level, so this bounds its stack).
    ///   - documentName: the input's name in messages.
    public init(_ bytes: [UInt8], maximumDepth: Int = 64, documentName: String = "input") {
        self.bytes = bytes
        self.maximumDepth = maximumDepth
        self.documentName = documentName
    }

    /// Parses one JSON value followed only by whitespace.
    public mutating func parseDocument() throws(JSONScanError) -> JSONValue {
        skipWhitespace()
        let value = try parseValue(depth: 0)
        skipWhitespace()
        if index < bytes.count { throw fail("unexpected \(describe(bytes[index])) after the end of the JSON value") }
        return value
    }

    /// `parseDocument`, also noting where each value is: the explanation of a refused document
    /// (JSONExplain.swift) finds a value by its path.
    mutating func parseDocumentRecordingValues() throws(JSONScanError) -> [JSONValueSpan] {
        recording = true
        _ = try parseDocument()
        return values
    }

    /// The path of the value being parsed when recording (after a failure: where it failed).
    var currentPath: [String] { path }

    private func fail(_ reason: String) -> JSONScanError {
        JSONScanError(offset: index, reason: reason)
    }

    private func describe(_ byte: UInt8) -> String {
        if byte >= 0x21 && byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
        return "byte 0x" + String(byte, radix: 16, uppercase: true)
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    private mutating func parseValue(depth: Int) throws(JSONScanError) -> JSONValue {
        guard recording else { return try parseBareValue(depth: depth) }
        let start = index
        let slot = values.count
        values.append(JSONValueSpan(path: path, start: start, end: start, isNumber: false))
        let value = try parseBareValue(depth: depth)
        values[slot].end = index
        if case .number = value { values[slot].isNumber = true }
        return value
    }

    /// A byte sequence that starts a word JSON lacks (NaN, infinities, Python's and JavaScript's names).
    private func nonJSONNumberWord() -> String? {
        for word in ["NaN", "nan", "Infinity", "-Infinity", "inf", "-inf", "Inf", "-Inf"] {
            let w = Array(word.utf8)
            if index + w.count <= bytes.count && Array(bytes[index..<(index + w.count)]) == w { return word }
        }
        return nil
    }

    private mutating func parseBareValue(depth: Int) throws(JSONScanError) -> JSONValue {
        guard index < bytes.count else { throw fail("unexpected end of \(documentName), expected a value") }
        if let word = nonJSONNumberWord() {
            throw fail("\(word) is not a JSON number (JSON has no NaN or infinity), expected a value")
        }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
        case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        default: throw fail("unexpected \(describe(bytes[index])), expected a value")
        }
    }

    private mutating func expectLiteral(_ word: StaticString) throws(JSONScanError) {
        let start = index
        for expected in UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount) {
            guard index < bytes.count, bytes[index] == expected else {
                index = start
                throw fail("invalid literal, expected \(word)")
            }
            index += 1
        }
    }

    private mutating func expect(_ byte: UInt8, _ what: String) throws(JSONScanError) {
        guard index < bytes.count else { throw fail("unexpected end of \(documentName), expected \(what)") }
        guard bytes[index] == byte else { throw fail("unexpected \(describe(bytes[index])), expected \(what)") }
        index += 1
    }

    private mutating func parseObject(depth: Int) throws(JSONScanError) -> JSONValue {
        guard depth <= maximumDepth else { throw fail("nesting deeper than \(maximumDepth) levels") }
        index += 1  // {
        var members: [(key: String, value: JSONValue)] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; return .object(members) }
        while true {
            skipWhitespace()
            guard index < bytes.count else { throw fail("unexpected end of \(documentName), expected a member name") }
            guard bytes[index] == UInt8(ascii: "\"") else {
                throw fail("unexpected \(describe(bytes[index])), expected a member name in double quotes")
            }
            let key = try parseString()
            skipWhitespace()
            try expect(UInt8(ascii: ":"), "':'")
            skipWhitespace()
            if recording { path.append(key) }
            let value = try parseValue(depth: depth)
            if recording { path.removeLast() }
            members.append((key, value))
            skipWhitespace()
            guard index < bytes.count else { throw fail("unexpected end of \(documentName), expected ',' or '}'") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            try expect(UInt8(ascii: "}"), "',' or '}'")
            return .object(members)
        }
    }

    private mutating func parseArray(depth: Int) throws(JSONScanError) -> JSONValue {
        guard depth <= maximumDepth else { throw fail("nesting deeper than \(maximumDepth) levels") }
        index += 1  // [
        var elements: [JSONValue] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") { index += 1; return .array(elements) }
        while true {
            skipWhitespace()
            if recording { path.append("[\(elements.count)]") }
            elements.append(try parseValue(depth: depth))
            if recording { path.removeLast() }
            skipWhitespace()
            guard index < bytes.count else { throw fail("unexpected end of \(documentName), expected ',' or ']'") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            try expect(UInt8(ascii: "]"), "',' or ']'")
            return .array(elements)
        }
    }

    private mutating func parseHex4() throws(JSONScanError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard index < bytes.count else { throw fail("unexpected end of \(documentName) in a \\u escape") }
            let b = bytes[index]
            let digit: UInt32
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(b - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(b - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(b - UInt8(ascii: "A") + 10)
            default: throw fail("invalid hex digit \(describe(b)) in a \\u escape")
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }

    private mutating func parseString() throws(JSONScanError) -> String {
        index += 1  // opening quote
        var utf8: [UInt8] = []
        while true {
            guard index < bytes.count else { throw fail("unterminated string") }
            let b = bytes[index]
            switch b {
            case UInt8(ascii: "\""):
                index += 1
                return String(decoding: utf8, as: UTF8.self)
            case UInt8(ascii: "\\"):
                index += 1
                guard index < bytes.count else { throw fail("unterminated string") }
                let e = bytes[index]
                index += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(e)
                case UInt8(ascii: "b"): utf8.append(0x08)
                case UInt8(ascii: "f"): utf8.append(0x0C)
                case UInt8(ascii: "n"): utf8.append(0x0A)
                case UInt8(ascii: "r"): utf8.append(0x0D)
                case UInt8(ascii: "t"): utf8.append(0x09)
                case UInt8(ascii: "u"):
                    var code = try parseHex4()
                    if (0xD800..<0xDC00).contains(code) {
                        guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"),
                            bytes[index + 1] == UInt8(ascii: "u")
                        else {
                            throw fail("unpaired surrogate in a \\u escape")
                        }
                        index += 2
                        let low = try parseHex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw fail("unpaired surrogate in a \\u escape") }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00..<0xE000).contains(code) {
                        throw fail("unpaired surrogate in a \\u escape")
                    }
                    guard let scalar = Unicode.Scalar(code) else { throw fail("invalid \\u escape") }
                    utf8.append(contentsOf: String(scalar).utf8)
                default:
                    index -= 1
                    throw fail("invalid escape \\\(Character(Unicode.Scalar(e)))")
                }
            case 0x00..<0x20:
                throw fail("control character \(describe(b)) in a string")
            default:
                utf8.append(b)
                index += 1
            }
        }
    }

    private mutating func parseNumber() throws(JSONScanError) -> JSONNumber {
        let negative = bytes[index] == UInt8(ascii: "-")
        if negative { index += 1 }
        func isDigit(_ i: Int) -> Bool {
            i < bytes.count && bytes[i] >= UInt8(ascii: "0") && bytes[i] <= UInt8(ascii: "9")
        }
        guard isDigit(index) else { throw fail("invalid number") }
        var magnitude: Int? = 0
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
            if isDigit(index) { throw fail("invalid number (leading zero)") }
        } else {
            while isDigit(index) {
                let digit = Int(bytes[index] - UInt8(ascii: "0"))
                if let m = magnitude {
                    let (times10, o1) = m.multipliedReportingOverflow(by: 10)
                    let (sum, o2) = times10.addingReportingOverflow(digit)
                    magnitude = (o1 || o2) ? nil : sum
                }
                index += 1
            }
        }
        var isInteger = true
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard isDigit(index) else { throw fail("invalid number (no digit after '.')") }
            while isDigit(index) { index += 1 }
            isInteger = false
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                index += 1
            }
            guard isDigit(index) else { throw fail("invalid number (no digit in the exponent)") }
            while isDigit(index) { index += 1 }
            isInteger = false
        }
        // Int.min (one more than Int.max in magnitude) is treated as out of range.
        let value = isInteger ? magnitude.map { negative ? -$0 : $0 } : nil
        return JSONNumber(integer: value, isIntegerLiteral: isInteger, isNegative: negative)
    }
}
