import Foundation
import XCTest

/// Runs the built `charnn-mpi-check` without a launcher: its whole suite of collective checks against the
/// single-process world, and its refusals, each one `error:` line and status 1. (`make mpi-test` runs the
/// same binary, built with MPI, under mpirun.)
final class CheckProgramTests: XCTestCase {
    struct Result {
        var status: Int32
        var stdout: String
        var stderrLines: [String]
    }

    /// `swift build --build-tests` builds every product, the check program included, so a missing
    /// binary is a broken build and fails the test (a skip would pass with nothing checked).
    struct MissingBinary: Error, CustomStringConvertible {
        var description: String
    }

    /// The binary next to the test bundle, as SwiftPM lays out its build products.
    func binary() throws -> URL {
        let exe = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        let candidates = [
            URL(fileURLWithPath: exe).deletingLastPathComponent(),
            Bundle(for: Self.self).bundleURL.deletingLastPathComponent(),
        ]
        .map { $0.appendingPathComponent("charnn-mpi-check") }
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw MissingBinary(
                description: "charnn-mpi-check is not built next to the tests; run `swift build --build-tests` first")
        }
        return found
    }

    func run(_ arguments: [String], launcher: [String: String] = [:]) throws -> Result {
        let process = Process()
        process.executableURL = try binary()
        process.arguments = arguments
        // This test may itself run under mpirun or Slurm: only the variables given here may say so.
        var environment = ProcessInfo.processInfo.environment.filter {
            !$0.key.hasPrefix("OMPI_") && !$0.key.hasPrefix("PMI")
        }
        environment.merge(launcher) { $1 }
        process.environment = environment
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Small outputs: read after exit without risk of a full pipe.
        process.waitUntilExit()
        let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return Result(
            status: process.terminationStatus, stdout: stdout,
            stderrLines: stderr.split(separator: "\n").map(String.init))
    }

    func testEveryCheckPassesOnASingleProcess() throws {
        let result = try run([])
        XCTAssertEqual(result.status, 0, result.stdout + result.stderrLines.joined(separator: "\n"))
        XCTAssertTrue(result.stdout.contains("1 rank (single process): every check passed"), result.stdout)
        XCTAssertEqual(result.stderrLines, [])
    }

    func testABadFlagIsOneErrorLine() throws {
        let result = try run(["--iterations", "0"])
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(
            result.stderrLines,
            ["error: charnn-mpi-check: --iterations: '0' is not a positive integer"])
    }

    func testSeveralRanksAnnouncedWithoutAnMPIJobAreRefused() throws {
        // Without MPI: "this build has no MPI"; with it, MPI's singleton sees 1 process, not 3.
        let result = try run([], launcher: ["OMPI_COMM_WORLD_SIZE": "3", "OMPI_COMM_WORLD_RANK": "0"])
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stderrLines.count, 1, result.stderrLines.joined(separator: "\n"))
        XCTAssertTrue(result.stderrLines.first?.hasPrefix("error: charnn-mpi-check: ") ?? false)
        XCTAssertTrue(result.stderrLines.first?.contains("3 processes") ?? false, result.stderrLines.first ?? "")
    }
}
