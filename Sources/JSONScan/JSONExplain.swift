// Why a decoder refused a JSON document, said with where: the line and column of the problem and,
// for a well-formed document, the field, its value and what was expected there. Foundation's
// JSONDecoder says only "The given data was not valid JSON" for a syntax error and for a number
// that does not fit its field alike (`"step": 1e30`, `"dropout_rng": -1`, `1e400`).

/// Where a value is in a document: its path (keys, and `[i]` for array elements) and its bytes.
struct JSONValueSpan {
    var path: [String]
    var start: Int
    var end: Int
    var isNumber: Bool
}

/// Line and column (both from 1; the column counts characters) of a byte offset in `bytes`.
public func jsonLineAndColumn(ofByte offset: Int, in bytes: [UInt8]) -> (line: Int, column: Int) {
    var line = 1, column = 1
    for b in bytes[..<min(max(offset, 0), bytes.count)] {
        if b == 0x0A {
            line += 1
            column = 1
        } else if b & 0xC0 != 0x80 {
            column += 1
        }
    }
    return (line, column)
}

/// Explains why `JSONDecoder` (or any decoder) refused `bytes` with `error`: "line 3, column 12: …".
/// Returns nil when nothing more precise than the decoder's own words is known.
public func explainRefusedJSON(_ bytes: [UInt8], error: any Error, decodes: ([UInt8]) -> Bool) -> String? {
    func keys(_ path: [any CodingKey]) -> [String] { path.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue } }
    switch error {
    case DecodingError.keyNotFound(let key, let context):
        let owner = keys(context.codingPath)
        let place = owner.isEmpty ? "" : " in \(render(owner))"
        return explainRefusedJSON(
            bytes, codingPath: owner, problem: "missing key '\(key.stringValue)'\(place)", decodes: decodes,
            valueIsThePlace: false)
    case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
        return explainRefusedJSON(
            bytes, codingPath: keys(context.codingPath), problem: context.debugDescription, decodes: decodes)
    case DecodingError.dataCorrupted(let context):
        let path = keys(context.codingPath)
        return explainRefusedJSON(
            bytes, codingPath: path, problem: path.isEmpty ? nil : context.debugDescription, decodes: decodes)
    default:
        return explainRefusedJSON(bytes, codingPath: [], problem: nil, decodes: decodes)
    }
}

/// Explains why a decoder refused `bytes`: "line 3, column 12: …".
///
/// - Parameters:
///   - codingPath: the keys of the decoder's error where it has them (a value of the wrong type, a
///     missing key); empty when it named no place.
///   - problem: the decoder's own words for that place ("Expected to decode Int but found a
///     string instead"), used when the value is found.
///   - decodes: whether the decoder accepts a variant of the document (the culprit among several
///     numbers is found by replacing candidates with 1).
///   - valueIsThePlace: false when the path names an object that lacks a key (then `problem` is the
///     whole message after the position).
/// - Returns: the explanation, or nil when nothing more precise than the decoder's words is known.
public func explainRefusedJSON(
    _ bytes: [UInt8], codingPath: [String], problem: String?, decodes: ([UInt8]) -> Bool,
    valueIsThePlace: Bool = true
) -> String? {
    var parser = JSONParser(bytes, maximumDepth: 128, documentName: "document")
    let spans: [JSONValueSpan]
    do throws(JSONScanError) { spans = try parser.parseDocumentRecordingValues() } catch {
        let inside = parser.currentPath.isEmpty ? "" : " (in \(render(parser.currentPath)))"
        return "not valid JSON at \(at(error.offset, bytes)): \(error.reason)\(inside)"
    }
    if !codingPath.isEmpty || !valueIsThePlace {
        // The deepest value the path reaches (a missing key: the object that lacks it).
        var path = codingPath
        while true {
            if let span = spans.first(where: { $0.path == path }) {
                let name = render(codingPath)
                if path == codingPath && valueIsThePlace {
                    return "\(at(span.start, bytes)): \(name) is \(text(of: span, in: bytes))"
                        + (problem.map { " (\($0))" } ?? "")
                }
                return "\(at(span.start, bytes)): \(problem ?? "\(name) is missing")"
            }
            if path.isEmpty { return nil }
            path.removeLast()
        }
    }
    return explainNumber(bytes, spans: spans, decodes: decodes)
}

/// The number among `spans` that the decoder cannot take (out of its field's range): found by
/// replacing candidates with 1 until the document decodes, then named with the range its field
/// allows (probed the same way: does -1 fit? does 0.5?).
private func explainNumber(_ bytes: [UInt8], spans: [JSONValueSpan], decodes: ([UInt8]) -> Bool) -> String? {
    // The numbers some field may refuse: fractions and exponents (an integer field), negatives (an
    // unsigned one), integers past 64 bits; replaced by 1, which every numeric field takes.
    let numbers = spans.filter { span in
        guard span.isNumber else { return false }
        let literal = bytes[span.start..<span.end]
        return literal.contains { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }
            || literal.first == UInt8(ascii: "-") || literal.count > 18
    }
    func replacing(_ chosen: ArraySlice<JSONValueSpan>, last: (JSONValueSpan, String)? = nil) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var cursor = 0
        var edits = chosen.map { ($0, "1") }
        if let last { edits.append(last) }
        for (span, replacement) in edits.sorted(by: { $0.0.start < $1.0.start }) {
            out += bytes[cursor..<span.start]
            out += Array(replacement.utf8)
            cursor = span.end
        }
        out += bytes[cursor...]
        return out
    }
    guard !numbers.isEmpty, decodes(replacing(numbers[...])) else { return nil }
    // The smallest k such that replacing the first k numbers makes the document decode: numbers[k-1]
    // is a culprit (the last one, when several are).
    var low = 0, high = numbers.count  // decodes(high) is true; decodes(0) is false
    while high - low > 1 {
        let mid = (low + high) / 2
        if decodes(replacing(numbers[..<mid])) { high = mid } else { low = mid }
    }
    let culprit = numbers[high - 1]
    let others = numbers[..<(high - 1)]
    let literal = text(of: culprit, in: bytes)
    let name = render(culprit.path)
    let expected: String
    if decodes(replacing(others, last: (culprit, "0.5"))) {
        expected = "a number within a double's range (±1.7976931348623157e308)"
    } else if decodes(replacing(others, last: (culprit, "-1"))) {
        expected = "a whole number from \(Int.min) to \(Int.max)"
    } else {
        expected = "a whole number from 0 to \(UInt64.max)"
    }
    return "\(at(culprit.start, bytes)): \(name) is \(literal), expected \(expected)"
}

private func at(_ offset: Int, _ bytes: [UInt8]) -> String {
    let (line, column) = jsonLineAndColumn(ofByte: offset, in: bytes)
    return "line \(line), column \(column)"
}

/// A path as messages write it: 'training.batch', 'tokens[3]'.
private func render(_ path: [String]) -> String {
    var out = ""
    for key in path {
        if key.hasPrefix("[") { out += key } else { out += (out.isEmpty ? "" : ".") + key }
    }
    return "'\(out)'"
}

/// A value's text, at most 40 characters.
private func text(of span: JSONValueSpan, in bytes: [UInt8]) -> String {
    let s = String(decoding: bytes[span.start..<span.end], as: UTF8.self)
    return s.count > 40 ? String(s.prefix(40)) + "…" : s
}
