import XCTest
import _TestSupport

@testable import TensorIO

/// A safetensors file from a header string (padded here to a multiple of 8) and raw data bytes.
func makeFile(header: String, data: [UInt8] = [], pad: Bool = true) -> [UInt8] {
    var h = Array(header.utf8)
    if pad { while h.count % 8 != 0 { h.append(0x20) } }
    return makeFile(headerBytes: h, data: data)
}

func makeFile(headerBytes h: [UInt8], data: [UInt8]) -> [UInt8] {
    var out: [UInt8] = []
    withUnsafeBytes(of: UInt64(h.count).littleEndian) { out.append(contentsOf: $0) }
    return out + h + data
}

/// Little-endian float32 bytes.
func f32Bytes(_ values: [Float]) -> [UInt8] {
    values.flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) } }
}

/// Asserts that decoding `bytes` throws exactly `expected`, and that its message contains `fragments`.
func assertDecodeError(
    _ bytes: [UInt8], _ expected: SafeTensorsError, mentions fragments: [String] = [],
    file: StaticString = #filePath, line: UInt = #line
) {
    do {
        let decoded = try SafeTensors.decode(bytes)
        XCTFail("expected \(expected), decoded \(decoded.tensors.map(\.name))", file: file, line: line)
    } catch {
        XCTAssertEqual(error, expected, file: file, line: line)
        let message = error.errorDescription ?? ""
        for fragment in fragments {
            XCTAssertTrue(
                message.contains(fragment), "message \(message.debugDescription) lacks \(fragment.debugDescription)",
                file: file, line: line)
        }
    }
}

/// Bitwise equality of float arrays (NaN payloads and -0 included).
func assertBitwiseEqual(_ a: [Float], _ b: [Float], file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.map(\.bitPattern), b.map(\.bitPattern), file: file, line: line)
}
