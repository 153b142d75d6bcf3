import Foundation
import XCTest

/// A new directory under the system's temporary directory, named `charnn-LABEL-XXXXXXXX`: the one
/// temporary-directory helper of every test bundle.
public struct TemporaryDirectory: Sendable {
    public let url: URL

    public init(_ label: String) throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("charnn-\(label)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// The path of `name` in the directory.
    public func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// Writes `text` to `name` in the directory; returns its path.
    @discardableResult
    public func write(_ name: String, _ text: String) throws -> String {
        try write(name, bytes: Array(text.utf8))
    }

    /// Writes `bytes` to `name` in the directory; returns its path.
    @discardableResult
    public func write(_ name: String, bytes: [UInt8]) throws -> String {
        try Data(bytes).write(to: url.appendingPathComponent(name))
        return path(name)
    }

    /// Removes the directory and everything in it.
    public func remove() { try? FileManager.default.removeItem(at: url) }
}

/// A new temporary directory, removed when `test` ends.
public func temporaryDirectory(_ test: XCTestCase, _ label: String) throws -> URL {
    let directory = try TemporaryDirectory(label)
    test.addTeardownBlock { directory.remove() }
    return directory.url
}
