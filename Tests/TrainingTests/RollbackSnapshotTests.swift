import Foundation
import NeuralCore
import XCTest
import _TestSupport

@testable import Training

/// The roll-back snapshot keeps the exact bits, in a temporary file where one can be made and in
/// memory otherwise.
final class RollbackSnapshotTests: XCTestCase {
    func buffers(_ counts: [Int], seed: Float) -> [FloatBuffer] {
        counts.enumerated().map { k, n in
            let b = FloatBuffer(count: n)
            for i in 0..<n { b.pointer[i] = seed * Float(i + 1) + Float(k) - 0.1 * Float(i % 7) }
            return b
        }
    }

    func assertRoundTrip(_ snapshot: RollbackSnapshot, file: StaticString = #filePath, line: UInt = #line) throws {
        let counts = [5, 1, 300_000, 17]
        let good = buffers(counts, seed: 0.37)
        XCTAssertTrue(snapshot.isEmpty)
        snapshot.take(good)
        XCTAssertFalse(snapshot.isEmpty)
        let expected = good.map(\.array)
        for b in good { b.pointer.update(repeating: .nan, count: b.count) }
        try snapshot.restore(into: good)
        for (b, e) in zip(good, expected) { assertIdentical(b.array, e, "restored", file: file, line: line) }
        // A second snapshot replaces the first.
        let later = buffers(counts, seed: -2.5)
        snapshot.take(later)
        let laterValues = later.map(\.array)
        try snapshot.restore(into: good)
        for (b, e) in zip(good, laterValues) { assertIdentical(b.array, e, "second snapshot", file: file, line: line) }
    }

    func testAFileOnDiskHoldsTheExactBits() throws {
        let dir = try temporaryDirectory(self, "rollback")
        let snapshot = RollbackSnapshot(folder: dir.path)
        try assertRoundTrip(snapshot)
        XCTAssertEqual(snapshot.isInFile, !RollbackSnapshot.isInMemory(dir.path))
        // The file is unlinked: nothing is left in the folder.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), [])
    }

    /// A file that cannot be read back (here: cut short behind the snapshot's back) is an error
    /// that names the folder and the reason, not a trap or a half-restored model taken as good.
    func testAFileThatCannotBeReadBackIsAnError() throws {
        let dir = try temporaryDirectory(self, "rollback-short")
        try XCTSkipIf(RollbackSnapshot.isInMemory(dir.path), "the temporary folder is in memory")
        let snapshot = RollbackSnapshot(folder: dir.path)
        let good = buffers([10, 20], seed: 1)
        snapshot.take(good)
        XCTAssertTrue(snapshot.isInFile)
        XCTAssertEqual(ftruncate(snapshot.fd, 40), 0)
        XCTAssertThrowsError(try snapshot.restore(into: good)) { error in
            XCTAssertEqual(
                error as? RollbackSnapshot.ReadError,
                RollbackSnapshot.ReadError(folder: dir.path, reason: "the file ended early"))
        }
    }

    func testAFolderThatCannotHoldTheFileKeepsTheCopyInMemory() throws {
        let snapshot = RollbackSnapshot(folder: "/nonexistent-charnn-folder")
        try assertRoundTrip(snapshot)
        XCTAssertFalse(snapshot.isInFile)
    }
}
