import FileIO
import Foundation
import NeuralCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The last good parameters and optimizer state, where a roll-back returns to
/// (`Trainer.takeSnapshot`, `restoreSnapshot`).
///
/// With Adam the snapshot is three copies of the parameters, nearly half of training's resident
/// memory, and it is read back only when training diverges. So it lives in an unlinked file in
/// the temporary folder (`$TMPDIR`, else /tmp): the operating system's page cache holds it while
/// memory is free and writes it out when memory is short, and it vanishes with the process.
/// Where that folder is in memory anyway (tmpfs) or the file cannot be made or written (a full
/// disk), the copy stays in the process, as before: nothing is lost, only the saving.
final class RollbackSnapshot {
    /// The unlinked file, or -1 (not tried yet, or the copy is in `memory`).
    private(set) var fd: Int32 = -1
    private var triedFile = false
    private var memory: [[Float]] = []
    private var counts: [Int] = []
    /// Where the copy is, for tests and the memory estimate.
    private(set) var isInFile = false
    /// The folder of the file (`defaultFolder` unless a test says otherwise).
    let folder: String

    init(folder: String = RollbackSnapshot.defaultFolder) { self.folder = folder }

    var isEmpty: Bool { counts.isEmpty }

    deinit { if fd >= 0 { close(fd) } }

    /// Replaces the snapshot with the values of `buffers`.
    func take(_ buffers: [FloatBuffer]) {
        counts = buffers.map(\.count)
        if !triedFile {
            triedFile = true
            fd = Self.openUnlinkedFile(in: folder)
        }
        if fd >= 0 && write(buffers) {
            memory = []
            isInFile = true
            return
        }
        if fd >= 0 {
            close(fd)
            fd = -1
        }
        isInFile = false
        memory = buffers.map(\.array)
    }

    /// The snapshot's file could not be read back (an I/O error of the disk).
    struct ReadError: Error, Equatable {
        /// The folder the unlinked file was made in, and what went wrong.
        var folder: String, reason: String
    }

    /// Copies the snapshot into `buffers` (the same shapes as when it was taken).
    /// - Throws: `ReadError` when the file cannot be read back.
    func restore(into buffers: [FloatBuffer]) throws(ReadError) {
        precondition(buffers.map(\.count) == counts, "the snapshot's shapes differ from the buffers'")
        guard isInFile else {
            for (b, values) in zip(buffers, memory) {
                values.withUnsafeBufferPointer { b.pointer.update(from: $0.baseAddress!, count: b.count) }
            }
            return
        }
        var offset = 0
        for b in buffers {
            let bytes = b.count * MemoryLayout<Float>.stride
            let raw = UnsafeMutableRawBufferPointer(start: b.pointer, count: bytes)
            switch DurableFile.readAll(fd: fd, into: raw, at: offset) {
            case .failure(let e): throw ReadError(folder: folder, reason: e.reason)
            case .success(let n) where n < bytes: throw ReadError(folder: folder, reason: "the file ended early")
            case .success: offset += bytes
            }
        }
    }

    private func write(_ buffers: [FloatBuffer]) -> Bool {
        guard lseek(fd, 0, SEEK_SET) == 0 else { return false }
        do {
            for b in buffers {
                try DurableFile.writeAll(
                    fd: fd, UnsafeRawBufferPointer(start: b.pointer, count: b.count * MemoryLayout<Float>.stride),
                    path: folder)
            }
        } catch {
            return false
        }
        return true
    }

    static var defaultFolder: String {
        let t = ProcessInfo.processInfo.environment["TMPDIR"] ?? ""
        return t.isEmpty ? "/tmp" : t
    }

    /// A new file in `folder`, unlinked at once; -1 when it cannot be made or the folder is in memory.
    static func openUnlinkedFile(in folder: String) -> Int32 {
        guard !isInMemory(folder) else { return -1 }
        var template = Array((folder + "/charnn-rollback-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { return -1 }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        return fd
    }

    /// Whether `path` is on a file system kept in memory (tmpfs, ramfs), where a file saves nothing:
    /// the type of the deepest mount that holds it, from /proc/self/mountinfo (Linux; elsewhere no).
    static func isInMemory(_ path: String) -> Bool {
        #if os(Linux)
        guard let resolved = realpath(path, nil) else { return true }
        let target = String(cString: resolved)
        free(resolved)
        guard let table = try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8) else { return false }
        var best: (depth: Int, type: Substring)? = nil
        for line in table.split(separator: "\n") {
            // "36 35 98:0 /mnt1 /mnt/parent rw,noatime master:1 - ext3 /dev/root rw": the mount point is
            // the fifth field, the type the first after " - " (octal escapes such as \040 for a space).
            let fields = line.split(separator: " ", omittingEmptySubsequences: false)
            guard fields.count > 4, let dash = fields.firstIndex(of: "-"), dash + 1 < fields.count else { continue }
            let point = fields[4].replacingOccurrences(of: "\\040", with: " ")
            let holds = point == "/" || target == point || target.hasPrefix(point + "/")
            if holds && point.count >= (best?.depth ?? -1) { best = (point.count, fields[dash + 1]) }
        }
        return best.map { $0.type == "tmpfs" || $0.type == "ramfs" } ?? false
        #else
        return false
        #endif
    }
}
