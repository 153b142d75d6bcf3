import XCTest

final class CLIPlaceholderTests: XCTestCase {
    func testPlaceholder() throws { throw XCTSkip("CLI tests land with the CLI work") }
}
