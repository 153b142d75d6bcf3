// Durable file writes with POSIX calls: every file charnn writes (checkpoint files, safetensors,
// loss plots, metrics, the corpus id cache) goes through here, so that short writes, EINTR, a full disk and a crash
// midway all behave the same way everywhere.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A write that failed: the file and the reason (the errno text, e.g. "No space left on device").
public struct FileWriteError: Error, Equatable, Sendable, CustomStringConvertible {
    public let path: String
    public let reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String { "cannot write \(quotedPath(path)): \(reason)" }
}

/// Whole-file replacement that a crash cannot leave half-written.
public enum DurableFile {
    /// Replaces the file at `path` with `bytes`: writes a temporary file in the same directory,
    /// fsyncs it, renames it over `path` and fsyncs the directory. A process killed at any moment
    /// leaves either the old or the new file. When `path` exists and is not a regular file
    /// (/dev/null, /dev/full, a FIFO) the bytes are written into it directly instead.
    public static func write(_ bytes: UnsafeRawBufferPointer, to path: String) throws(FileWriteError) {
        try write(parts: [bytes], to: path)
    }

    /// `write(_:to:)` for a file made of several buffers (a header, then a large body), written one
    /// after the other without copying them into one.
    public static func write(parts: [UnsafeRawBufferPointer], to path: String) throws(FileWriteError) {
        var info = stat()
        if stat(path, &info) == 0 && (info.st_mode & S_IFMT) != S_IFREG {
            let fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC)
            guard fd >= 0 else { throw failure(path) }
            defer { _ = close(fd) }
            for bytes in parts { try writeAll(fd: fd, bytes, path: path) }
            return
        }
        let directory = parent(of: path)
        let name = path.split(separator: "/").last.map(String.init) ?? path
        let temporary = (directory == "." && !path.hasPrefix("./") ? "" : directory + "/") + ".\(name).\(getpid()).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failure(path) }
        do throws(FileWriteError) {
            for bytes in parts { try writeAll(fd: fd, bytes, path: path) }
            guard fsync(fd) == 0 else { throw failure(path, "fsync: ") }
            guard close(fd) == 0 else { _ = unlink(temporary); throw failure(path) }
        } catch {
            _ = close(fd)
            _ = unlink(temporary)
            throw error
        }
        guard rename(temporary, path) == 0 else {
            let e = failure(path, "rename: ")
            _ = unlink(temporary)
            throw e
        }
        try syncDirectory(directory)
    }

    /// `write(_:to:)` for an array of bytes.
    public static func write(_ bytes: [UInt8], to path: String) throws(FileWriteError) {
        var thrown: FileWriteError? = nil
        bytes.withUnsafeBytes { raw in
            do throws(FileWriteError) { try write(raw, to: path) } catch { thrown = error }
        }
        if let thrown { throw thrown }
    }

    /// Writes every byte to `fd`: retries after EINTR, continues after short writes, and throws
    /// the errno text of any other failure (ENOSPC, EIO, EPIPE …).
    public static func writeAll(fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws(FileWriteError) {
        var offset = 0
        while offset < bytes.count {
            let n = posixWrite(fd, bytes.baseAddress! + offset, min(bytes.count - offset, 1 << 30))
            if n < 0 {
                if errno == EINTR { continue }
                throw failure(path)
            }
            if n == 0 { throw FileWriteError(path: path, reason: "the device accepts no more bytes") }
            offset += n
        }
    }

    /// Reads into `buffer` from `offset` of `fd` until the buffer is full or the file ends: pread,
    /// retried after EINTR and continued after short reads (`writeAll`'s counterpart).
    /// - Returns: the bytes read (fewer than `buffer.count` only at the end of the file), or the
    ///   errno text of a failure.
    public static func readAll(fd: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int)
        -> Result<Int, ReadFailure>
    {
        var done = 0
        while done < buffer.count {
            let n = pread(fd, buffer.baseAddress! + done, buffer.count - done, off_t(offset + done))
            if n < 0 && errno == EINTR { continue }
            if n < 0 { return .failure(ReadFailure(reason: errnoReason(errno))) }
            if n == 0 { break }
            done += n
        }
        return .success(done)
    }

    /// Why `readAll` failed: the errno text.
    public struct ReadFailure: Error, Equatable, Sendable {
        public let reason: String
    }

    /// Flushes a directory's entries (a rename is durable only once its directory is).
    public static func syncDirectory(_ path: String) throws(FileWriteError) {
        let fd = open(path.isEmpty ? "." : path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw failure(path) }
        defer { _ = close(fd) }
        // Some file systems cannot fsync a directory (EINVAL): nothing more can be done there.
        if fsync(fd) != 0 && errno != EINVAL { throw failure(path, "fsync: ") }
    }

    /// The directory holding `path` ("." for a bare name).
    public static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    static func failure(_ path: String, _ what: String = "") -> FileWriteError {
        FileWriteError(path: path, reason: what + errnoReason(errno))
    }
}

/// A file opened for appending lines (metrics.jsonl); every write error is thrown, none traps.
public final class AppendingFile {
    public let path: String
    private var fd: Int32

    /// Opens (creating if needed) `path` for appending.
    public init(path: String) throws(FileWriteError) {
        self.path = path
        fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw DurableFile.failure(path) }
    }

    /// Appends `bytes` in full, or throws with the errno text.
    public func append(_ bytes: [UInt8]) throws(FileWriteError) {
        guard fd >= 0 else { throw FileWriteError(path: path, reason: "the file is closed") }
        var thrown: FileWriteError? = nil
        bytes.withUnsafeBytes { raw in
            do throws(FileWriteError) { try DurableFile.writeAll(fd: fd, raw, path: path) } catch { thrown = error }
        }
        if let thrown { throw thrown }
    }

    /// Closes the file (also done at deinit).
    public func close() {
        if fd >= 0 { _ = closeFile(fd) }
        fd = -1
    }

    deinit { close() }
}

// `write`/`close` are shadowed by the methods above inside the types.
@inline(__always) private func posixWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    write(fd, buffer, count)
}

@inline(__always) private func closeFile(_ fd: Int32) -> Int32 { close(fd) }
