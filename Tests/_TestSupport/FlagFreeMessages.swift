import Foundation
import XCTest

/// The text a library error shows: `errorDescription` for a `LocalizedError`, else its description.
public func messageText(_ error: any Error) -> String {
    (error as? LocalizedError)?.errorDescription ?? String(describing: error)
}

/// Fails for every error whose message names a command-line flag ("--batch"), or is empty.
/// Libraries speak in facts and settings; only the executable knows its flags and adds them
/// (`describe()` in Sources/charnn).
public func assertSpeaksInFacts(_ errors: [any Error], file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertFalse(errors.isEmpty, "no errors to check", file: file, line: line)
    for error in errors {
        let text = messageText(error)
        XCTAssertFalse(text.isEmpty, "\(error) has an empty message", file: file, line: line)
        XCTAssertNil(text.range(of: "--"), "a library error names a flag: \(text)", file: file, line: line)
        // The description too, where it differs (string interpolation uses it).
        let described = String(describing: error)
        XCTAssertNil(described.range(of: "--"), "a library error names a flag: \(described)", file: file, line: line)
    }
}
