// The one place an errno becomes words, and a path becomes safe to print on one line.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The system's words for an errno value ("No such file or directory"): `strerror` as a Swift
/// string, with "error N" for a code the C library does not name.
public func errnoReason(_ code: Int32) -> String {
    guard let text = strerror(code) else { return "error \(code)" }
    return String(cString: text)
}

/// A path as messages print it: in single quotes, with control characters, quotes and
/// backslashes escaped (`'a\nb'`), so that one error stays one line whatever the file is called.
/// (A Swift string is always UTF-8; a path read as bytes that are not shows its bytes as `\xHH`.)
public func quotedPath(_ path: String) -> String {
    var out = "'"
    var bytes = Array(path.utf8)[...]
    while !bytes.isEmpty {
        var decoder = UTF8()
        var iterator = bytes.makeIterator()
        switch decoder.decode(&iterator) {
        case .scalarValue(let scalar):
            let length = UTF8.width(scalar)
            bytes = bytes.dropFirst(length)
            switch scalar {
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            case "'": out += "\\'"
            case "\\": out += "\\\\"
            default:
                let v = scalar.value
                if v < 0x20 || v == 0x7F || (0x80..<0xA0).contains(v) || v == 0x2028 || v == 0x2029 {
                    out += v < 0x100 ? "\\x" + hex2(UInt8(v)) : "\\u{" + String(v, radix: 16, uppercase: true) + "}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        case .emptyInput:
            bytes = bytes.dropFirst(bytes.count)
        case .error:
            out += "\\x" + hex2(bytes.first!)
            bytes = bytes.dropFirst()
        }
    }
    return out + "'"
}

private func hex2(_ byte: UInt8) -> String {
    let digits = String(byte, radix: 16, uppercase: true)
    return byte < 16 ? "0" + digits : digits
}
