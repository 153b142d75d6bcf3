import FileIO

// Whole-file reads and writes of safetensors files with POSIX calls (the durable write
// itself is DurableFile.swift's).
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension SafeTensors {
    /// Encodes the tensors and writes them to `path`, replacing any file there.
    ///
    /// A plain write: a crash midway leaves a partial file. Callers that need
    /// atomicity (checkpoint directories) write into a temporary location,
    /// pass `durable: true`, and rename.
    ///
    /// - Parameters:
    ///   - durable: `fsync` the file before closing it.
    /// - Throws: the errors of ``encode(_:metadata:)``, or ``SafeTensorsError/cannotWrite(path:reason:)``.
    public static func write(
        _ tensors: [TensorRecord], metadata: [String: String] = [:], to path: String,
        durable: Bool = false
    ) throws(SafeTensorsError) {
        let bytes = try encode(tensors, metadata: metadata)
        try writeFile(bytes, to: path, durable: durable)
    }

    /// Writes float32 tensors to `path` from where they are in memory: the header, then each
    /// tensor's values straight from its pointer, with no copy of the data (the bytes are those
    /// `encode` would give). A checkpoint of a large model is written without a second copy of
    /// it in memory.
    ///
    /// - Parameters:
    ///   - durable: write a temporary file, `fsync` it and rename it over `path` (`DurableFile`).
    /// - Throws: the errors of ``header(for:metadata:)``, ``SafeTensorsError/valueCountMismatch(tensor:shape:valueCount:)``,
    ///   or ``SafeTensorsError/cannotWrite(path:reason:)``.
    public static func write(
        views tensors: [TensorView], metadata: [String: String] = [:], to path: String, durable: Bool = false
    ) throws(SafeTensorsError) {
        let layout = try header(for: tensors.map { ($0.name, $0.shape) }, metadata: metadata)
        for t in tensors where elementCount(of: t.shape) != t.values.count {
            throw .valueCountMismatch(tensor: t.name, shape: t.shape, valueCount: t.values.count)
        }
        #if _endian(little)
        var thrown: SafeTensorsError? = nil
        layout.bytes.withUnsafeBytes { head in
            let parts = [head] + layout.order.map { UnsafeRawBufferPointer(tensors[$0].values) }
            do throws(SafeTensorsError) { try writeFile(parts: parts, to: path, durable: durable) } catch {
                thrown = error
            }
        }
        if let thrown { throw thrown }
        #else
        try writeFile(
            try encode(
                tensors.map { TensorRecord(name: $0.name, shape: $0.shape, values: Array($0.values)) },
                metadata: metadata), to: path, durable: durable)
        #endif
    }

    /// Reads and decodes the safetensors file at `path`, tensor by tensor (`SafeTensorsReader`:
    /// the file's bytes are never all in memory next to the values).
    ///
    /// - Returns: the tensors in file order and the metadata, as `decode(_:)` of `[UInt8]`.
    /// - Throws: ``SafeTensorsError/cannotRead(path:reason:)``, or a format error wrapped
    ///   in ``SafeTensorsError/inFile(path:_:)`` so that its message names the file.
    public static func read(path: String) throws(SafeTensorsError) -> (
        tensors: [TensorRecord], metadata: [String: String]
    ) {
        let reader = try SafeTensorsReader(path: path)
        var tensors: [TensorRecord] = []
        tensors.reserveCapacity(reader.entries.count)
        for entry in reader.entries {
            tensors.append(TensorRecord(name: entry.name, shape: entry.shape, values: try reader.values(entry)))
        }
        return (tensors, reader.metadata)
    }

    static func writeFile(_ bytes: [UInt8], to path: String, durable: Bool) throws(SafeTensorsError) {
        var thrown: SafeTensorsError? = nil
        bytes.withUnsafeBytes { raw in
            do throws(SafeTensorsError) { try writeFile(parts: [raw], to: path, durable: durable) } catch {
                thrown = error
            }
        }
        if let thrown { throw thrown }
    }

    static func writeFile(parts: [UnsafeRawBufferPointer], to path: String, durable: Bool) throws(SafeTensorsError) {
        do throws(FileWriteError) {
            if durable {
                // Temporary file, fsync, rename, fsync of the directory: see DurableFile.
                try DurableFile.write(parts: parts, to: path)
                return
            }
            let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw FileWriteError(path: path, reason: errnoDescription()) }
            var thrown: FileWriteError? = nil
            for raw in parts where thrown == nil {
                do throws(FileWriteError) { try DurableFile.writeAll(fd: fd, raw, path: path) } catch { thrown = error }
            }
            if close(fd) != 0, thrown == nil { thrown = FileWriteError(path: path, reason: errnoDescription()) }
            if let thrown { throw thrown }
        } catch {
            throw .cannotWrite(path: path, reason: error.reason)
        }
    }

    private static func errnoDescription() -> String {
        errnoReason(errno)
    }
}
