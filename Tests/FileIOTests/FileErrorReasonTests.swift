import FileIO
import Foundation
import XCTest

/// `fileErrorReason` is the one turn of any error into the words after a path: Foundation's file
/// errors by their POSIX reason, FileIO's by their reason, every other error by its own words.
final class FileErrorReasonTests: XCTestCase {
    struct Described: Error, CustomStringConvertible {
        var description: String { "described in its own words" }
    }

    enum Localized: Error, LocalizedError {
        case damaged
        var errorDescription: String? { "localized description" }
    }

    func testFoundationErrorsGiveThePOSIXReason() {
        XCTAssertEqual(fileErrorReason(POSIXError(.EEXIST)), "File exists")
        let wrapped = NSError(
            domain: NSCocoaErrorDomain, code: CocoaError.fileWriteUnknown.rawValue,
            userInfo: [NSUnderlyingErrorKey: NSError(domain: NSPOSIXErrorDomain, code: Int(ENOTDIR))])
        XCTAssertEqual(fileErrorReason(wrapped), "Not a directory")
    }

    func testFileIOErrorsGiveTheirReason() {
        XCTAssertEqual(
            fileErrorReason(FileReadError.unreadable(path: "p", reason: "Permission denied")), "Permission denied")
        XCTAssertEqual(fileErrorReason(FileReadError.notFound(path: "p")), "No such file or directory")
    }

    /// A library's own error reads as it describes itself, not "The operation could not be completed".
    func testOtherErrorsSayThemselves() {
        XCTAssertEqual(fileErrorReason(Described()), "described in its own words")
        XCTAssertEqual(fileErrorReason(Localized.damaged), "localized description")
    }
}
