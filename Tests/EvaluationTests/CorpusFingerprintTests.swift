import Foundation
import XCTest

@testable import Evaluation

/// The corpus fingerprint kept in trainer_state.json: FNV-1a 64 over each id's 4 bytes
/// (little-endian), golden values from an independent implementation.
final class CorpusFingerprintTests: XCTestCase {
    func testGoldenValues() {
        XCTAssertEqual(corpusFingerprint([Int32]()), "cbf29ce484222325")  // the offset basis
        XCTAssertEqual(corpusFingerprint([Int32(0x61)]), "ac804b820e4fe984")
        XCTAssertEqual(corpusFingerprint([Int32(1), 10_000]), "95fdd6af189e8f69")
        XCTAssertNotEqual(corpusFingerprint([Int32(1), 2]), corpusFingerprint([Int32(2), 1]))
    }
}
