import Foundation

/// Finds a key that appears twice in one JSON object. Foundation's JSONDecoder keeps one of the
/// values silently, so a damaged or hand-edited file ("batch": 50, …, "batch": 0) would load with
/// whichever it picks; checkpoint files with duplicate keys are refused instead.
///
/// A small scanner over the bytes, not a parser: it assumes the document is otherwise valid JSON
/// (the decoder checks that) and tracks, per open object, the keys seen so far. Escapes in keys
/// are decoded, so "a" and "\u0061" are the same key.
///
/// - Returns: the dotted path of the first duplicate ("training.batch"), or nil.
func duplicateJSONKey(in data: Data) -> String? {
    let bytes = [UInt8](data)
    /// Per open container: the keys seen (nil for arrays) and the key that leads to it.
    var stack: [(keys: Set<String>?, name: String)] = []
    var i = 0
    var pendingKey: String? = nil
    while i < bytes.count {
        let b = bytes[i]
        switch b {
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            stack.append((b == UInt8(ascii: "{") ? [] : nil, pendingKey ?? "[]"))
            pendingKey = nil
            i += 1
        case UInt8(ascii: "}"), UInt8(ascii: "]"):
            if !stack.isEmpty { stack.removeLast() }
            i += 1
        case UInt8(ascii: "\""):
            let (text, end) = scanString(bytes, from: i)
            i = end
            // A string is a key when the next non-blank byte is ':' inside an object.
            var j = i
            while j < bytes.count, [0x20, 0x09, 0x0a, 0x0d].contains(bytes[j]) { j += 1 }
            if j < bytes.count, bytes[j] == UInt8(ascii: ":"), var top = stack.last, top.keys != nil {
                if top.keys!.contains(text) {
                    return (stack.dropFirst().map(\.name) + [text]).joined(separator: ".")
                }
                top.keys!.insert(text)
                stack[stack.count - 1] = top
                pendingKey = text
                i = j + 1
            }
        default:
            if b == UInt8(ascii: ",") { pendingKey = nil }
            i += 1
        }
    }
    return nil
}

/// The decoded text of the JSON string starting at `start` (a quote) and the index after it.
private func scanString(_ bytes: [UInt8], from start: Int) -> (String, Int) {
    var units: [UInt16] = []
    var raw: [UInt8] = []
    var i = start + 1
    func flush() {
        if !raw.isEmpty { units += String(decoding: raw, as: UTF8.self).utf16; raw.removeAll() }
    }
    while i < bytes.count, bytes[i] != UInt8(ascii: "\"") {
        if bytes[i] == UInt8(ascii: "\\"), i + 1 < bytes.count {
            flush()
            let e = bytes[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "n"): units.append(0x0a)
            case UInt8(ascii: "t"): units.append(0x09)
            case UInt8(ascii: "r"): units.append(0x0d)
            case UInt8(ascii: "b"): units.append(0x08)
            case UInt8(ascii: "f"): units.append(0x0c)
            case UInt8(ascii: "u"):
                let hex = String(decoding: bytes[i..<min(i + 4, bytes.count)], as: UTF8.self)
                units.append(UInt16(hex, radix: 16) ?? 0xfffd)
                i = min(i + 4, bytes.count)
            default: units.append(UInt16(e))   // \" \\ \/
            }
        } else {
            raw.append(bytes[i])
            i += 1
        }
    }
    flush()
    return (String(decoding: units, as: UTF16.self), min(i + 1, bytes.count))
}
