import Foundation
import TensorIO
import XCTest

/// A safetensors write that fails says which file and the system's reason.
final class SafeTensorsWriteErrorTests: XCTestCase {
    func testAFullDiskNamesTheFileAndTheReason() throws {
        let full = "/dev/full"
        try XCTSkipUnless(FileManager.default.fileExists(atPath: full), "no /dev/full here")
        XCTAssertThrowsError(
            try SafeTensors.write([TensorRecord(name: "w", shape: [2], values: [1, 2])], to: full, durable: true)
        ) {
            XCTAssertTrue("\($0)".contains(full) && "\($0)".contains("No space left on device"), "\($0)")
        }
    }
}
