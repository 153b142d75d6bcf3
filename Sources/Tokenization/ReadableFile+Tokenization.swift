// FileIO's reader with Tokenization's errors: the corpus, an evaluation file and vocab.json are
// opened and read through FileIO (the one file layer); this file only renames its failures.
import FileIO

extension TokenizationError {
    /// The same failure as one of this module's cases.
    init(_ error: FileReadError) {
        switch error {
        case .emptyPath: self = .fileNotFound(path: "")
        case .notFound(let path): self = .fileNotFound(path: path)
        case .isDirectory(let path): self = .isDirectory(path: path)
        case .unreadable(let path, let reason): self = .unreadable(path: path, reason: reason)
        case .tooLarge(let path, let limit): self = .fileTooLarge(path: path, limit: limit)
        }
    }
}

/// Opens `path` for reading through FileIO.
///
/// - Throws: `TokenizationError.fileNotFound` (also for an empty path), `.isDirectory` or `.unreadable`.
func openInput(_ path: String) throws(TokenizationError) -> ReadableFile {
    do throws(FileReadError) { return try ReadableFile(path: path) } catch { throw TokenizationError(error) }
}

extension ReadableFile {
    /// `read(into:count:)` with Tokenization's errors.
    func readChunk(into buffer: UnsafeMutableRawPointer, count: Int) throws(TokenizationError) -> Int {
        do throws(FileReadError) { return try read(into: buffer, count: count) } catch {
            throw TokenizationError(error)
        }
    }

    /// `readAll(limit:)` with Tokenization's errors.
    func readWhole(limit: Int) throws(TokenizationError) -> [UInt8] {
        do throws(FileReadError) { return try readAll(limit: limit) } catch { throw TokenizationError(error) }
    }
}

/// The memory the system lets this process take now (FileIO's `MemoryBudget`: MemAvailable,
/// the cgroup's limit, RLIMIT_AS and RLIMIT_DATA, the least of them).
func availableMemoryBytes() -> Int { MemoryBudget.available() }
