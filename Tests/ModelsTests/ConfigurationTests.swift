import Foundation
import Models
import XCTest

/// config.json's model fields: absurd values are named by field and value, never "not valid JSON".
final class ConfigurationTests: XCTestCase {
    func decode(_ json: String) throws -> ModelConfig {
        try JSONDecoder().decode(ModelConfig.self, from: Data(json.utf8))
    }

    func fields(hidden: String = "8", dropout: String = "0") -> String {
        #"{"cell": "lstm", "layers": 1, "hidden": \#(hidden), "embedding": 8, "vocab_size": 5, "dropout": \#(dropout), "format_version": 1}"#
    }

    func testValidConfigRoundTrips() throws {
        let c = ModelConfig(cell: .gru, layers: 2, hidden: 16, vocabularySize: 40, dropout: 0.25)
        XCTAssertEqual(try JSONDecoder().decode(ModelConfig.self, from: JSONEncoder().encode(c)), c)
        XCTAssertNoThrow(try decode(fields()).validate())
    }

    func testAbsurdNumbersNameTheField() throws {
        XCTAssertThrowsError(try decode(fields(hidden: "10000000000")).validate()) {
            XCTAssertTrue("\($0)".contains("'hidden' is 10000000000, more than 16384"), "\($0)")
        }
        for literal in ["1e30", "123456789012345678901234567890", "0.5"] {
            XCTAssertThrowsError(try decode(fields(hidden: literal))) {
                XCTAssertTrue("\($0)".contains("'hidden' is") && "\($0)".contains("not a whole number"), "\($0)")
            }
        }
        XCTAssertThrowsError(try decode(fields(dropout: "1e39"))) {
            XCTAssertTrue("\($0)".contains("'dropout' is"), "\($0)")
        }
        XCTAssertThrowsError(try ModelConfig(cell: .rnn, layers: 65, hidden: 4, vocabularySize: 3).validate()) {
            XCTAssertTrue("\($0)".contains("'layers' is 65, more than 64"), "\($0)")
        }
    }
}
