import CLibEdit
import FileIO
import Foundation

// The REPL's prompt on a terminal: libedit (its readline-compatible API) for line editing, a history
// kept from one run to the next, and Tab completion of the slash commands. Only used when stdin and
// stdout are terminals; piped input keeps the plain `readLine()` path.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One line read at the prompt.
enum PromptRead: Equatable {
    case line(String)
    /// Ctrl-C at the prompt: the line being typed is dropped (the signal handler showed its note).
    case interrupted
    /// Ctrl-D on an empty line, or the terminal went away.
    case end
}

/// libedit keeps one editor per process, and its callbacks are C functions without a context
/// pointer: the state they read is static.
final class LineEditor {
    /// Entries kept in the history file.
    static let historyLimit: Int32 = 1000

    private let historyFile: String?
    private var historyWarned = false
    private var lastEntry: String?

    nonisolated(unsafe) private static var completions: [String] = []
    /// The matches of the Tab being completed, handed out one by one by `nextCandidate`.
    nonisolated(unsafe) private static var candidates: [String] = []
    nonisolated(unsafe) private static var candidateIndex = 0
    nonisolated(unsafe) private static var interrupted = false
    /// The terminal's modes before libedit changed them, and `Interrupt`'s SIGTERM action: see `onTerm`.
    nonisolated(unsafe) private static var cooked = termios()
    nonisolated(unsafe) private static var termAction = sigaction()
    nonisolated(unsafe) private static let name = strdup("charnn")

    /// - Parameters:
    ///   - completions: what Tab completes the first word of a line to (the slash commands).
    ///   - historyFile: the history file (read now, rewritten after each line), nil for none.
    init(completions: [String], historyFile: String?) {
        Self.completions = completions
        self.historyFile = historyFile
        // libedit decodes and displays multibyte characters by the locale's LC_CTYPE (Swift does
        // not call setlocale: without this, "é" would show as \303\251).
        setlocale(LC_CTYPE, "")
        charnn_editor_configure(Self.name, Self.getc, Self.complete)
        stifle_history(Self.historyLimit)
        guard let historyFile else { return }
        let e = read_history(historyFile)
        // A missing file is the first run; anything else is worth one warning (and no writes,
        // which would replace a file we could not read).
        if e != 0 && e != ENOENT {
            warnHistory("cannot read the history file \(quotedPath(historyFile)): \(errnoReason(e))")
        }
    }

    /// Where the history lives: $CHARNN_HISTORY (empty: keep none), else $XDG_STATE_HOME/charnn/history,
    /// else ~/.local/state/charnn/history (the XDG default).
    static func historyPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if let explicit = environment["CHARNN_HISTORY"] { return explicit.isEmpty ? nil : explicit }
        let state: String
        if let xdg = environment["XDG_STATE_HOME"], xdg.hasPrefix("/") {
            state = xdg
        } else if let home = environment["HOME"], !home.isEmpty {
            state = (home as NSString).appendingPathComponent(".local/state")
        } else {
            return nil
        }
        return (state as NSString).appendingPathComponent("charnn/history")
    }

    /// Shows `prompt` and reads one edited line.
    func read(prompt: String) -> PromptRead {
        Self.interrupted = false
        // While libedit holds the terminal (no echo, no canonical mode), SIGTERM first gives the
        // terminal its modes back, then reaches `Interrupt`'s handler, which exits at once.
        let haveModes = tcgetattr(STDIN_FILENO, &Self.cooked) == 0
        var action = sigaction()
        if haveModes {
            sigaction(SIGTERM, nil, &Self.termAction)
            action = Self.termAction
            #if canImport(Glibc)
            action.__sigaction_handler.sa_handler = Self.onTerm
            #else
            action.__sigaction_u.__sa_handler = Self.onTerm
            #endif
            sigaction(SIGTERM, &action, nil)
        }
        let raw = readline(prompt)
        if haveModes { sigaction(SIGTERM, &Self.termAction, nil) }
        guard let raw else { return Self.interrupted ? .interrupted : .end }
        defer { free(raw) }
        if Self.interrupted { return .interrupted }
        let line = String(cString: raw)
        remember(line)
        return .line(line)
    }

    /// Adds a line to the history (not blank ones, not the previous line again) and saves the file.
    private func remember(_ line: String) {
        guard !line.trimmingCharacters(in: .whitespaces).isEmpty, line != lastEntry else { return }
        lastEntry = line
        add_history(line)
        guard let historyFile, !historyWarned else { return }
        let dir = (historyFile as NSString).deletingLastPathComponent
        if !dir.isEmpty && !FileManager.default.fileExists(atPath: dir) {
            do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
                return warnHistory("cannot create the history directory: \(describe(error))")
            }
        }
        let e = write_history(historyFile)
        if e != 0 { warnHistory("cannot write the history file \(quotedPath(historyFile)): \(errnoReason(e))") }
    }

    /// One warning, then the history is kept for this run only.
    private func warnHistory(_ message: String) {
        guard !historyWarned else { return }
        historyWarned = true
        Console.warning("\(message); history is kept for this session only")
    }

    /// SIGTERM at the prompt: restores the modes, puts `Interrupt`'s action back and sends the signal
    /// again (blocked until this handler returns). Only async-signal-safe calls.
    private static let onTerm: @convention(c) (Int32) -> Void = { sig in
        tcsetattr(STDIN_FILENO, TCSANOW, &cooked)
        sigaction(sig, &termAction, nil)
        raise(sig)
    }

    /// Reads one character for libedit: a UTF-8 sequence decoded to its code point (libedit's
    /// readline layer stores the returned int as a wide character), -1 at the end of input or
    /// after Ctrl-C. poll(2), unlike read(2), is never restarted after a signal, so a Ctrl-C at
    /// the prompt (counted by `Interrupt`'s handler, which also shows its note) ends the read.
    private static let getc: @convention(c) (UnsafeMutablePointer<FILE>?) -> Int32 = { _ in
        func byte() -> UInt8? {
            var fds = pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0)
            while true {
                if Interrupt.count > 0 { interrupted = true; return nil }
                if poll(&fds, 1, -1) < 0 {
                    if errno == EINTR || errno == EAGAIN { continue }
                    return nil
                }
                var c: UInt8 = 0
                let n = readStdin(&c)
                if n == 1 { return c }
                if n < 0 && (errno == EINTR || errno == EAGAIN) { continue }
                return nil
            }
        }
        guard let lead = byte() else { return -1 }
        let extra = lead < 0xC0 ? 0 : lead < 0xE0 ? 1 : lead < 0xF0 ? 2 : 3
        var bytes = [lead]
        for _ in 0..<extra {
            guard let b = byte() else { return -1 }
            bytes.append(b)
        }
        let scalars = String(decoding: bytes, as: UTF8.self).unicodeScalars
        return scalars.count == 1 ? Int32(scalars.first!.value) : 0xFFFD
    }

    /// After Enter the terminal's cursor is on the next line; this puts it back at the end of the
    /// line just read (`prompt` + `line` as libedit showed them, wrapped at the terminal's width),
    /// so the continuation follows the typed text as the model reads it, with no newline between.
    func returnToEnd(ofLine line: String, prompt: String) {
        let width = Self.displayWidth(prompt + line)
        var size = winsize()
        let columns = ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col > 0 ? Int(size.ws_col) : 0
        // On the last row of the line: at `width` mod the columns (libedit wraps a full row at once).
        let column = columns > 0 ? width % columns : width
        Console.out("\u{1B}[1A\u{1B}[\(column + 1)G")
    }

    /// Columns a line takes as libedit draws it: control characters as ^X, tabs to the next stop
    /// of 8, other characters by wcwidth(3) (two for East Asian wide ones, none for combining marks).
    static func displayWidth(_ text: String) -> Int {
        var columns = 0
        for scalar in text.unicodeScalars {
            let v = scalar.value
            if v == 9 {
                columns += 8 - columns % 8
            } else if v < 0x20 || v == 0x7F {
                columns += 2
            } else {
                let w = wcwidth(wchar_t(bitPattern: v))
                // What wcwidth does not know, libedit shows as an escape (\U+XXXX).
                columns += w >= 0 ? Int(w) : v > 0xFFFF ? 8 : 7
            }
        }
        return columns
    }

    /// Tab: the first word completes to a slash command; the argument of /load and /inspect to a
    /// path (a folder ends in "/" with no space after it, so Tab can go on into it); anything else
    /// (text for the model) to nothing.
    private static let complete:
        @convention(c) (UnsafePointer<CChar>?, Int32, Int32)
            -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = { text, start, _ in
                let line = charnn_editor_line().map { String(cString: $0) } ?? ""
                charnn_editor_no_default_completion()
                charnn_editor_append_character(Int32(UInt8(ascii: " ")))
                guard let text else { return nil }
                let word = String(cString: text)
                if start > 0 && (line.hasPrefix("/load ") || line.hasPrefix("/inspect ")) {
                    candidates = pathCompletions(of: word)
                    if candidates.count == 1 && candidates[0].hasSuffix("/") { charnn_editor_append_character(0) }
                } else if start == 0 && word.hasPrefix("/") {
                    candidates = completions.filter { $0.hasPrefix(word) }
                } else {
                    return nil
                }
                return rl_completion_matches(text, nextCandidate)
            }

    /// The entries of the folder `word` names (up to its last "/"; the working directory without
    /// one) that start with the rest of it, each as `word`'s folder part + name, with "/" after a
    /// folder (symbolic links followed). Hidden entries only when the rest starts with ".".
    static func pathCompletions(of word: String, in base: String? = nil) -> [String] {
        let slash = word.lastIndex(of: "/")
        let folder = slash.map { String(word[...$0]) } ?? ""
        let prefix = slash.map { String(word[word.index(after: $0)...]) } ?? word
        let fm = FileManager.default
        var listed = folder.isEmpty ? "." : folder
        if let base, !listed.hasPrefix("/") { listed = (base as NSString).appendingPathComponent(listed) }
        guard let names = try? fm.contentsOfDirectory(atPath: listed) else { return [] }
        return names.filter { $0.hasPrefix(prefix) && (prefix.hasPrefix(".") || !$0.hasPrefix(".")) }.sorted()
            .map { name in
                var isFolder: ObjCBool = false
                let exists = fm.fileExists(
                    atPath: (listed as NSString).appendingPathComponent(name), isDirectory: &isFolder)
                return folder + name + (exists && isFolder.boolValue ? "/" : "")
            }
    }

    /// libedit's generator protocol: state 0 starts over; each call returns the next of `candidates`
    /// (malloc'ed), already filtered by `complete`.
    private static let nextCandidate: @convention(c) (UnsafePointer<CChar>?, Int32) -> UnsafeMutablePointer<CChar>? = {
        _, state in
        if state == 0 { candidateIndex = 0 }
        guard candidateIndex < candidates.count else { return nil }
        candidateIndex += 1
        return strdup(candidates[candidateIndex - 1])
    }
}

/// read(2) of one byte from stdin (at file scope: inside `LineEditor`, `read` names its method).
private func readStdin(_ byte: UnsafeMutablePointer<UInt8>) -> Int { read(STDIN_FILENO, byte, 1) }
