import Communication
import XCTest

/// The single-process world: rank 0 of 1, where every collective is the identity.
final class SingleProcessTests: XCTestCase {
    let world = SingleProcess()

    func testIdentity() {
        XCTAssertEqual(world.rank, 0)
        XCTAssertEqual(world.size, 1)
        XCTAssertTrue(world.isRoot)
        XCTAssertEqual(world.share(of: 7), 0..<7)
    }

    func testAllReduceLeavesValuesAsTheyAre() throws {
        for reduction in Reduction.allCases {
            var floats: [Float] = [1.5, -2, .greatestFiniteMagnitude, 0]
            try world.allReduce(&floats, reduction)
            XCTAssertEqual(floats, [1.5, -2, .greatestFiniteMagnitude, 0])
            var doubles: [Double] = [0.1, -3]
            try world.allReduce(&doubles, reduction)
            XCTAssertEqual(doubles, [0.1, -3])
            XCTAssertEqual(try world.allReduce(42.25, reduction), 42.25)
        }
        var empty: [Float] = []
        try world.allReduce(&empty, .sum)
        XCTAssertEqual(empty, [])
    }

    func testAnyRankIsTheLocalFlag() throws {
        XCTAssertTrue(try world.anyRank(true))
        XCTAssertFalse(try world.anyRank(false))
    }

    func testBroadcastFromRankZeroKeepsTheData() throws {
        var floats: [Float] = [3, 1, 4]
        try world.broadcast(&floats, from: 0)
        XCTAssertEqual(floats, [3, 1, 4])
        XCTAssertEqual(try world.broadcast(bytes: [9, 8, 7], from: 0), [9, 8, 7])
        XCTAssertEqual(try world.broadcast(bytes: [], from: 0), [])
    }

    func testRootsOutsideTheJobAreRefused() {
        var floats: [Float] = [1]
        XCTAssertThrowsError(try world.broadcast(&floats, from: 1)) {
            XCTAssertEqual($0 as? CommunicationError, .invalidRoot(1, size: 1))
        }
        XCTAssertThrowsError(try world.gather([UInt8](), to: -1)) {
            XCTAssertEqual($0 as? CommunicationError, .invalidRoot(-1, size: 1))
        }
    }

    func testGatherReturnsThisRanksDataOnly() throws {
        XCTAssertEqual(try world.gather([UInt8]([5, 6]), to: 0), [[5, 6]])
        XCTAssertEqual(try world.gather([UInt8](), to: 0), [[]])
        XCTAssertEqual(try world.gather([Float]([0.5, -1, .infinity]), to: 0), [[0.5, -1, .infinity]])
    }

    func testBarrierReturns() throws {
        try world.barrier()
    }

    func testErrorsNameTheirNumbers() {
        XCTAssertEqual(
            CommunicationError.invalidRoot(3, size: 2).description,
            "root rank 3 does not exist in a job of 2 processes")
        XCTAssertTrue(CommunicationError.messageTooLarge(bytes: 3_000_000_000).description.contains("3000000000"))
        XCTAssertEqual(
            CommunicationError.failed(call: "MPI_Bcast", code: 5, message: "invalid count").description,
            "MPI_Bcast failed (MPI error 5): invalid count")
        XCTAssertEqual(
            CommunicationError.mpiNotBuilt(variable: "PMI_SIZE", size: 4).description,
            "started by an MPI launcher (PMI_SIZE is set) as one of 4 processes, but this build has no MPI")
    }
}
