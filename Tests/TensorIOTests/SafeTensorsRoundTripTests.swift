import XCTest
import _TestSupport

@testable import TensorIO

final class SafeTensorsRoundTripTests: XCTestCase {
    func testRoundTripKeepsShapesValuesAndMetadata() throws {
        let tensors = [
            TensorRecord(name: "rnn.weight_ih_l0", shape: [4, 3], values: (0..<12).map { Float($0) * 0.25 - 1 }),
            TensorRecord(name: "scalar", shape: [], values: [3.5]),
            TensorRecord(name: "empty", shape: [0], values: []),
            TensorRecord(name: "empty3d", shape: [2, 0, 3], values: []),
            TensorRecord(
                name: "decoder.bias", shape: [5],
                values: [.infinity, -.infinity, -0.0, .leastNonzeroMagnitude, .greatestFiniteMagnitude]),
            TensorRecord(name: "nan", shape: [1], values: [Float(bitPattern: 0x7FC0_1234)]),
            TensorRecord(name: "ünïcode \"quoted\" \\ \n name", shape: [1, 1], values: [7]),
        ]
        let metadata = ["format": "pt", "quote\"key": "line\nbreak\ttab \u{01} ∑ 🙂", "": "empty key"]
        let bytes = try SafeTensors.encode(tensors, metadata: metadata)
        XCTAssertEqual(bytes.count % 8, 0, "8-byte header prefix + padded header + float32 data")
        let decoded = try SafeTensors.decode(bytes)
        XCTAssertEqual(decoded.metadata, metadata)

        let expectedOrder = tensors.map(\.name).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        XCTAssertEqual(decoded.tensors.map(\.name), expectedOrder, "tensors come back in file order, sorted by name")
        for original in tensors {
            let back = try XCTUnwrap(decoded.tensors.first { $0.name == original.name })
            XCTAssertEqual(back.shape, original.shape, original.name)
            assertBitwiseEqual(back.values, original.values)
        }
    }

    func testEmptyFileRoundTrips() throws {
        let bytes = try SafeTensors.encode([])
        XCTAssertEqual(bytes, makeFile(header: "{}"))
        let decoded = try SafeTensors.decode(bytes)
        XCTAssertEqual(decoded.tensors, [])
        XCTAssertEqual(decoded.metadata, [:])
    }

    func testEncodingIsIndependentOfInputOrder() throws {
        let a = TensorRecord(name: "a", shape: [2], values: [1, 2])
        let b = TensorRecord(name: "b", shape: [1], values: [3])
        let c = TensorRecord(name: "B", shape: [], values: [4])
        let meta = ["z": "1", "a": "2", "m": "3"]
        let first = try SafeTensors.encode([a, b, c], metadata: meta)
        let second = try SafeTensors.encode([c, b, a], metadata: meta)
        XCTAssertEqual(first, second)
    }

    /// The bytes of a one-tensor file, computed by hand.
    func testGoldenBytes() throws {
        let bytes = try SafeTensors.encode(
            [TensorRecord(name: "a", shape: [2], values: [1, -2])], metadata: ["k": "v"])
        // Header, 79 bytes of JSON:
        //   {"__metadata__":{"k":"v"},   26   ({ + 14-byte quoted key + : + 9-byte {"k":"v"} + ,)
        //   "a":                           4
        //   {"dtype":"F32",               15
        //   "shape":[2],                  12
        //   "data_offsets":[0,8]}         21
        //   }                              1
        // plus 1 space of padding = 80 = 0x50. Data: 1.0 = 0x3F800000, -2.0 = 0xC0000000, little-endian.
        let json = #"{"__metadata__":{"k":"v"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}} "#
        XCTAssertEqual(json.utf8.count, 80)
        let expected: [UInt8] =
            [0x50, 0, 0, 0, 0, 0, 0, 0] + Array(json.utf8) + [0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0xC0]
        XCTAssertEqual(bytes, expected)
        XCTAssertEqual(bytes.count, 96)
    }

    /// A file written by Python `safetensors.torch.save` (0.8.0), with F64, F32 (empty and scalar),
    /// BF16 and F16 tensors; its writer orders tensors by dtype size, not by name.
    func testDecodesFileWrittenByPythonWithConvertedDTypes() throws {
        let header =
            #"{"__metadata__":{"format":"pt","note":"ü \"q\""},"double":{"dtype":"F64","shape":[2],"data_offsets":[0,16]},"empty":{"dtype":"F32","shape":[0,3],"data_offsets":[16,16]},"single":{"dtype":"F32","shape":[],"data_offsets":[16,20]},"brain":{"dtype":"BF16","shape":[2,2],"data_offsets":[20,28]},"half":{"dtype":"F16","shape":[4],"data_offsets":[28,36]}}   "#
        let data: [UInt8] = [
            0x9A, 0x99, 0x99, 0x99, 0x99, 0x99, 0xB9, 0x3F, 0xA5, 0x5C, 0xC3, 0xF1, 0x29, 0x63, 0x3D, 0xC8,  // F64 0.1, -1e40
            0x00, 0x00, 0x20, 0x40,  // F32 2.5
            0x80, 0x3F, 0x40, 0xC0, 0x20, 0x3E, 0x4A, 0x71,  // BF16
            0x00, 0x3C, 0x00, 0xB8, 0xFF, 0x7B, 0x01, 0x00,  // F16
        ]
        let bytes = makeFile(header: header, data: data, pad: false)
        XCTAssertEqual(bytes.count, 396)
        let decoded = try SafeTensors.decode(bytes)
        XCTAssertEqual(decoded.metadata, ["format": "pt", "note": "ü \"q\""])
        XCTAssertEqual(decoded.tensors.map(\.name), ["double", "empty", "single", "brain", "half"])
        XCTAssertEqual(decoded.tensors.map(\.shape), [[2], [0, 3], [], [2, 2], [4]])
        assertBitwiseEqual(decoded.tensors[0].values, [Float(0.1), -.infinity])  // F64 rounds; -1e40 overflows Float
        assertBitwiseEqual(decoded.tensors[1].values, [])
        assertBitwiseEqual(decoded.tensors[2].values, [2.5])
        assertBitwiseEqual(decoded.tensors[3].values, [1, -3, 0.15625, Float(bitPattern: 0x714A_0000)])
        assertBitwiseEqual(decoded.tensors[4].values, [1, -0.5, 65504, 0x1p-24])
    }

    func testHalfPrecisionConversionIsExactForEveryBitPattern() {
        // Reference: decode binary16 fields in Double arithmetic.
        for bits in 0...UInt16.max {
            let sign: Double = bits & 0x8000 != 0 ? -1 : 1
            let exponent = Int(bits >> 10) & 0x1F
            let mantissa = Double(bits & 0x3FF)
            let got = floatFromHalf(bits)
            switch exponent {
            case 0x1F where mantissa == 0: XCTAssertEqual(got, Float(sign * .infinity))
            case 0x1F: XCTAssertTrue(got.isNaN)
            case 0: XCTAssertEqual(Double(got), sign * mantissa * 0x1p-24, "bits \(bits)")
            default:
                XCTAssertEqual(
                    Double(got), sign * (1 + mantissa / 1024) * pow(2, Double(exponent - 15)), "bits \(bits)")
            }
        }
    }

    func testEncodeRejectsBadRecords() {
        func assertEncodeError(_ tensors: [TensorRecord], _ expected: SafeTensorsError, line: UInt = #line) {
            XCTAssertThrowsError(try SafeTensors.encode(tensors), line: line) {
                XCTAssertEqual($0 as? SafeTensorsError, expected, line: line)
            }
        }
        assertEncodeError(
            [TensorRecord(name: "w", shape: [2, 3], values: [1, 2])],
            .valueCountMismatch(tensor: "w", shape: [2, 3], valueCount: 2))
        assertEncodeError(
            [TensorRecord(name: "w", shape: [], values: [])],
            .valueCountMismatch(tensor: "w", shape: [], valueCount: 0))
        assertEncodeError(
            [TensorRecord(name: "w", shape: [-1], values: [])], .negativeDimension(tensor: "w", shape: [-1]))
        assertEncodeError(
            [TensorRecord(name: "w", shape: [1 << 40, 1 << 40], values: [])], .shapeOverflow(tensor: "w"))
        assertEncodeError([TensorRecord(name: "w", shape: [1 << 62], values: [])], .shapeOverflow(tensor: "w"))
        assertEncodeError(
            [TensorRecord(name: "w", shape: [], values: [1]), TensorRecord(name: "w", shape: [], values: [2])],
            .duplicateTensorName("w"))
        assertEncodeError([TensorRecord(name: "__metadata__", shape: [], values: [1])], .reservedName)
        XCTAssertEqual(
            SafeTensorsError.valueCountMismatch(tensor: "w", shape: [2, 3], valueCount: 2).errorDescription,
            #"tensor "w": shape [2, 3] needs 6 values, got 2"#)
    }

    func testWriteThenReadFile() throws {
        let dir = try temporaryDirectory(self, "tensorio")
        let path = dir.appendingPathComponent("model.safetensors").path
        let tensors = [TensorRecord(name: "x", shape: [3], values: [1, 2, 3])]
        try SafeTensors.write(tensors, metadata: ["step": "10"], to: path)
        try SafeTensors.write(tensors, metadata: ["step": "11"], to: path, durable: true)  // replaces, with fsync
        let back = try SafeTensors.read(path: path)
        XCTAssertEqual(back.tensors, tensors)
        XCTAssertEqual(back.metadata, ["step": "11"])
        XCTAssertEqual(
            try Data(contentsOf: URL(fileURLWithPath: path)).count,
            try SafeTensors.encode(tensors, metadata: ["step": "11"]).count)
    }

    /// Checkpoints write tensors from their buffers: the file must be byte for byte what `encode`
    /// gives (order by name, empty and scalar tensors, metadata), durable or not, and bad views
    /// must be refused like bad records.
    func testWritingViewsGivesTheBytesOfEncode() throws {
        let dir = try temporaryDirectory(self, "tensorio")
        let records = [
            TensorRecord(name: "zeta", shape: [2, 3], values: [1, -2, 3.5, .infinity, -0.0, 6]),
            TensorRecord(name: "alpha", shape: [], values: [42]),
            TensorRecord(name: "empty", shape: [0, 4], values: []),
            TensorRecord(name: "mid", shape: [5], values: (0..<5).map { Float($0) / 3 }),
        ]
        let metadata = ["producer": "charnn", "format": "pt"]
        let expected = try SafeTensors.encode(records, metadata: metadata)
        let buffers = records.map { r in
            let p = UnsafeMutablePointer<Float>.allocate(capacity: max(r.values.count, 1))
            p.initialize(from: r.values, count: r.values.count)
            return UnsafeMutableBufferPointer(start: p, count: r.values.count)
        }
        defer { buffers.forEach { $0.baseAddress!.deallocate() } }
        let views = zip(records, buffers).map {
            TensorView(name: $0.name, shape: $0.shape, values: UnsafeBufferPointer($1))
        }
        for durable in [false, true] {
            let path = dir.appendingPathComponent("views-\(durable).safetensors").path
            try SafeTensors.write(views: views, metadata: metadata, to: path, durable: durable)
            XCTAssertEqual([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))), expected, "durable \(durable)")
        }
        let path = dir.appendingPathComponent("bad.safetensors").path
        XCTAssertThrowsError(try SafeTensors.write(views: [views[0], views[0]], to: path)) {
            XCTAssertEqual($0 as? SafeTensorsError, .duplicateTensorName("zeta"))
        }
        var short = views[0]
        short.shape = [7]
        XCTAssertThrowsError(try SafeTensors.write(views: [short], to: path)) {
            XCTAssertEqual($0 as? SafeTensorsError, .valueCountMismatch(tensor: "zeta", shape: [7], valueCount: 6))
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))
    }

    func testFileErrorsNameThePath() throws {
        let dir = try temporaryDirectory(self, "tensorio")

        let missing = dir.appendingPathComponent("missing.safetensors").path
        XCTAssertThrowsError(try SafeTensors.read(path: missing)) { error in
            guard case .cannotRead(let path, _)? = error as? SafeTensorsError else { return XCTFail("\(error)") }
            XCTAssertEqual(path, missing)
            XCTAssertTrue(
                error.localizedDescription.hasPrefix("'\(missing)': cannot read: "), error.localizedDescription)
        }
        XCTAssertThrowsError(try SafeTensors.read(path: dir.path)) { error in
            XCTAssertEqual(error as? SafeTensorsError, .cannotRead(path: dir.path, reason: "is a directory"))
        }
        // A link to an endless device is refused at once, not read until memory runs out.
        let link = dir.appendingPathComponent("zero.safetensors").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "/dev/zero")
        XCTAssertThrowsError(try SafeTensors.read(path: link)) { error in
            XCTAssertEqual(
                error as? SafeTensorsError,
                .cannotRead(path: link, reason: "not a regular file (a device, a pipe or a socket)"))
        }

        let corrupt = dir.appendingPathComponent("corrupt.safetensors").path
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: corrupt))
        XCTAssertThrowsError(try SafeTensors.read(path: corrupt)) { error in
            XCTAssertEqual(error as? SafeTensorsError, .inFile(path: corrupt, .fileTooShort(byteCount: 3)))
            XCTAssertEqual(
                error.localizedDescription,
                "'\(corrupt)': safetensors data is 3 bytes long, shorter than the 8-byte header length")
        }

        let unwritable = dir.appendingPathComponent("no/such/dir/x.safetensors").path
        XCTAssertThrowsError(try SafeTensors.write([], to: unwritable)) { error in
            guard case .cannotWrite(let path, let reason)? = error as? SafeTensorsError else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual(path, unwritable)
            XCTAssertFalse(reason.isEmpty)
        }
    }

    /// Writes a sample file for a by-hand interoperability check when
    /// `CHARNN_SAFETENSORS_EXPORT` names a path (see the TensorIO report):
    /// `python -c 'from safetensors.torch import load_file; print(load_file(PATH))'`.
    func testExportSampleForExternalCheck() throws {
        guard let path = ProcessInfo.processInfo.environment["CHARNN_SAFETENSORS_EXPORT"] else {
            throw XCTSkip("set CHARNN_SAFETENSORS_EXPORT=/path/file.safetensors to write a sample file")
        }
        try SafeTensors.write(
            [
                TensorRecord(name: "encoder.weight", shape: [3, 2], values: [0.5, -1.25, 3, 4e-3, -0.0, 1e30]),
                TensorRecord(name: "decoder.bias", shape: [3], values: [1, 2, 3]),
                TensorRecord(name: "step", shape: [], values: [42]),
                TensorRecord(name: "empty", shape: [0, 4], values: []),
                TensorRecord(name: "ünï \"name\"", shape: [1], values: [.infinity]),
            ], metadata: ["format": "pt", "charnn": "1", "note": "tab\t\"quote\" ü"], to: path)
    }
}
