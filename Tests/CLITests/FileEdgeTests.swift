import Foundation
import XCTest
import _TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// The edges of the file layer seen from the command line: memory limits (ulimit -v, a cgroup),
/// empty and odd paths, --prime-file's positions, and a FIFO that nobody writes to.
final class FileEdgeTests: XCTestCase {
    var dir: TemporaryDirectory!

    override func setUpWithError() throws { dir = try TemporaryDirectory("cli-files") }
    override func tearDown() { dir?.remove() }

    /// Runs `script` with bash in the test's directory; `$CHARNN` is the binary. The result's
    /// stderr is what the script wrote to `charnn.err` (charnn's own; bash's job reports go elsewhere).
    /// `environment` sets (or, with nil, removes) variables after OPENBLAS_NUM_THREADS=1.
    func shell(
        _ script: String, timeout: TimeInterval = 300, environment overrides: [String: String?] = [:]
    ) throws -> CommandResult {
        let binary = try CLI.binary()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", script]
        process.currentDirectoryURL = dir.url
        var environment = ProcessInfo.processInfo.environment
        environment["OPENBLAS_NUM_THREADS"] = "1"
        environment["CHARNN"] = binary.path
        for (key, value) in overrides { environment[key] = value }
        process.environment = environment
        let outURL = dir.url.appendingPathComponent(".shell-out"), errURL = dir.url.appendingPathComponent(".shell-err")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: outURL)
        process.standardError = try FileHandle(forWritingTo: errURL)
        process.standardInput = FileHandle(forReadingAtPath: "/dev/null")
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(50_000) }
        if process.isRunning {
            XCTFail("still running after \(Int(timeout)) s: \(script)")
            kill(process.processIdentifier, SIGKILL)
        }
        process.waitUntilExit()
        return CommandResult(
            arguments: ["bash", "-c", script], status: process.terminationStatus,
            signaled: process.terminationReason == .uncaughtSignal,
            stdout: (try? String(contentsOf: outURL, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOfFile: dir.path("charnn.err"), encoding: .utf8))
                ?? "no charnn.err; bash said: " + ((try? String(contentsOf: errURL, encoding: .utf8)) ?? ""))
    }

    /// An endless pipe under `ulimit -v`: the budget counts the limit, so the input is refused in
    /// one line; before, the ids grew to MemAvailable/2 and realloc trapped ("Fatal error: out of
    /// memory", status 132).
    func testAnAddressSpaceLimitIsAnErrorNotATrap() throws {
        let r = try shell(
            "ulimit -v 450000; yes 'to be or not to be' 2>/dev/null | \"$CHARNN\" train /dev/stdin "
                + tinyModel.joined(separator: " ") + " --steps 1 --out run 2> charnn.err")
        assertUserError(r, contains: ["'/dev/stdin'", "memory available"])
        XCTAssertFalse(r.stderr.contains("Fatal error"), r.summary)
    }

    /// Under `ulimit -v` or `ulimit -d`, OpenBLAS's worker threads (one per core, started as it
    /// loads) cannot map their buffers and retry for ever: the error line came, then the exit
    /// waited on them for ever (even `--version`). charnn restarts with OPENBLAS_NUM_THREADS=1
    /// under such a limit; here the variable is not set, as for a user.
    func testAMemoryLimitEndsAfterTheErrorLine() throws {
        _ = try dir.write("corpus.txt", Corpus.text(characters: 20000))
        let unset: [String: String?] = ["OPENBLAS_NUM_THREADS": nil]
        let r = try shell(
            "ulimit -v 300000; exec \"$CHARNN\" train corpus.txt --hidden 4096 --steps 2 --out run 2> charnn.err",
            timeout: 60, environment: unset)
        assertUserError(r, contains: ["memory"])
        for limit in ["-v", "-d"] {
            let v = try shell(
                "ulimit \(limit) 300000; exec \"$CHARNN\" --version 2> charnn.err", timeout: 60, environment: unset)
            assertSuccess(v)
            XCTAssertTrue(v.stdout.hasPrefix("charnn "), v.summary)
        }
        // charnn-serve started by itself (not through `charnn serve`) restarts the same way.
        let serve = try shell(
            "ulimit -v 300000; exec \"$(dirname \"$CHARNN\")/charnn-serve\" nothing 2> charnn.err", timeout: 60,
            environment: unset)
        assertUserError(serve, contains: ["nothing"])
    }

    /// Under an address-space limit every thread of the team maps OpenBLAS's buffer (and a malloc
    /// arena); OpenBLAS retries a refused buffer for ever. Where the limit leaves no room for a
    /// second thread, `--threads 2` is refused up front (naming `--threads 1`), never a hang,
    /// and `--threads 1` trains.
    func testAMemoryLimitCountsTheTeamsThreads() throws {
        _ = try dir.write("corpus.txt", Corpus.text(characters: 20000))
        func train(_ threads: Int) throws -> CommandResult {
            try shell(
                "ulimit -v 450000; exec \"$CHARNN\" train corpus.txt --hidden 32 --steps 3 --threads \(threads) "
                    + "--out run\(threads) 2> charnn.err", timeout: 120)
        }
        let two = try train(2)
        assertUserError(two, contains: ["2 threads", "--threads 1"])
        assertSuccess(try train(1))
    }

    /// The same under a cgroup memory limit (a container, a Slurm job), where going past the limit
    /// is a SIGKILL from the OOM killer, never a failed malloc: only the budget can stop it.
    func testACgroupMemoryLimitIsAnErrorNotAKill() throws {
        guard let cgroup = MemoryCgroup(limitBytes: 400 << 20) else {
            throw XCTSkip(
                "cannot create a memory cgroup here (needs cgroup v1's memory controller or v2 with it delegated, writable)"
            )
        }
        defer { cgroup.remove() }
        let r = try shell(
            "echo $$ > '\(cgroup.procsFile)' || exit 99; yes 'to be or not to be' 2>/dev/null | \"$CHARNN\" train /dev/stdin "
                + tinyModel.joined(separator: " ") + " --steps 1 --out run 2> charnn.err")
        XCTAssertNotEqual(r.status, 99, "could not join the cgroup: \(r.summary)")
        assertUserError(r, contains: ["'/dev/stdin'", "memory available"])
    }

    func testEmptyPathsAreTheirOwnError() throws {
        assertUserError(try CLI.run(["train", ""], in: dir.url), contains: ["the file name is empty"])
        _ = try dir.write("corpus.txt", Corpus.text(characters: 3000))
        let r = try CLI.run(["train", "corpus.txt"] + tinyModel + ["--steps", "2", "--out", ""], in: dir.url)
        assertUserError(r, contains: ["--out", "empty"])
    }

    /// A newline in a file name is shown as \n: the error stays one line.
    func testAPathWithANewlineStaysOneLine() throws {
        assertUserError(try CLI.run(["train", "no\nsuch.txt"], in: dir.url), contains: [#"'no\nsuch.txt'"#])
        assertUserError(
            try CLI.run(["eval", "ck\npt", "x.txt"], in: dir.url), contains: [#"ck\npt"#])
    }

    /// --prime-file that is not UTF-8: the byte offset and the line, as for a corpus.
    func testPrimeFileErrorsCarryTheOffsetAndLine() throws {
        let shared = try SharedRun.get()
        let prime = try dir.write("prime.txt", bytes: Array("first line\nab".utf8) + [0xFF] + Array("cd\n".utf8))
        assertUserError(
            try CLI.run(["sample", shared.latest, "--prime-file", prime], in: dir.url),
            contains: ["--prime-file", "prime.txt'", "byte offset 13", "line 2", "0xFF"])
    }

    /// A FIFO without a writer: one line after about two seconds, then the command keeps waiting;
    /// Ctrl-C ends it as before.
    func testAFIFOWithoutAWriterIsAnnouncedAndCtrlCStillWorks() throws {
        let fifo = dir.path("pipe")
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        let shared = try SharedRun.get()
        for arguments in [
            ["train", fifo] + tinyModel + ["--steps", "2", "--out", "run"],
            ["eval", shared.latest, fifo],
        ] {
            let running = try CLI.start(arguments, in: dir.url)
            let deadline = Date().addingTimeInterval(30)
            while !running.stderrSoFar.contains("waiting for a writer") && Date() < deadline
                && running.process.isRunning
            {
                usleep(50_000)
            }
            XCTAssertTrue(running.process.isRunning, "ended instead of waiting: \(running.stderrSoFar)")
            XCTAssertEqual(running.stderrSoFar, "waiting for a writer on '\(fifo)' …\n")
            usleep(300_000)
            XCTAssertTrue(running.process.isRunning, "it keeps waiting")
            running.process.interrupt()
            let r = running.wait(timeout: 30)
            XCTAssertEqual(r.status, 130, r.summary)
        }
    }

    /// Invalid UTF-8 from a FIFO: the line is counted as the text goes by (the FIFO cannot be
    /// opened again to count it; that used to wait for a writer forever).
    func testInvalidUTF8FromAFIFONamesTheLineWithoutReopeningIt() throws {
        let fifo = dir.path("text-pipe")
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        let running = try CLI.start(["train", fifo] + tinyModel + ["--steps", "2", "--out", "run"], in: dir.url)
        let fd = open(fifo, O_WRONLY)
        XCTAssertGreaterThanOrEqual(fd, 0)
        let bytes: [UInt8] = Array("line one\nab".utf8) + [0xFF] + Array("cd\n".utf8)
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        assertUserError(running.wait(timeout: 30), contains: ["'\(fifo)'", "byte offset 11", "line 2"])
    }

    /// `sample --prime-file FIFO`: announced, then the prime text a late writer sends is used.
    func testAPrimeFileFIFOGetsItsTextFromALateWriter() throws {
        let fifo = dir.path("prime-pipe")
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        let shared = try SharedRun.get()
        let running = try CLI.start(
            ["sample", shared.latest, "--prime-file", fifo, "--length", "5", "--seed", "1"], in: dir.url)
        let deadline = Date().addingTimeInterval(30)
        while !running.stderrSoFar.contains("waiting for a writer") && Date() < deadline && running.process.isRunning {
            usleep(50_000)
        }
        XCTAssertTrue(running.stderrSoFar.contains("waiting for a writer on '\(fifo)' …"), running.stderrSoFar)
        let fd = open(fifo, O_WRONLY)
        XCTAssertGreaterThanOrEqual(fd, 0)
        _ = "the ".withCString { write(fd, $0, 4) }
        close(fd)
        let r = running.wait(timeout: 60)
        XCTAssertEqual(r.status, 0, r.summary)
        XCTAssertTrue(r.stdout.hasPrefix("the "), r.summary)
    }
}

/// A memory cgroup of our own (v1's memory controller, or v2 where the memory controller is
/// delegated to our cgroup's children), removed after the test; nil where none can be made.
struct MemoryCgroup {
    let path: String
    var procsFile: String { path + "/cgroup.procs" }

    init?(limitBytes: Int) {
        guard let table = try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8) else { return nil }
        let name = "charnn-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        for line in table.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3 else { continue }
            let own = parts[2] == "/" ? "" : String(parts[2])
            var candidate: (dir: String, limitFile: String)? = nil
            if parts[1].split(separator: ",").contains("memory") {
                candidate = ("/sys/fs/cgroup/memory" + own + "/" + name, "memory.limit_in_bytes")
            } else if parts[0] == "0", parts[1].isEmpty,
                let controllers = try? String(
                    contentsOfFile: "/sys/fs/cgroup" + own + "/cgroup.subtree_control", encoding: .utf8),
                controllers.split(separator: " ").contains(where: {
                    $0.trimmingCharacters(in: .whitespacesAndNewlines) == "memory"
                })
            {
                candidate = ("/sys/fs/cgroup" + own + "/" + name, "memory.max")
            }
            guard let (dir, limitFile) = candidate, mkdir(dir, 0o755) == 0 else { continue }
            if (try? "\(limitBytes)\n".write(toFile: dir + "/" + limitFile, atomically: false, encoding: .utf8)) != nil
            {
                path = dir
                return
            }
            rmdir(dir)
        }
        return nil
    }

    /// Removes the cgroup once its processes are gone.
    func remove() {
        for _ in 0..<50 {
            if rmdir(path) == 0 || errno == ENOENT { return }
            usleep(100_000)
        }
    }
}
