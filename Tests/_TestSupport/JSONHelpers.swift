import Foundation
import XCTest

/// The JSON object in `data` (fails the test when it is not one).
public func jsonObject(_ data: Data, file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
    try XCTUnwrap(
        try JSONSerialization.jsonObject(with: data) as? [String: Any], "not a JSON object", file: file,
        line: line)
}

/// The JSON object a Codable value encodes to, keys as its CodingKeys write them.
public func jsonObject<T: Encodable>(encoding value: T, file: StaticString = #filePath, line: UInt = #line) throws
    -> [String: Any]
{
    try jsonObject(try JSONEncoder().encode(value), file: file, line: line)
}
