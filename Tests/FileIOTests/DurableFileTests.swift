import FileIO
import Foundation
import XCTest
import _TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// Durable writes: whole-file replacement, and every write error thrown with its errno text.
final class DurableFileTests: XCTestCase {
    let full = "/dev/full"

    func testReplacesAFileAndLeavesNoTemporary() throws {
        let dir = try temporaryDirectory(self, "durable")
        let path = dir.appendingPathComponent("a.txt").path
        try DurableFile.write(Array("one".utf8), to: path)
        try DurableFile.write(Array("two".utf8), to: path)
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "two")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["a.txt"])
    }

    func testErrorsCarryThePathAndErrnoText() throws {
        try XCTSkipUnless(FileManager.default.fileExists(atPath: full), "no /dev/full here")
        XCTAssertThrowsError(try DurableFile.write(Array(repeating: 1, count: 100_000), to: full)) { error in
            XCTAssertEqual(error as? FileWriteError, FileWriteError(path: full, reason: "No space left on device"))
        }
        var info = stat()
        XCTAssertEqual(stat(full, &info), 0)
        XCTAssertEqual(info.st_mode & S_IFMT, S_IFCHR, "the device is written into, never replaced")
        let appending = try AppendingFile(path: full)
        XCTAssertThrowsError(try appending.append(Array("{}\n".utf8))) {
            XCTAssertTrue("\($0)".contains("No space left"), "\($0)")
        }
        let missing = "/nonexistent-charnn-dir/x.json"
        XCTAssertThrowsError(try DurableFile.write([1], to: missing)) {
            XCTAssertEqual($0 as? FileWriteError, FileWriteError(path: missing, reason: "No such file or directory"))
        }
    }

    func testAWriteErrorQuotesItsPath() {
        let error = FileWriteError(path: "a\nb", reason: "No space left on device")
        XCTAssertEqual("\(error)", "cannot write 'a\\nb': No space left on device")
    }
}
