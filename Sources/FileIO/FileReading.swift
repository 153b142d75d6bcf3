import Dispatch

// Reading files with plain POSIX calls: the corpus streamed in chunks, small files (a vocabulary,
// a prime text, a checkpoint's JSON) read whole under a size limit. Every reader of the program
// opens its files here, so a missing file, a directory, an endless pipe and a FIFO without a
// writer are met the same way everywhere.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A read that failed: the file and what is wrong, as facts.
public enum FileReadError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The path is the empty string (`charnn train ''`).
    case emptyPath
    /// No file at this path (ENOENT, ENOTDIR).
    case notFound(path: String)
    /// The path names a directory.
    case isDirectory(path: String)
    /// The file exists but cannot be read: the system's reason ("Permission denied").
    case unreadable(path: String, reason: String)
    /// More than `limit` bytes (a link to /dev/zero, an endless pipe, a huge file).
    case tooLarge(path: String, limit: Int)

    public var description: String {
        switch self {
        case .emptyPath: return "the file name is empty"
        case .notFound(let path): return "\(quotedPath(path)): \(errnoReason(ENOENT))"
        case .isDirectory(let path): return "\(quotedPath(path)): \(errnoReason(EISDIR))"
        case .unreadable(let path, let reason): return "\(quotedPath(path)): \(reason)"
        case .tooLarge(let path, let limit): return "\(quotedPath(path)): larger than \(limit) bytes"
        }
    }
}

/// Who hears that an open waits for a writer: the executable sets this once at start (a library
/// never prints); nil, the default, waits silently.
public enum FIFOWaiting {
    /// Called once, on another thread, when opening the FIFO at the path has waited `delay`.
    nonisolated(unsafe) public static var notice: (@Sendable (String) -> Void)? = nil
    /// Seconds before `notice` is called.
    nonisolated(unsafe) public static var delay: Double = 2
}

/// A file opened for reading (no buffering of ours: callers read big chunks into their own buffers).
public final class ReadableFile {
    public let path: String
    /// Size reported by `fstat` (0 for pipes and devices): a hint, not a promise.
    public let sizeHint: Int
    /// The open file descriptor (closed at deinit).
    public let descriptor: Int32

    /// Opens `path` for reading. A FIFO without a writer blocks here until one comes; after
    /// `FIFOWaiting.delay` seconds `FIFOWaiting.notice` hears of it.
    ///
    /// - Throws: `FileReadError.emptyPath`, `.notFound`, `.isDirectory` or `.unreadable`.
    public init(path: String) throws(FileReadError) {
        guard !path.isEmpty else { throw .emptyPath }
        self.path = path
        let fd = Self.open(path)
        if fd < 0 {
            let code = errno
            if code == ENOENT || code == ENOTDIR { throw .notFound(path: path) }
            if code == EISDIR { throw .isDirectory(path: path) }
            throw .unreadable(path: path, reason: errnoReason(code))
        }
        var info = stat()
        if fstat(fd, &info) != 0 {
            let code = errno
            _ = close(fd)
            throw .unreadable(path: path, reason: errnoReason(code))
        }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            _ = close(fd)
            throw .isDirectory(path: path)
        }
        descriptor = fd
        sizeHint = (info.st_mode & S_IFMT) == S_IFREG ? Int(info.st_size) : 0
    }

    /// open(2), telling `FIFOWaiting.notice` when a FIFO keeps it waiting for a writer.
    private static func open(_ path: String) -> Int32 {
        var info = stat()
        guard let notice = FIFOWaiting.notice, stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFIFO else {
            return openFile(path, O_RDONLY | O_CLOEXEC)
        }
        let opened = OpenFlag()
        DispatchQueue.global().asyncAfter(deadline: .now() + FIFOWaiting.delay) {
            if !opened.isSet { notice(path) }
        }
        let fd = openFile(path, O_RDONLY | O_CLOEXEC)
        opened.set()
        return fd
    }

    deinit { _ = close(descriptor) }

    /// Reads up to `count` bytes into `buffer`; returns 0 at the end of the file.
    ///
    /// - Throws: `FileReadError.isDirectory` or `.unreadable` on an I/O error.
    public func read(into buffer: UnsafeMutableRawPointer, count: Int) throws(FileReadError) -> Int {
        while true {
            let n = readFile(descriptor, buffer, count)
            if n >= 0 { return n }
            let code = errno
            if code == EINTR { continue }
            if code == EISDIR { throw .isDirectory(path: path) }
            throw .unreadable(path: path, reason: errnoReason(code))
        }
    }

    /// The rest of the file, at most `limit` bytes.
    ///
    /// - Throws: `FileReadError.tooLarge` past `limit` bytes (nothing that large is allocated),
    ///   and the errors of `read`.
    public func readAll(limit: Int) throws(FileReadError) -> [UInt8] {
        if sizeHint > limit { throw .tooLarge(path: path, limit: limit) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(min(sizeHint, limit))
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            var failure: FileReadError? = nil
            let n = chunk.withUnsafeMutableBytes { raw -> Int in
                do throws(FileReadError) { return try read(into: raw.baseAddress!, count: raw.count) } catch {
                    failure = error
                    return 0
                }
            }
            if let failure { throw failure }
            if n == 0 { return bytes }
            if bytes.count + n > limit { throw .tooLarge(path: path, limit: limit) }
            bytes.append(contentsOf: chunk[0..<n])
        }
    }

    /// The whole file at `path`, at most `limit` bytes: the one whole-file read.
    ///
    /// - Throws: the errors of `init(path:)` and `readAll(limit:)`.
    public static func bytes(at path: String, limit: Int) throws(FileReadError) -> [UInt8] {
        try ReadableFile(path: path).readAll(limit: limit)
    }
}

/// Set once, read from another thread.
private final class OpenFlag: @unchecked Sendable {
    private var lock = pthread_mutex_t()
    private var value = false
    init() { pthread_mutex_init(&lock, nil) }
    deinit { pthread_mutex_destroy(&lock) }
    var isSet: Bool {
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        return value
    }
    func set() {
        pthread_mutex_lock(&lock)
        value = true
        pthread_mutex_unlock(&lock)
    }
}

// `open`/`read`/`close` are shadowed by the methods above inside the type.
@inline(__always) private func openFile(_ path: String, _ flags: Int32) -> Int32 { open(path, flags) }
@inline(__always) private func readFile(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
    read(fd, buffer, count)
}
