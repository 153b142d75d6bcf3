import Communication
import MPICommunication
import XCTest

/// Recognizing an MPI launcher, and what `Communicators.world()` does with or without one.
final class LaunchTests: XCTestCase {
    func testLaunchersAreRecognizedByTheirVariables() {
        XCTAssertNil(MPILaunch.detect(in: [:]))
        XCTAssertNil(MPILaunch.detect(in: ["PATH": "/usr/bin", "OMPI_MCA_foo": "1"]))
        XCTAssertEqual(
            MPILaunch.detect(in: ["OMPI_COMM_WORLD_SIZE": "4", "OMPI_COMM_WORLD_RANK": "2"]),
            MPILaunch(variable: "OMPI_COMM_WORLD_SIZE", size: 4, rank: 2))
        XCTAssertEqual(
            MPILaunch.detect(in: ["PMI_SIZE": "3", "PMI_RANK": "0"]),
            MPILaunch(variable: "PMI_SIZE", size: 3, rank: 0))
        XCTAssertEqual(
            MPILaunch.detect(in: ["PMIX_RANK": "1"]),
            MPILaunch(variable: "PMIX_RANK", size: nil, rank: 1))
        XCTAssertEqual(
            MPILaunch.detect(in: ["PMI_SIZE": "many"]), MPILaunch(variable: "PMI_SIZE", size: nil, rank: nil))
    }

    func testWithoutALauncherTheWorldIsOneProcess() throws {
        let world = try Communicators.world(environment: ["HOME": "/root"])
        XCTAssertTrue(world is SingleProcess)
        XCTAssertEqual(world.size, 1)
    }

    #if !MPI
    // With the MPI trait these would initialize MPI inside the test process; `make mpi-test` covers that build.
    func testABuildWithoutMPIRefusesSeveralRanks() {
        XCTAssertFalse(Communicators.mpiBuilt)
        XCTAssertThrowsError(try Communicators.world(environment: ["OMPI_COMM_WORLD_SIZE": "2"])) {
            XCTAssertEqual($0 as? CommunicationError, .mpiNotBuilt(variable: "OMPI_COMM_WORLD_SIZE", size: 2))
        }
        XCTAssertThrowsError(try Communicators.world(environment: ["PMIX_RANK": "0"])) {
            XCTAssertEqual($0 as? CommunicationError, .mpiNotBuilt(variable: "PMIX_RANK", size: nil))
        }
    }

    func testABuildWithoutMPIRunsAsTheOnlyRankOfALauncher() throws {
        XCTAssertTrue(try Communicators.world(environment: ["PMI_SIZE": "1", "PMI_RANK": "0"]) is SingleProcess)
    }
    #else
    func testTheMPIBuildSaysSo() {
        XCTAssertTrue(Communicators.mpiBuilt)
    }
    #endif
}
