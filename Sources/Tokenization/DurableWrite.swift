// Writing a big file so that a crash leaves either the old file or the whole new one: the same
// temporary-file, fsync, rename, fsync-the-folder pattern as TensorIO's DurableFile (which this
// module cannot depend on), for a header followed by a large body written without a copy.
#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Why a cache could not be written (the system's words).
struct CacheWriteFailure: Error {
    let reason: String
}

/// Writes `prefix` then `body` to `path` durably; creates `path`'s folder (one level) when missing.
///
/// - Throws: `CacheWriteFailure`; the temporary file is removed.
func writeDurably(prefix: [UInt8], body: UnsafeRawBufferPointer, to path: String) throws {
    let folder = parentFolder(of: path)
    if access(folder, F_OK) != 0 { _ = mkdirParents(folder) }
    var random = SystemRandomNumberGenerator()
    let temporary = path + ".tmp-\(getpid())-\(String(random.next() & 0xffff_ffff, radix: 16))"
    let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
    if fd < 0 { throw CacheWriteFailure(reason: errorMessage(errno)) }
    func fail(_ code: Int32) -> CacheWriteFailure {
        close(fd)
        unlink(temporary)
        return CacheWriteFailure(reason: errorMessage(code))
    }
    func writeAll(_ part: UnsafeRawBufferPointer) throws {
        var written = 0
        while written < part.count {
            // At most 1 GiB per call: Linux writes at most 0x7ffff000 bytes at once anyway.
            let n = write(fd, part.baseAddress! + written, min(part.count - written, 1 << 30))
            if n < 0 {
                if errno == EINTR { continue }
                throw fail(errno)
            }
            written += n
        }
    }
    try prefix.withUnsafeBytes { try writeAll($0) }
    try writeAll(body)
    if fsync(fd) != 0 { throw fail(errno) }
    if close(fd) != 0 {
        let code = errno
        unlink(temporary)
        throw CacheWriteFailure(reason: errorMessage(code))
    }
    if rename(temporary, path) != 0 {
        let code = errno
        unlink(temporary)
        throw CacheWriteFailure(reason: errorMessage(code))
    }
    let dir = open(folder, O_RDONLY | O_CLOEXEC)
    if dir >= 0 {
        _ = fsync(dir)
        close(dir)
    }
}

/// The folder of `path` ("." for a bare name).
func parentFolder(of path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "." }
    return slash == path.startIndex ? "/" : String(path[..<slash])
}

/// `mkdir -p`: creates `path` and its missing parents (0755); true when it exists afterwards.
func mkdirParents(_ path: String) -> Bool {
    if access(path, F_OK) == 0 { return true }
    let parent = parentFolder(of: path)
    if parent != path && parent != "." && parent != "/" { _ = mkdirParents(parent) }
    return mkdir(path, 0o755) == 0 || errno == EEXIST
}
