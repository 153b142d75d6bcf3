import FileIO
import XCTest

/// Paths in messages: quoted, one line whatever the name holds.
final class QuotedPathTests: XCTestCase {
    func testPlainPathsAreOnlyQuoted() {
        XCTAssertEqual(quotedPath("corpora/shakespeare.txt"), "'corpora/shakespeare.txt'")
        XCTAssertEqual(quotedPath("données/été.txt"), "'données/été.txt'")
        XCTAssertEqual(quotedPath(""), "''")
    }

    func testControlCharactersQuotesAndBackslashesAreEscaped() {
        XCTAssertEqual(quotedPath("a\nb"), #"'a\nb'"#)
        XCTAssertEqual(quotedPath("a\tb\rc"), #"'a\tb\rc'"#)
        XCTAssertEqual(quotedPath("it's"), #"'it\'s'"#)
        XCTAssertEqual(quotedPath(#"a\b"#), #"'a\\b'"#)
        XCTAssertEqual(quotedPath("bell\u{7}"), #"'bell\x07'"#)
        XCTAssertEqual(quotedPath("esc\u{1B}[31m"), #"'esc\x1B[31m'"#)
        XCTAssertEqual(quotedPath("line\u{2028}sep"), #"'line\u{2028}sep'"#)
    }

}
