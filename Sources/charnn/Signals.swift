// Ctrl-C (SIGINT) and SIGTERM. Two modes:
// - at once (the default, and while a command prepares: reading a corpus, which can block in
//   open() on a FIFO without a writer, or loading a checkpoint): the handler writes the command's
//   farewell line ("interrupted before training started: nothing saved") and exits 128 + signal
//   (130 for Ctrl-C) itself — nothing is running that could stop cleanly;
// - cooperative (while work runs that can stop and keep what it did: training saves latest/,
//   sampling keeps the text so far): the handler only raises `requested`; the work polls it.
//   A second signal then exits at once (a save is atomic: nothing is lost), saying what is kept.
// The handler touches only plain globals set up in advance and calls write(2) and _exit(2),
// which are async-signal-safe.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

enum Interrupt {
    nonisolated(unsafe) static var requested = false
    nonisolated(unsafe) static var count: Int32 = 0
    /// The last signal received (SIGINT or SIGTERM); 0 before any.
    nonisolated(unsafe) static var signalNumber: Int32 = 0
    nonisolated(unsafe) static var atOnce = true
    nonisolated(unsafe) static var hardExitOnSecond = false
    nonisolated(unsafe) static var farewell: UnsafeMutablePointer<CChar>? = nil
    nonisolated(unsafe) static var farewellLength = 0
    nonisolated(unsafe) static var again: UnsafeMutablePointer<CChar>? = nil
    nonisolated(unsafe) static var againLength = 0
    /// The REPL: SIGTERM ends it at once even in the cooperative mode (only Ctrl-C means "stop
    /// this generation"), and a Ctrl-C while it waits for a line only shows `idleNote`.
    nonisolated(unsafe) static var termExitsAtOnce = false
    nonisolated(unsafe) static var idle = false
    nonisolated(unsafe) static var idleNote: UnsafeMutablePointer<CChar>? = nil
    nonisolated(unsafe) static var idleNoteLength = 0

    /// Installs the handlers for SIGINT and SIGTERM, in the at-once mode.
    static func install(farewell message: String) {
        exitAtOnce(saying: message)
        var action = sigaction()
        #if canImport(Glibc)
        action.__sigaction_handler.sa_handler = handle
        #else
        action.__sigaction_u.__sa_handler = handle
        #endif
        // SA_RESTART: a read at the REPL's prompt resumes instead of failing with EINTR.
        action.sa_flags = SA_RESTART
        sigemptyset(&action.sa_mask)
        sigaction(SIGINT, &action, nil)
        sigaction(SIGTERM, &action, nil)
    }

    /// From now on a signal ends the process at once with `message` on stderr.
    static func exitAtOnce(saying message: String) {
        // The old text is not freed: the handler may be reading it right now.
        let (p, n) = cString(message)
        farewellLength = 0
        farewell = p
        farewellLength = n
        atOnce = true
    }

    /// From now on a signal asks the running work to stop (`requested`); with `again`, a second
    /// signal exits at once after writing that line (what is kept then).
    static func cooperate(again message: String?) {
        if let message { (again, againLength) = cString(message) }
        hardExitOnSecond = message != nil
        atOnce = false
    }

    /// The REPL's mode: Ctrl-C stops a generation, or at the prompt shows `note`; SIGTERM exits
    /// at once with `farewell`.
    static func interactive(note: String, farewell: String) {
        (idleNote, idleNoteLength) = cString(note)
        exitAtOnce(saying: farewell)
        termExitsAtOnce = true
        cooperate(again: nil)
    }

    /// Clears a request that has been handled.
    static func clear() { requested = false; count = 0 }

    /// 128 + the signal: 130 after Ctrl-C, 143 after SIGTERM.
    static var exitStatus: Int32 { 128 + (signalNumber == 0 ? SIGINT : signalNumber) }

    /// The handler.
    private static let handle: @convention(c) (Int32) -> Void = { sig in
        Interrupt.signalNumber = sig
        Interrupt.count += 1
        if Interrupt.atOnce || (sig == SIGTERM && Interrupt.termExitsAtOnce) { Interrupt.exitNow() }
        if Interrupt.idle && sig == SIGINT {
            if let note = Interrupt.idleNote { Interrupt.writeLine(note, Interrupt.idleNoteLength) }
            return
        }
        if Interrupt.hardExitOnSecond && Interrupt.count >= 2 {
            if let again = Interrupt.again { Interrupt.writeLine(again, Interrupt.againLength) }
            _exit(Interrupt.exitStatus)
        }
        Interrupt.requested = true
    }

    private static func exitNow() -> Never {
        if let farewell = Interrupt.farewell { writeLine(farewell, Interrupt.farewellLength) }
        _exit(exitStatus)
    }

    /// write(2) of a prepared line; on a terminal it first clears the status line after "^C".
    private static func writeLine(_ p: UnsafeMutablePointer<CChar>, _ n: Int) {
        var done = 0
        while done < n {
            let w = write(STDERR_FILENO, p + done, n - done)
            if w < 0 && errno == EINTR { continue }
            if w <= 0 { return }
            done += w
        }
    }

    private static func cString(_ message: String) -> (UnsafeMutablePointer<CChar>?, Int) {
        let text = (Console.stderrIsTerminal ? "\r\u{1B}[K" : "") + message + "\n"
        let bytes = Array(text.utf8CString)
        let p = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count)
        p.initialize(from: bytes, count: bytes.count)
        return (p, bytes.count - 1)
    }
}
