import Foundation
import XCTest
import _TestSupport

@testable import TensorIO

/// `SafeTensorsReader` (what `SafeTensors.read(path:)` and checkpoints use) reads files tensor
/// by tensor: it must accept and refuse exactly what `decode` of the whole file does, with the
/// same values and the same errors, and fail cleanly when the file changes under it.
final class SafeTensorsReaderTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws { directory = try temporaryDirectory(self, "reader") }

    func write(_ bytes: [UInt8], _ name: String = "t.safetensors") throws -> String {
        let path = directory.appendingPathComponent(name).path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    func sample() throws -> [UInt8] {
        try SafeTensors.encode(
            [
                TensorRecord(name: "w", shape: [3, 2], values: [1, -2, 3, 4.5, -0.0, 6]),
                TensorRecord(name: "b", shape: [3], values: [-1, 0, 1]),
                TensorRecord(name: "empty", shape: [0, 5], values: []),
                TensorRecord(name: "s", shape: [], values: [9]),
            ], metadata: ["format": "pt"])
    }

    /// Every prefix of a valid file, and every single-byte change of its header: the file reader
    /// and the in-memory decoder agree on the result or on the error.
    func testAgreesWithDecodeOnTruncationsAndMutations() throws {
        let bytes = try sample()
        var variants = (0...bytes.count).map { Array(bytes[0..<$0]) }
        let headerEnd = 8 + Int(bytes[0]) + Int(bytes[1]) << 8
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15  // a fixed LCG: the same 300 mutations every run
        func next() -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(state >> 33)
        }
        for _ in 0..<300 {
            var v = bytes
            v[8 + next() % (headerEnd - 8)] = UInt8(next() % 256)
            variants.append(v)
        }
        for (i, v) in variants.enumerated() {
            let path = try write(v, "v\(i).safetensors")
            let expected = Result { () throws(SafeTensorsError) in try SafeTensors.decode(v) }
            let got = Result { () throws(SafeTensorsError) in try SafeTensors.read(path: path) }
            switch (expected, got) {
            case (.success(let a), .success(let b)):
                XCTAssertEqual(a.metadata, b.metadata)
                XCTAssertEqual(a.tensors.map(\.name), b.tensors.map(\.name))
                for (x, y) in zip(a.tensors, b.tensors) {
                    XCTAssertEqual(x.shape, y.shape)
                    XCTAssertEqual(x.values.map(\.bitPattern), y.values.map(\.bitPattern))
                }
            case (.failure(let a), .failure(let b)):
                XCTAssertEqual(b, .inFile(path: path, a), "variant \(i)")
            default:
                XCTFail("variant \(i): decode \(expected), read \(got)")
            }
        }
    }

    /// F16 and BF16 tensors convert as `decode` converts them.
    func testHalfTypesConvertLikeDecode() throws {
        let header =
            #"{"h":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},"#
            + #""g":{"dtype":"BF16","shape":[2],"data_offsets":[4,8]}}"#
        var bytes: [UInt8] = []
        withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { bytes += $0 }
        bytes += Array(header.utf8)
        bytes += [0x00, 0x3C, 0x00, 0xC0, 0x80, 0x3F, 0x40, 0xC0]  // f16 1, −2; bf16 1, −3
        let path = try write(bytes)
        let read = try SafeTensors.read(path: path).tensors
        XCTAssertEqual(read, try SafeTensors.decode(bytes).tensors)
        XCTAssertEqual(read.map(\.values), [[1, -2], [1, -3]])
    }

    /// A file cut short after its header was read is an error naming it, not a trap.
    func testAFileThatShrinksAfterOpeningIsAnError() throws {
        let path = try write(try sample())
        let reader = try SafeTensorsReader(path: path)
        let w = try XCTUnwrap(reader.entries.first { $0.name == "w" })
        XCTAssertEqual(try reader.values(w), [1, -2, 3, 4.5, -0.0, 6])
        XCTAssertEqual(truncate(path, 8 + Int(try sample()[0]) + 4), 0)
        XCTAssertThrowsError(try reader.values(w)) {
            XCTAssertEqual($0 as? SafeTensorsError, .cannotRead(path: path, reason: "the file ended early"))
        }
    }

    func testDirectoriesAndDevicesAreRefused() {
        XCTAssertThrowsError(try SafeTensorsReader(path: directory.path)) {
            XCTAssertEqual($0 as? SafeTensorsError, .cannotRead(path: directory.path, reason: "is a directory"))
        }
        XCTAssertThrowsError(try SafeTensorsReader(path: "/dev/zero")) {
            guard case .cannotRead(_, let reason)? = $0 as? SafeTensorsError else { return XCTFail("\($0)") }
            XCTAssertTrue(reason.hasPrefix("not a regular file"), reason)
        }
    }
}
