import Foundation
import XCTest
import _TestSupport

/// `charnn --help` and every subcommand's help against committed snapshots
/// (Tests/CLITests/Snapshots/help-*.txt): a changed option, default or text shows up in review.
/// After an intended change: `CHARNN_UPDATE_SNAPSHOTS=1 swift test --filter HelpSnapshotTests`
/// rewrites the files, then commit them.
final class HelpSnapshotTests: XCTestCase {
    static let commands = [
        "", "train", "sample", "repl", "eval", "compare", "bench", "info", "inspect", "synth",
        "synth brackets",
    ]

    static let snapshots = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Snapshots")

    /// Options shared by several commands are declared once, but each command's help speaks of that
    /// command: no resuming in compare's, no bench default in train's, no recipe in bench's.
    func testEachHelpSpeaksOfItsOwnCommand() throws {
        let dir = try TemporaryDirectory("cli-help-own")
        defer { dir.remove() }
        func help(_ command: String) throws -> String {
            let r = try CLI.run([command, "--help"], in: dir.url, environment: ["COLUMNS": "100", "LINES": "50"])
            assertSuccess(r)
            return r.stdout.lowercased()
        }
        let compare = try help("compare"), train = try help("train"), bench = try help("bench")
        XCTAssertFalse(compare.contains("resum"), compare)
        XCTAssertFalse(compare.contains("--epochs"), "compare refuses --epochs: its help does not offer it")
        XCTAssertFalse(compare.contains("bench") || compare.contains("recipe"), compare)
        XCTAssertFalse(train.contains("bench") || train.contains("peer") || train.contains("compare"), train)
        XCTAssertFalse(bench.contains("recipe") || bench.contains("resum") || bench.contains("train --"), bench)
        XCTAssertTrue(bench.contains("default 128"), bench)
        XCTAssertTrue(train.contains("default 256") && train.contains("--overwrite"), train)
    }

    func testHelpMatchesTheSnapshots() throws {
        let dir = try TemporaryDirectory("cli-help")
        defer { dir.remove() }
        let update = ProcessInfo.processInfo.environment["CHARNN_UPDATE_SNAPSHOTS"] == "1"
        for command in Self.commands {
            let arguments = command.split(separator: " ").map(String.init) + ["--help"]
            // A fixed width: help is wrapped to the terminal (COLUMNS when there is none).
            let r = try CLI.run(arguments, in: dir.url, environment: ["COLUMNS": "100", "LINES": "50"])
            assertSuccess(r)
            XCTAssertEqual(r.stderr, "", r.summary)
            let name = "help-\(command.isEmpty ? "charnn" : command.replacingOccurrences(of: " ", with: "-")).txt"
            let file = Self.snapshots.appendingPathComponent(name)
            if update {
                try FileManager.default.createDirectory(at: Self.snapshots, withIntermediateDirectories: true)
                try Data(r.stdout.utf8).write(to: file)
                continue
            }
            guard let expected = try? String(contentsOf: file, encoding: .utf8) else {
                XCTFail("no snapshot \(file.path); create it with CHARNN_UPDATE_SNAPSHOTS=1")
                continue
            }
            if expected != r.stdout {
                let a = expected.split(separator: "\n", omittingEmptySubsequences: false)
                let b = r.stdout.split(separator: "\n", omittingEmptySubsequences: false)
                let i = (0..<min(a.count, b.count)).first { a[$0] != b[$0] } ?? min(a.count, b.count)
                XCTFail(
                    """
                    charnn \(arguments.joined(separator: " ")) differs from \(name) at line \(i + 1):
                      snapshot: \(i < a.count ? String(a[i]) : "<end>")
                      now:      \(i < b.count ? String(b[i]) : "<end>")
                    (intended? regenerate with CHARNN_UPDATE_SNAPSHOTS=1 and commit the files)
                    """)
            }
        }
    }
}
