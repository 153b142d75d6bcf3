import Foundation
import XCTest
import _TestSupport

/// `charnn --version`: the version, the commit the binary was built from, the kernels this CPU runs.
final class VersionTests: XCTestCase {
    func testVersionNamesTheReleaseTheCommitAndTheKernels() throws {
        let dir = try TemporaryDirectory("cli-version")
        defer { dir.remove() }
        let r = try CLI.run(["--version"], in: dir.url)
        assertSuccess(r)
        XCTAssertEqual(r.stderr, "", r.summary)
        let lines = r.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        XCTAssertEqual(lines.count, 4, "three lines and the final newline: \(r.stdout.debugDescription)")
        guard lines.count == 4 else { return }
        XCTAssertNotNil(
            lines[0].range(
                of: #"^charnn [0-9]+\.[0-9]+\.[0-9]+ \((debug|release) build\)$"#, options: .regularExpression),
            lines[0])
        XCTAssertTrue(lines[2].hasPrefix("kernels ") && lines[2].count > "kernels ".count, lines[2])
        XCTAssertTrue(lines[2].contains("floats"), "KernelLevel.summary names the float kernels: \(lines[2])")

        // Built from this checkout: a commit of it (12 hex digits, "-dirty" after uncommitted changes);
        // "unknown" only where there is no git checkout to read.
        let commit = lines[1]
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        guard FileManager.default.fileExists(atPath: root.appendingPathComponent(".git").path) else {
            XCTAssertEqual(commit, "commit unknown")
            return
        }
        let match = commit.range(of: #"^commit [0-9a-f]{12}(-dirty)?$"#, options: .regularExpression)
        XCTAssertNotNil(match, commit)
        guard match != nil else { return }
        let hex = String(commit.dropFirst("commit ".count).prefix(12))
        // (The checkout may have moved on since the build: the commit must exist, not be HEAD.)
        if let status = git(["-C", root.path, "cat-file", "-e", hex + "^{commit}"]) {
            XCTAssertEqual(status, 0, "\(hex) is no commit of \(root.path)")
        }
    }

    /// Plain `charnn` still shows the help (status 0), and the help lists --version.
    func testPlainCharnnShowsTheHelp() throws {
        let dir = try TemporaryDirectory("cli-version")
        defer { dir.remove() }
        let r = try CLI.run([], in: dir.url)
        assertSuccess(r)
        XCTAssertTrue(r.stdout.contains("USAGE: charnn [--version] <subcommand>"), r.summary)
    }

    /// The exit status of git with these arguments, nil when git cannot run here.
    func git(_ arguments: [String]) -> Int32? {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["git"] + arguments
        p.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        p.standardError = FileHandle(forWritingAtPath: "/dev/null")
        guard (try? p.run()) != nil else { return nil }
        p.waitUntilExit()
        // env's 127: no git on the PATH.
        return p.terminationStatus == 127 ? nil : p.terminationStatus
    }
}
