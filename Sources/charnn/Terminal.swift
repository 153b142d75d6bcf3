// Everything that touches the terminal and the process: stderr, signals, the progress line.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Ctrl-C handling: the first SIGINT asks the running work to stop (training saves a
/// checkpoint, the REPL ends the current generation); a second one during training exits at once.
enum Interrupt {
    nonisolated(unsafe) static var requested = false
    nonisolated(unsafe) static var count = 0
    nonisolated(unsafe) static var hardExitOnSecond = false

    static func install(hardExitOnSecond: Bool) {
        Interrupt.hardExitOnSecond = hardExitOnSecond
        signal(SIGINT) { _ in
            Interrupt.count += 1
            Interrupt.requested = true
            if Interrupt.hardExitOnSecond && Interrupt.count >= 2 { _exit(130) }
        }
    }

    /// Clears a request that has been handled.
    static func clear() { requested = false; count = 0 }
}

enum Console {
    static let stderrIsTerminal = isatty(STDERR_FILENO) == 1
    static let stdoutIsTerminal = isatty(STDOUT_FILENO) == 1

    static func error(_ message: String) {
        FileHandle.standardError.write(Data("error: \(message)\n".utf8))
    }

    static func warning(_ message: String) {
        FileHandle.standardError.write(Data("warning: \(message)\n".utf8))
    }

    static func info(_ message: String) {
        FileHandle.standardError.write(Data("\(message)\n".utf8))
    }

    /// Writes text to stdout immediately (streaming generation).
    static func out(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    /// Rewrites the status line on a terminal.
    static func status(_ line: String) {
        FileHandle.standardError.write(Data("\r\u{1B}[K\(line)".utf8))
    }

    static func endStatus() { if stderrIsTerminal { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) } }
}

/// Formats for people.
enum Format {
    static func duration(_ s: Double) -> String {
        guard s.isFinite, s >= 0 else { return "?" }
        let t = Int(s.rounded())
        if t >= 3600 { return "\(t / 3600)h\(String(format: "%02d", (t % 3600) / 60))m" }
        if t >= 60 { return "\(t / 60)m\(String(format: "%02d", t % 60))s" }
        return "\(t)s"
    }

    static func rate(_ r: Double) -> String {
        r >= 10_000 ? String(format: "%.1fk", r / 1000) : String(format: "%.0f", r)
    }

    static func count(_ n: Int) -> String {
        n >= 1_000_000 ? String(format: "%.2fM", Double(n) / 1e6) : n >= 10_000 ? String(format: "%.1fk", Double(n) / 1e3) : "\(n)"
    }
}
