// Files through plain POSIX calls: reading a corpus, writing a small file atomically, the
// memory available, and errno texts.
#if canImport(Darwin)
import Darwin
import Foundation
#elseif canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#else
#error("Tokenization needs a POSIX C library (Glibc, Musl or Darwin)")
#endif

/// A file opened for reading with plain POSIX calls (no buffering of ours: the
/// corpus encoder reads big chunks into its own buffer).
final class InputFile {
    let path: String
    /// Size reported by `fstat` (0 for pipes and devices): a hint, not a promise.
    let sizeHint: Int
    private let descriptor: Int32

    /// Opens `path` for reading.
    ///
    /// - Throws: `TokenizationError.fileNotFound`, `.isDirectory` or `.unreadable`.
    init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY)
        if fd < 0 {
            let code = errno
            if code == ENOENT || code == ENOTDIR || path.isEmpty { throw TokenizationError.fileNotFound(path: path) }
            if code == EISDIR { throw TokenizationError.isDirectory(path: path) }
            throw TokenizationError.unreadable(path: path, reason: errorMessage(code))
        }
        var info = stat()
        if fstat(fd, &info) != 0 {
            let code = errno
            close(fd)
            throw TokenizationError.unreadable(path: path, reason: errorMessage(code))
        }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            close(fd)
            throw TokenizationError.isDirectory(path: path)
        }
        descriptor = fd
        sizeHint = (info.st_mode & S_IFMT) == S_IFREG ? Int(info.st_size) : 0
    }

    deinit { close(descriptor) }

    /// Reads up to `count` bytes into `buffer`; returns 0 at the end of the file.
    ///
    /// - Throws: `TokenizationError.unreadable` on an I/O error.
    func read(into buffer: UnsafeMutableRawPointer, count: Int) throws -> Int {
        while true {
            #if canImport(Darwin)
            let n = Darwin.read(descriptor, buffer, count)
            #elseif canImport(Glibc)
            let n = Glibc.read(descriptor, buffer, count)
            #else
            let n = Musl.read(descriptor, buffer, count)
            #endif
            if n >= 0 { return n }
            let code = errno
            if code == EINTR { continue }
            if code == EISDIR { throw TokenizationError.isDirectory(path: path) }
            throw TokenizationError.unreadable(path: path, reason: errorMessage(code))
        }
    }

    /// The whole file (for small files such as vocab.json).
    ///
    /// - Throws: `TokenizationError.fileTooLarge` past `limit` bytes (a link to
    ///   `/dev/zero` or an endless pipe), and the errors of `read`.
    func readAll(limit: Int) throws -> [UInt8] {
        if sizeHint > limit { throw TokenizationError.fileTooLarge(path: path, limit: limit) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = try chunk.withUnsafeMutableBytes { try read(into: $0.baseAddress!, count: $0.count) }
            if n == 0 { return bytes }
            if bytes.count + n > limit { throw TokenizationError.fileTooLarge(path: path, limit: limit) }
            bytes.append(contentsOf: chunk[0..<n])
        }
    }
}

/// Writes `bytes` to `path` atomically: to a temporary file in the same folder,
/// flushed to disk, then renamed over `path`.
///
/// - Throws: `TokenizationError.writeFailed` with the system's reason.
func writeFileAtomically(path: String, bytes: [UInt8]) throws {
    let temporary = path + ".tmp-\(getpid())"
    func failure(_ code: Int32) -> TokenizationError { .writeFailed(path: path, reason: errorMessage(code)) }
    let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    if fd < 0 { throw failure(errno) }
    var written = 0
    while written < bytes.count {
        let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
        if n < 0 {
            let code = errno
            if code == EINTR { continue }
            close(fd); unlink(temporary)
            throw failure(code)
        }
        written += n
    }
    let synced = fsync(fd) == 0
    let syncCode = errno
    let closed = close(fd) == 0
    let closeCode = errno
    if !synced || !closed {
        unlink(temporary)
        throw failure(synced ? closeCode : syncCode)
    }
    if rename(temporary, path) != 0 {
        let code = errno
        unlink(temporary)
        throw failure(code)
    }
}

/// The memory the system can give this process now without swapping, in bytes:
/// `MemAvailable` of `/proc/meminfo` on Linux, else the physical memory.
func availableMemoryBytes() -> Int {
    #if os(Linux)
    if let file = try? InputFile(path: "/proc/meminfo"), let bytes = try? file.readAll(limit: 1 << 20) {
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") where line.hasPrefix("MemAvailable:")
        {
            let digits = line.dropFirst("MemAvailable:".count).filter { $0.isNumber }
            if let kib = Int(digits), kib < Int.max / 1024 { return kib * 1024 }
        }
    }
    #endif
    let pages = sysconf(Int32(_SC_PHYS_PAGES)), pageSize = sysconf(Int32(_SC_PAGESIZE))
    guard pages > 0, pageSize > 0, pages < Int.max / pageSize else { return Int.max }
    return pages * pageSize
}

/// `strerror` as a Swift string ("Permission denied").
func errorMessage(_ code: Int32) -> String {
    guard let text = strerror(code) else { return "error \(code)" }
    return String(cString: text)
}
