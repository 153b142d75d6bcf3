// Reading a safetensors file tensor by tensor, without holding the whole file in memory.
import FileIO

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A safetensors file open for reading: its header is read and validated whole when it opens
/// (the same checks as `SafeTensors.decode`), and each tensor's bytes are then read from the
/// file straight into memory the caller gives. Loading a model this way needs its weights in
/// memory once, not the file's bytes, the decoded values and the weights.
public final class SafeTensorsReader {
    /// One tensor of the file: its name, shape and number of values.
    public struct Entry: Sendable {
        public let name: String
        public let shape: [Int]
        public let count: Int
        let dtype: DType
        let begin: Int
        let end: Int
    }

    /// The file's path, as given.
    public let path: String
    /// The tensors in file order (ascending data offset).
    public let entries: [Entry]
    /// The `__metadata__` pairs (empty when the file has none).
    public let metadata: [String: String]
    private let fd: Int32
    private let dataStart: Int

    /// Opens `path` and validates its header.
    /// - Throws: ``SafeTensorsError/cannotRead(path:reason:)`` (missing, a directory, not a
    ///   regular file, an I/O error), or a format error wrapped in ``SafeTensorsError/inFile(path:_:)``.
    public init(path: String) throws(SafeTensorsError) {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .cannotRead(path: path, reason: errnoReason(errno)) }
        do throws(SafeTensorsError) {
            var info = stat()
            guard fstat(fd, &info) == 0 else { throw .cannotRead(path: path, reason: errnoReason(errno)) }
            if (info.st_mode & S_IFMT) == S_IFDIR { throw .cannotRead(path: path, reason: "is a directory") }
            // A device or a pipe has no size to check and may never end: tensors come from regular files only.
            if (info.st_mode & S_IFMT) != S_IFREG {
                throw .cannotRead(path: path, reason: "not a regular file (a device, a pipe or a socket)")
            }
            let size = Int(info.st_size)
            var first8 = [UInt8](repeating: 0, count: 8)
            let got = try Self.read(fd, into: &first8, count: min(8, size), path: path)
            let header: ParsedHeader
            do throws(SafeTensorsError) {
                let length = try withBytes(first8) { raw throws(SafeTensorsError) in
                    try SafeTensors.headerLength(UnsafeRawBufferPointer(rebasing: raw[0..<got]), fileSize: size)
                }
                var prefix = [UInt8](repeating: 0, count: 8 + length)
                prefix.replaceSubrange(0..<8, with: first8)
                let read = try Self.read(fd, into: &prefix, count: prefix.count, path: path)
                guard read == prefix.count else { throw .cannotRead(path: path, reason: "the file ended early") }
                header = try withBytes(prefix) { raw throws(SafeTensorsError) in
                    try SafeTensors.parseHeader(prefix: raw, fileSize: size)
                }
            } catch let error where !error.isIOError {
                throw .inFile(path: path, error)
            }
            entries = header.entries.map {
                Entry(name: $0.name, shape: $0.shape, count: $0.count, dtype: $0.dtype, begin: $0.begin, end: $0.end)
            }
            metadata = header.metadata
            dataStart = header.dataStart
        } catch {
            close(fd)
            throw error
        }
        self.fd = fd
    }

    deinit { close(fd) }

    /// Reads `entry`'s values into `destination` (exactly `entry.count` floats), converting F16,
    /// BF16 and F64 as `SafeTensors.decode` does.
    /// - Throws: ``SafeTensorsError/cannotRead(path:reason:)`` when the bytes cannot be read
    ///   (an I/O error, or the file shrank since it was opened).
    public func read(_ entry: Entry, into destination: UnsafeMutableBufferPointer<Float>) throws(SafeTensorsError) {
        precondition(destination.count == entry.count, "the destination must hold the tensor's values")
        let bytes = entry.end - entry.begin
        #if _endian(little)
        if entry.dtype == .f32 {
            let raw = UnsafeMutableRawBufferPointer(destination)
            try readExactly(into: raw, at: dataStart + entry.begin, count: bytes)
            return
        }
        #endif
        let staging = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes, 1), alignment: 8)
        defer { staging.deallocate() }
        try readExactly(into: staging, at: dataStart + entry.begin, count: bytes)
        let values = entry.dtype.floats(from: UnsafeRawBufferPointer(rebasing: staging[0..<bytes]), count: entry.count)
        values.withUnsafeBufferPointer { _ = destination.initialize(from: $0) }
    }

    /// `entry`'s values as an array.
    public func values(_ entry: Entry) throws(SafeTensorsError) -> [Float] {
        let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: max(entry.count, 1))
        defer { buffer.deallocate() }
        let values = UnsafeMutableBufferPointer(rebasing: buffer[0..<entry.count])
        try read(entry, into: values)
        return Array(values)
    }

    private func readExactly(into raw: UnsafeMutableRawBufferPointer, at offset: Int, count: Int)
        throws(SafeTensorsError)
    {
        let got = try Self.count(
            DurableFile.readAll(fd: fd, into: UnsafeMutableRawBufferPointer(rebasing: raw[0..<count]), at: offset),
            path: path)
        guard got == count else { throw .cannotRead(path: path, reason: "the file ended early") }
    }

    /// Reads the file's first `count` bytes into `array` (fewer at the end of the file); returns how many.
    private static func read(_ fd: Int32, into array: inout [UInt8], count: Int, path: String)
        throws(SafeTensorsError) -> Int
    {
        try Self.count(
            array.withUnsafeMutableBytes { DurableFile.readAll(fd: fd, into: .init(rebasing: $0[0..<count]), at: 0) },
            path: path)
    }

    /// The bytes `DurableFile.readAll` read, or its failure as this file's error.
    private static func count(_ result: Result<Int, DurableFile.ReadFailure>, path: String) throws(SafeTensorsError)
        -> Int
    {
        switch result {
        case .success(let n): return n
        case .failure(let e): throw .cannotRead(path: path, reason: e.reason)
        }
    }
}

/// `body` over the bytes of `array`, with its typed error carried out (`withUnsafeBytes` rethrows untyped).
private func withBytes<R>(_ array: [UInt8], _ body: (UnsafeRawBufferPointer) throws(SafeTensorsError) -> R)
    throws(SafeTensorsError) -> R
{
    let result: Result<R, SafeTensorsError> = array.withUnsafeBytes { raw in
        do throws(SafeTensorsError) { return .success(try body(raw)) } catch { return .failure(error) }
    }
    return try result.get()
}

extension SafeTensorsError {
    /// An error of reading the file rather than of its contents.
    var isIOError: Bool {
        if case .cannotRead = self { return true }
        return false
    }
}
