import NeuralCore
import XCTest

/// OPENBLAS_CORETYPE forced to kernels the CPU cannot run is refused before the first product
/// (OpenBLAS would die with SIGILL). Pure logic over flag sets: no dependence on this CPU.
final class BLASCoreCheckTests: XCTestCase {
    let zen3: Set<Substring> = ["sse2", "avx", "avx2", "fma", "f16c"]
    let skylakeX: Set<Substring> = ["avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd"]

    func testAVX512CoresNeedAVX512() throws {
        for core in ["SkylakeX", "COOPERLAKE", "sapphirerapids"] {
            let why = try XCTUnwrap(BLASCore.unsupportedCoreReason(core: core, cpuFlags: zen3), core)
            XCTAssertTrue(why.contains("OPENBLAS_CORETYPE=\(core)") && why.contains("avx512f"), why)
            XCTAssertTrue(why.contains("Haswell"), "suggests what the CPU can run: \(why)")
        }
        XCTAssertNil(BLASCore.unsupportedCoreReason(core: "SkylakeX", cpuFlags: skylakeX))
        let cooper = try XCTUnwrap(BLASCore.unsupportedCoreReason(core: "Cooperlake", cpuFlags: skylakeX))
        XCTAssertTrue(cooper.contains("avx512_bf16"), cooper)
    }

    func testRunnableOrUnknownCoresPass() {
        XCTAssertNil(BLASCore.unsupportedCoreReason(core: "Haswell", cpuFlags: zen3))
        XCTAssertNil(BLASCore.unsupportedCoreReason(core: "Prescott", cpuFlags: zen3), "generic kernels run anywhere")
        XCTAssertNil(BLASCore.unsupportedCoreReason(core: "SkylakeX", cpuFlags: []), "flags unknown: no refusal")
        XCTAssertNotNil(BLASCore.unsupportedCoreReason(core: "Haswell", cpuFlags: ["sse2", "avx"]))
    }
}
