// Every platform branch of Tokenization lives here:
//  - files and memory through POSIX (Glibc on Linux, Darwin on Apple platforms);
//  - the NFC backend: ICU through the CICU shim on Linux, Foundation's
//    `precomposedStringWithCanonicalMapping` on Apple platforms.
#if canImport(Darwin)
import Darwin
import Foundation
#elseif canImport(Glibc)
import Glibc
internal import CICU
#elseif canImport(Musl)
import Musl
internal import CICU
#else
#error("Tokenization needs a POSIX C library (Glibc, Musl or Darwin)")
#endif

// MARK: - Memory

/// `malloc`; traps when the system is out of memory.
func allocateBytes(_ byteCount: Int) -> UnsafeMutableRawPointer {
    guard let p = malloc(max(byteCount, 1)) else { fatalError("out of memory allocating \(byteCount) bytes") }
    return p
}

/// Zero-filled memory (`calloc`): for large blocks the pages are mapped lazily,
/// so untouched parts of a big table cost no resident memory.
func allocateZeroedBytes(_ byteCount: Int) -> UnsafeMutableRawPointer {
    guard let p = calloc(max(byteCount, 1), 1) else { fatalError("out of memory allocating \(byteCount) bytes") }
    return p
}

/// `realloc`: grows or shrinks a block from `allocateBytes`, keeping its contents.
func reallocateBytes(_ pointer: UnsafeMutableRawPointer, _ byteCount: Int) -> UnsafeMutableRawPointer {
    guard let p = realloc(pointer, max(byteCount, 1)) else { fatalError("out of memory allocating \(byteCount) bytes") }
    return p
}

/// `free` for blocks from `allocateBytes`, `allocateZeroedBytes` or `reallocateBytes`.
func deallocateBytes(_ pointer: UnsafeMutableRawPointer) {
    free(pointer)
}

// MARK: - Files

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
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") where line.hasPrefix("MemAvailable:") {
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

// MARK: - NFC backend

#if canImport(Darwin)

/// NFC through Foundation (Apple platforms ship no public ICU C API).
final class NFCBackend {
    private var output: UnsafeMutablePointer<UInt8>
    private var outputCapacity: Int

    init() {
        outputCapacity = 1 << 12
        output = allocateBytes(outputCapacity).assumingMemoryBound(to: UInt8.self)
    }

    deinit { deallocateBytes(output) }

    /// Normalizes valid UTF-8 text to NFC.
    ///
    /// - Returns: `nil` when `text` is already in NFC, else the normalized text in a
    ///   buffer owned by the backend, valid until the next call.
    func normalize(_ text: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8>? {
        let source = String(decoding: text, as: UTF8.self)
        let normalized = source.precomposedStringWithCanonicalMapping
        if normalized.utf8.elementsEqual(text) { return nil }
        let count = normalized.utf8.count
        if count > outputCapacity {
            outputCapacity = count
            output = reallocateBytes(output, outputCapacity).assumingMemoryBound(to: UInt8.self)
        }
        var i = 0
        for b in normalized.utf8 { output[i] = b; i += 1 }
        return UnsafeBufferPointer(start: output, count: count)
    }
}

#else

/// NFC through ICU (`unorm2_spanQuickCheckYes`, then `unorm2_normalize` only for
/// text that is not certainly in NFC already). ICU works on UTF-16, so the text
/// is transcoded into reused buffers.
final class NFCBackend {
    private var utf16: UnsafeMutablePointer<UInt16>
    private var utf16Capacity = 0
    private var normalized16: UnsafeMutablePointer<UInt16>
    private var normalized16Capacity = 0
    private var output: UnsafeMutablePointer<UInt8>
    private var outputCapacity = 0

    init() {
        utf16Capacity = 1 << 12
        normalized16Capacity = 1 << 12
        outputCapacity = 1 << 12
        utf16 = allocateBytes(utf16Capacity * 2).assumingMemoryBound(to: UInt16.self)
        normalized16 = allocateBytes(normalized16Capacity * 2).assumingMemoryBound(to: UInt16.self)
        output = allocateBytes(outputCapacity).assumingMemoryBound(to: UInt8.self)
    }

    deinit {
        deallocateBytes(utf16)
        deallocateBytes(normalized16)
        deallocateBytes(output)
    }

    /// Normalizes valid UTF-8 text to NFC.
    ///
    /// - Returns: `nil` when `text` is already in NFC, else the normalized text in a
    ///   buffer owned by the backend, valid until the next call.
    func normalize(_ text: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8>? {
        // One UTF-16 unit per UTF-8 byte at most.
        precondition(text.count < Int(Int32.max) / 4, "text segment too long for ICU: \(text.count) bytes")
        if text.count > utf16Capacity {
            utf16Capacity = text.count
            utf16 = reallocateBytes(utf16, utf16Capacity * 2).assumingMemoryBound(to: UInt16.self)
        }
        let length16 = transcodeUTF8ToUTF16(text, into: utf16)
        let span = cicu_nfc_span_quick_check_yes(utf16, Int32(length16))
        precondition(span >= 0, "ICU NFC normalizer unavailable")
        if Int(span) == length16 { return nil }

        var written = Int(cicu_nfc_normalize(utf16, Int32(length16), normalized16, Int32(normalized16Capacity)))
        if written > normalized16Capacity {
            normalized16Capacity = written
            normalized16 = reallocateBytes(normalized16, normalized16Capacity * 2).assumingMemoryBound(to: UInt16.self)
            written = Int(cicu_nfc_normalize(utf16, Int32(length16), normalized16, Int32(normalized16Capacity)))
        }
        precondition(written >= 0 && written <= normalized16Capacity, "ICU NFC normalization failed")

        // Three UTF-8 bytes per UTF-16 unit at most.
        if written * 3 > outputCapacity {
            outputCapacity = written * 3
            output = reallocateBytes(output, outputCapacity).assumingMemoryBound(to: UInt8.self)
        }
        let count = transcodeUTF16ToUTF8(UnsafeBufferPointer(start: normalized16, count: written), into: output)
        return UnsafeBufferPointer(start: output, count: count)
    }
}

#endif
