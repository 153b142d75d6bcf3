import Foundation
import XCTest
import _TestSupport

/// `make install`, staged with DESTDIR into a temporary folder: the files land under PREFIX and the
/// installed binary runs and finds its model there. The built debug binary stands in for the release
/// one (`-o build`: no release build) and a stand-in file for the generated man page (MANPAGE=).
final class InstallTests: XCTestCase {
    func testMakeInstallStagesEverythingAndTheBinaryRuns() throws {
        let dir = try TemporaryDirectory("cli-install")
        defer { dir.remove() }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let manpage = try dir.write("stand-in.1", ".TH CHARNN 1\n.SH NAME\ncharnn\n")
        let stage = dir.path("stage")
        let make = try run(
            "/usr/bin/env",
            [
                "make", "-s", "-C", root.path, "-o", "build", "install", "BIN=\(try CLI.binary().path)",
                "MANPAGE=\(manpage)", "PREFIX=/opt/charnn", "DESTDIR=\(stage)",
            ])
        XCTAssertEqual(make.status, 0, make.output)
        XCTAssertTrue(make.output.contains("charnn: installed charnn "), make.output)

        let prefix = stage + "/opt/charnn"
        let fm = FileManager.default
        XCTAssertTrue(fm.isExecutableFile(atPath: prefix + "/bin/charnn"))
        for file in [
            "share/charnn/checkpoints/shakespeare-lstm/config.json",
            "share/charnn/checkpoints/shakespeare-lstm/model.safetensors",
            "share/charnn/checkpoints/shakespeare-lstm/vocab.json",
        ] {
            XCTAssertTrue(fm.fileExists(atPath: prefix + "/" + file), file)
        }
        XCTAssertEqual(
            try String(contentsOfFile: prefix + "/share/man/man1/charnn.1", encoding: .utf8).prefix(12), ".TH CHARNN 1")
        // The completions name the command and its subcommands.
        for (shell, file) in [
            ("bash", "share/bash-completion/completions/charnn"), ("zsh", "share/zsh/site-functions/_charnn"),
            ("fish", "share/fish/vendor_completions.d/charnn.fish"),
        ] {
            let text = (try? String(contentsOfFile: prefix + "/" + file, encoding: .utf8)) ?? ""
            XCTAssertTrue(text.contains("charnn") && text.contains("repl") && text.contains("temperature"), shell)
        }
        let syntax = try run("/bin/bash", ["-n", prefix + "/share/bash-completion/completions/charnn"])
        XCTAssertEqual(syntax.status, 0, "bash -n: \(syntax.output)")

        // The installed binary runs, and `repl` without a checkpoint opens the model installed beside it.
        let version = try run(prefix + "/bin/charnn", ["--version"])
        XCTAssertEqual(version.status, 0, version.output)
        XCTAssertTrue(version.output.hasPrefix("charnn "), version.output)
        let elsewhere = try TemporaryDirectory("cli-install-cwd")
        defer { elsewhere.remove() }
        let repl = try run(prefix + "/bin/charnn", ["repl", "--length", "3"], in: elsewhere.url, stdin: "/info\n")
        XCTAssertEqual(repl.status, 0, repl.output)
        XCTAssertTrue(repl.output.contains(prefix + "/share/charnn/checkpoints/shakespeare-lstm"), repl.output)
    }

    /// Runs a program to its end; stdout and stderr together.
    func run(_ path: String, _ arguments: [String], in directory: URL? = nil, stdin: String = "") throws -> (
        status: Int32, output: String
    ) {
        let dir = try TemporaryDirectory("cli-install-run")
        defer { dir.remove() }
        let out = dir.url.appendingPathComponent("out")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = arguments
        if let directory { p.currentDirectoryURL = directory }
        var environment = ProcessInfo.processInfo.environment
        // Not a sub-make of the `make test` that may be running this.
        for key in ["MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES"] { environment[key] = nil }
        p.environment = environment
        let handle = try FileHandle(forWritingTo: out)
        p.standardOutput = handle
        p.standardError = handle
        p.standardInput = FileHandle(forReadingAtPath: try dir.write("in", stdin))
        try p.run()
        p.waitUntilExit()
        try? handle.close()
        return (p.terminationStatus, (try? String(contentsOf: out, encoding: .utf8)) ?? "")
    }
}
