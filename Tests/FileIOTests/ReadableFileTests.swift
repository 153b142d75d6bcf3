import FileIO
import Foundation
import XCTest
import _TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// The one whole-file read: its limit, its errors, and a FIFO that waits for a writer.
final class ReadableFileTests: XCTestCase {
    func testReadsAWholeFile() throws {
        let dir = try temporaryDirectory(self, "read")
        let path = dir.appendingPathComponent("a.txt").path
        try DurableFile.write(Array("hello\n".utf8), to: path)
        XCTAssertEqual(try ReadableFile.bytes(at: path, limit: 6), Array("hello\n".utf8))
        XCTAssertThrowsError(try ReadableFile.bytes(at: path, limit: 5)) {
            XCTAssertEqual($0 as? FileReadError, .tooLarge(path: path, limit: 5))
        }
    }

    func testAnEndlessDeviceIsRefusedAtTheLimit() throws {
        try XCTSkipUnless(FileManager.default.fileExists(atPath: "/dev/zero"), "no /dev/zero here")
        XCTAssertThrowsError(try ReadableFile.bytes(at: "/dev/zero", limit: 1 << 20)) {
            XCTAssertEqual($0 as? FileReadError, .tooLarge(path: "/dev/zero", limit: 1 << 20))
        }
    }

    func testErrorsNameTheQuotedPath() throws {
        let dir = try temporaryDirectory(self, "read")
        XCTAssertThrowsError(try ReadableFile(path: "")) { XCTAssertEqual($0 as? FileReadError, .emptyPath) }
        let missing = dir.appendingPathComponent("no\nsuch").path
        XCTAssertThrowsError(try ReadableFile(path: missing)) {
            XCTAssertEqual($0 as? FileReadError, .notFound(path: missing))
            XCTAssertFalse("\($0)".contains("\n"), "\($0)")
            XCTAssertTrue("\($0)".hasSuffix("no\\nsuch': No such file or directory"), "\($0)")
        }
        XCTAssertThrowsError(try ReadableFile(path: dir.path)) {
            XCTAssertEqual($0 as? FileReadError, .isDirectory(path: dir.path))
            XCTAssertEqual(fileErrorReason($0), "Is a directory")
        }
    }

    /// A FIFO without a writer: the notice comes after the delay, and the read goes on once a
    /// writer opens it.
    func testAFIFOWithoutAWriterIsAnnouncedAndWaitedFor() throws {
        let dir = try temporaryDirectory(self, "fifo")
        let fifo = dir.appendingPathComponent("pipe").path
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        let heard = expectation(description: "the notice")
        let saidPath = Locked<String?>(nil)
        FIFOWaiting.delay = 0.2
        FIFOWaiting.notice = { path in
            saidPath.set(path)
            heard.fulfill()
        }
        defer { FIFOWaiting.notice = nil; FIFOWaiting.delay = 2 }
        let writer = Thread {
            // The writer comes well after the notice.
            usleep(1_000_000)
            let fd = open(fifo, O_WRONLY)
            _ = "late\n".withCString { write(fd, $0, 5) }
            close(fd)
        }
        writer.start()
        let bytes = try ReadableFile.bytes(at: fifo, limit: 100)
        wait(for: [heard], timeout: 5)
        XCTAssertEqual(bytes, Array("late\n".utf8))
        XCTAssertEqual(saidPath.get(), fifo)
    }

    func testARegularFileIsNeverAnnounced() throws {
        let dir = try temporaryDirectory(self, "read")
        let path = dir.appendingPathComponent("a.txt").path
        try DurableFile.write(Array("x".utf8), to: path)
        let calls = Locked(0)
        FIFOWaiting.delay = 0
        FIFOWaiting.notice = { _ in calls.set(calls.get() + 1) }
        defer { FIFOWaiting.notice = nil; FIFOWaiting.delay = 2 }
        _ = try ReadableFile.bytes(at: path, limit: 10)
        usleep(200_000)
        XCTAssertEqual(calls.get(), 0)
    }
}

/// A value shared with another thread.
final class Locked<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: T
    init(_ value: T) { self.value = value }
    func get() -> T { lock.lock(); defer { lock.unlock() }; return value }
    func set(_ v: T) { lock.lock(); value = v; lock.unlock() }
}
