import XCTest
import _TestSupport

@testable import TensorIO

/// Seeded mutations of valid files: every outcome is a typed error or a
/// consistent decode, never a trap or an out-of-bounds read.
final class SafeTensorsFuzzTests: XCTestCase {
    private func sampleFile() throws -> [UInt8] {
        try SafeTensors.encode(
            [
                TensorRecord(name: "encoder.weight", shape: [3, 2], values: [1, 2, 3, 4, 5, 6]),
                TensorRecord(name: "decoder.bias", shape: [3], values: [-1, 0, 1]),
                TensorRecord(name: "empty", shape: [0, 5], values: []),
                TensorRecord(name: "scalar", shape: [], values: [9]),
            ], metadata: ["format": "pt", "step": "12"])
    }

    /// Checks the invariants a successful decode promises.
    private func checkConsistent(
        _ decoded: (tensors: [TensorRecord], metadata: [String: String]), file: StaticString = #filePath,
        line: UInt = #line
    ) {
        for t in decoded.tensors {
            XCTAssertEqual(t.elementCount, t.values.count, t.name, file: file, line: line)
        }
        XCTAssertEqual(Set(decoded.tensors.map(\.name)).count, decoded.tensors.count, file: file, line: line)
    }

    func testEveryTruncationIsAnError() throws {
        let bytes = try sampleFile()
        let headerEnd = 8 + Int(bytes[0]) + Int(bytes[1]) << 8
        for length in 0..<bytes.count {
            let prefix = Array(bytes[0..<length])
            do {
                _ = try SafeTensors.decode(prefix)
                XCTFail("a \(length)-byte prefix of a \(bytes.count)-byte file decoded")
            } catch {
                switch length {
                case 0..<8: XCTAssertEqual(error, .fileTooShort(byteCount: length))
                case 8..<headerEnd:
                    XCTAssertEqual(error, .headerExceedsFile(headerLength: UInt64(headerEnd - 8), fileSize: length))
                default:
                    guard case .dataOffsetsOutOfRange = error else { return XCTFail("length \(length): \(error)") }
                }
            }
        }
        checkConsistent(try SafeTensors.decode(bytes))
    }

    func testRandomHeaderByteMutationsNeverTrap() throws {
        let bytes = try sampleFile()
        let headerEnd = 8 + Int(bytes[0]) + Int(bytes[1]) << 8
        var rng = SeededRandom(seed: 0x5AFE)
        var errors = 0, decodes = 0
        let interesting: [UInt8] = Array("{}[]\":,-0123456789e. \\u".utf8) + [0x00, 0x80, 0xC3, 0xFF]
        for _ in 0..<4000 {
            var mutated = bytes
            for _ in 0...rng.below(3) {
                let position = rng.below(headerEnd)  // the length prefix and the header JSON
                switch rng.below(3) {
                case 0: mutated[position] ^= UInt8(1 << rng.below(8))
                case 1: mutated[position] = UInt8(truncatingIfNeeded: rng.next())
                default: mutated[position] = interesting[rng.below(interesting.count)]
                }
            }
            do {
                checkConsistent(try SafeTensors.decode(mutated))
                decodes += 1
            } catch {
                XCTAssertNotNil(error.errorDescription)
                errors += 1
            }
        }
        XCTAssertGreaterThan(errors, 3000, "most mutations break the header")
        XCTAssertGreaterThan(decodes, 0, "some mutations (inside names, metadata values) leave it valid")
    }

    func testRandomSplicesAndInsertionsNeverTrap() throws {
        let bytes = try sampleFile()
        var rng = SeededRandom(seed: 42)
        for _ in 0..<2000 {
            var mutated = bytes
            switch rng.below(3) {
            case 0:  // delete a range
                let start = rng.below(mutated.count)
                mutated.removeSubrange(start..<min(mutated.count, start + 1 + rng.below(16)))
            case 1:  // insert random bytes
                mutated.insert(
                    contentsOf: (0..<(1 + rng.below(16))).map { _ in UInt8(truncatingIfNeeded: rng.next()) },
                    at: rng.below(mutated.count))
            default:  // duplicate a range of the header elsewhere in it
                let start = 8 + rng.below(mutated.count - 8)
                let piece = mutated[start..<min(mutated.count, start + 1 + rng.below(24))]
                mutated.insert(contentsOf: piece, at: 8 + rng.below(mutated.count - 8))
            }
            if let decoded = try? SafeTensors.decode(mutated) { checkConsistent(decoded) }
        }
    }
}
