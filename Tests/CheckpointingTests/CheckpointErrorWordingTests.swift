import Checkpointing
import Foundation
import XCTest
import _TestSupport

/// Checkpointing's errors speak in facts: no `--flag` (the executable adds those), and a remedy
/// that is a setting travels as a value, not as words.
final class CheckpointErrorWordingTests: XCTestCase {
    func testNoErrorNamesAFlag() throws {
        let dir = try temporaryDirectory(self, "wording")
        let file = dir.appendingPathComponent("latest").path
        try Data("not a checkpoint".utf8).write(to: URL(fileURLWithPath: file))
        var thrown: [any Error] = []
        XCTAssertThrowsError(try Checkpoint.checkReplaceable(file)) { thrown.append($0) }
        XCTAssertThrowsError(try Checkpoint.load(dir.appendingPathComponent("missing").path)) { thrown.append($0) }
        XCTAssertThrowsError(
            try MemoryEstimate.require(
                3 << 30, for: "training a 2×512 lstm (vocabulary 65)",
                windows: .init(batch: 50, steps: 50), available: 1 << 30)
        ) {
            thrown.append($0)
        }
        XCTAssertThrowsError(try MemoryEstimate.require(nil, for: "loading the checkpoint c", available: 1 << 30)) {
            thrown.append($0)
        }
        XCTAssertEqual(thrown.count, 4)
        assertSpeaksInFacts(thrown)
    }

    func testARunDirectoryInTheWayCarriesItsRemedy() throws {
        let dir = try temporaryDirectory(self, "remedy")
        let file = dir.appendingPathComponent("best").path
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        XCTAssertThrowsError(try Checkpoint.checkReplaceable(file)) { error in
            guard let e = error as? CheckpointError else { return XCTFail("\(error)") }
            XCTAssertEqual(e.remedy, .anotherRunDirectory)
            XCTAssertEqual(
                e.facts,
                "checkpoint '\(file)': is a file, not a checkpoint directory; charnn will not replace it")
            XCTAssertEqual("\(e)", e.facts + ": move it away or write the run to another directory")
        }
    }

    func testMemoryRefusalNamesTheBatch() {
        let e = InsufficientMemory(
            what: "training a 2×512 lstm (vocabulary 65)", needed: 3 << 30, available: 1 << 30,
            windows: .init(batch: 50, steps: 100))
        XCTAssertEqual(
            "\(e)",
            "training a 2×512 lstm (vocabulary 65) with a batch of 50 streams × 100 steps needs "
                + "about 3.0 GiB of memory, but only 1.0 GiB is available; a smaller batch, window or model "
                + "needs less")
    }
}
