import FileIO
import Foundation

// Everything the executable writes to stdout and stderr goes through here: one POSIX write loop
// (EINTR, short writes), so that a full disk or a closed pipe is noticed instead of trapping
// inside `FileHandle.write` or vanishing in stdio's buffer.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

enum Console {
    static let stderrIsTerminal = isatty(STDERR_FILENO) == 1
    static let stdoutIsTerminal = isatty(STDOUT_FILENO) == 1

    /// The first errno of a failed write to stderr (0: none). Diagnostics that cannot be written
    /// do not stop the work (a training run goes on), but the exit status says so: see `finish`.
    nonisolated(unsafe) static var stderrFailure: Int32 = 0

    static func error(_ message: String) { writeStderr("error: \(message)\n") }

    static func warning(_ message: String) { writeStderr("warning: \(message)\n") }

    static func info(_ message: String) { writeStderr("\(message)\n") }

    /// Writes text to stdout immediately (streaming generation). A reader that went away
    /// (EPIPE: `charnn sample … | head`) ends the process quietly with status 0: there is no
    /// one left to write for. Any other failure (ENOSPC, EIO) is an error: one line, status 1.
    static func out(_ text: String) {
        let e = writeAll(STDOUT_FILENO, text)
        if e == 0 { return }
        if e == EPIPE { exit(0) }
        error("standard output: \(errnoReason(e))")
        exit(1)
    }

    /// Rewrites the status line on a terminal.
    static func status(_ line: String) { writeStderr("\r\u{1B}[K\(line)") }

    static func endStatus() { if stderrIsTerminal { writeStderr("\r\u{1B}[K") } }

    static func writeStderr(_ text: String) {
        // After a failure, later diagnostics are dropped (the device is full or the reader gone).
        guard stderrFailure == 0 else { return }
        stderrFailure = writeAll(STDERR_FILENO, text)
    }

    /// Ends the process with `status`, or 1 when diagnostics were lost to a failing stderr
    /// (other than a closed pipe: a reader that stopped reading asked for no more).
    static func finish(_ status: Int32) -> Never {
        if status == 0 && stderrFailure != 0 && stderrFailure != EPIPE { exit(1) }
        exit(status)
    }

    /// Writes every byte of `text` to `fd`, retrying after EINTR and short writes.
    /// Returns 0, or the errno of the failure.
    static func writeAll(_ fd: Int32, _ text: String) -> Int32 {
        var text = text
        return text.withUTF8 { bytes -> Int32 in
            var done = 0
            while done < bytes.count {
                let n = write(fd, bytes.baseAddress! + done, bytes.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                if n == 0 { return EIO }
                done += n
            }
            return 0
        }
    }
}
