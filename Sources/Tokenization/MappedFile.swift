import FileIO

// A whole file mapped read-only: the pages are the page cache's, so every process mapping the
// same id cache shares one copy of it in memory (smaps' Pss counts each shared page once).
#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A read-only, shared mapping of a whole regular file, unmapped when the object goes away.
final class MappedFile: @unchecked Sendable {
    let path: String
    let base: UnsafeRawPointer
    let byteCount: Int
    /// `st_mtim` of the file when mapped, in nanoseconds since 1970.
    let modificationNanoseconds: Int64

    /// Maps `path`.
    ///
    /// - Throws: `TokenizationError.unreadable` (cannot open, not a regular file, empty, mmap fails).
    init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw TokenizationError.unreadable(path: path, reason: errnoReason(errno)) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw TokenizationError.unreadable(path: path, reason: errnoReason(errno)) }
        guard (info.st_mode & S_IFMT) == S_IFREG, info.st_size > 0 else {
            throw TokenizationError.unreadable(path: path, reason: "not a non-empty regular file")
        }
        byteCount = Int(info.st_size)
        modificationNanoseconds = fileModificationNanoseconds(info)
        // MAP_SHARED over a read-only descriptor: never written, so the pages stay the page cache's own.
        guard let p = mmap(nil, byteCount, PROT_READ, MAP_SHARED, fd, 0), p != UnsafeMutableRawPointer(bitPattern: -1)
        else {
            throw TokenizationError.unreadable(path: path, reason: "cannot map it into memory: \(errnoReason(errno))")
        }
        base = UnsafeRawPointer(p)
    }

    deinit { munmap(UnsafeMutableRawPointer(mutating: base), byteCount) }

    /// Tells the kernel how the mapping will be read (sequentially while validating, then at random).
    func advise(sequential: Bool) {
        #if os(Linux)
        _ = madvise(UnsafeMutableRawPointer(mutating: base), byteCount, sequential ? MADV_SEQUENTIAL : MADV_NORMAL)
        #endif
    }
}

/// A file's modification time in nanoseconds since 1970 (the corpus part of a cache's fingerprint).
func fileModificationNanoseconds(_ info: stat) -> Int64 {
    #if canImport(Darwin)
    return Int64(info.st_mtimespec.tv_sec) * 1_000_000_000 + Int64(info.st_mtimespec.tv_nsec)
    #else
    return Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
    #endif
}
