import Foundation
import XCTest

/// A new directory under the system's temporary directory, removed when `test` ends.
public func temporaryDirectory(_ test: XCTestCase, _ label: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("charnn-\(label)-\(UUID().uuidString.prefix(8))")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    return url
}
