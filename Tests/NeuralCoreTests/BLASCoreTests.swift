import Foundation
import XCTest

@testable import NeuralCore

final class BLASCoreTests: XCTestCase {
    func testPreferredCoreFollowsTheCPUFlags() {
        let avx512: Set<Substring> = [
            "sse2", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd",
        ]
        XCTAssertEqual(BLASCore.preferredCore(cpuFlags: avx512), "SkylakeX")
        XCTAssertEqual(BLASCore.preferredCore(cpuFlags: ["avx", "avx2", "fma", "avx512f"]), "Haswell")
        XCTAssertEqual(BLASCore.preferredCore(cpuFlags: ["avx", "avx2"]), nil)  // no FMA
        XCTAssertEqual(BLASCore.preferredCore(cpuFlags: []), nil)
    }

    func testSwitchesOnlyFromAFallbackAndNeverOverTheUser() {
        XCTAssertTrue(BLASCore.shouldSwitch(current: "Prescott", preferred: "SkylakeX", userChoice: nil))
        XCTAssertTrue(BLASCore.shouldSwitch(current: "Nehalem", preferred: "Haswell", userChoice: ""))
        XCTAssertFalse(BLASCore.shouldSwitch(current: "Prescott", preferred: "SkylakeX", userChoice: "Prescott"))
        XCTAssertFalse(BLASCore.shouldSwitch(current: "Haswell", preferred: "SkylakeX", userChoice: nil))
        XCTAssertFalse(BLASCore.shouldSwitch(current: "SkylakeX", preferred: "SkylakeX", userChoice: nil))
        XCTAssertFalse(BLASCore.shouldSwitch(current: "Prescott", preferred: nil, userChoice: nil))
    }

    /// This process (the test runner) does not restart itself, so its kernels are whatever
    /// OpenBLAS chose; the name must at least be readable.
    func testCoreNameIsReported() {
        XCTAssertFalse(BLASCore.name.isEmpty)
    }
}
