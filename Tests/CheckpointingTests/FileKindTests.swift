import Checkpointing
import Foundation
import XCTest
import _TestSupport

/// Files of a checkpoint that are not regular files (a link to /dev/zero, a directory) are
/// refused by their kind before any read: reading one would never end or fail obscurely.
final class FileKindTests: XCTestCase {
    /// A copy of checkpoints/shakespeare-lstm in a temporary directory.
    func copyOfShipped() throws -> String {
        let shipped = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("checkpoints/shakespeare-lstm")
        let root = try temporaryDirectory(self, "kind")
        let dir = root.appendingPathComponent("c")
        try FileManager.default.copyItem(at: shipped, to: dir)
        return dir.path
    }

    func testNonRegularFilesAreRefusedBeforeReading() throws {
        let dir = try copyOfShipped()
        func path(_ name: String) -> String { dir + "/" + name }
        for name in ["model.safetensors", "trainer_state.json", "config.json"] {
            let saved = try Data(contentsOf: URL(fileURLWithPath: path(name)))
            try FileManager.default.removeItem(atPath: path(name))
            try FileManager.default.createSymbolicLink(atPath: path(name), withDestinationPath: "/dev/zero")
            XCTAssertThrowsError(try Checkpoint.load(dir)) { error in
                for f in [path(name), "not a regular file"] { XCTAssertTrue("\(error)".contains(f), "\(error)") }
            }
            try FileManager.default.removeItem(atPath: path(name))
            try saved.write(to: URL(fileURLWithPath: path(name)))
        }
        XCTAssertNoThrow(try Checkpoint.load(dir))
    }
}
