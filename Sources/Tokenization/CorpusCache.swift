import FileIO
import Foundation

// Encode a big corpus once; later runs, resumes and every rank of a job map the ids read-only.
#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Where id caches go, and for which corpora.
///
/// **Where.** Beside the corpus (`big.txt.grapheme-nfc.charnn-ids`): every run on that corpus,
/// from any run directory, and every rank of a job finds it there, so a gigabyte is encoded once
/// and lies in the page cache once. A run directory would not do: each run would encode again.
/// When the corpus's folder cannot be written (a read-only data set, another user's files), the
/// cache goes to `$XDG_CACHE_HOME/charnn` (else `~/.cache/charnn`), named after the corpus's
/// real path; when neither can be written, the ids stay in memory, as without a cache.
/// `CHARNN_IDS_CACHE=off` turns caching off; `CHARNN_IDS_CACHE=DIR` puts every cache in `DIR`
/// and caches corpora of any size.
///
/// **Which.** Corpora of at least `defaultMinimumBytes` (16 MiB): smaller ones encode in well
/// under a second, and a cache beside every small text would be litter.
public struct CorpusCachePolicy: Sendable, Equatable {
    public var enabled: Bool
    /// nil: beside the corpus, else the user's cache folder.
    public var directory: String?
    public var minimumBytes: Int

    public static let defaultMinimumBytes = 16 << 20

    public init(enabled: Bool = true, directory: String? = nil, minimumBytes: Int = defaultMinimumBytes) {
        self.enabled = enabled
        self.directory = directory
        self.minimumBytes = minimumBytes
    }

    /// The policy `CHARNN_IDS_CACHE` asks for (unset: the default).
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment)
        -> CorpusCachePolicy
    {
        guard let value = environment["CHARNN_IDS_CACHE"], !value.isEmpty else { return CorpusCachePolicy() }
        if ["off", "0", "no", "false"].contains(value.lowercased()) { return CorpusCachePolicy(enabled: false) }
        return CorpusCachePolicy(directory: value, minimumBytes: 1)
    }

    /// The cache files for `corpus`, in order of preference.
    func candidates(
        for corpus: String, unit: TextUnit, normalization: Normalization,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> [String] {
        let suffix = "\(unit.rawValue)-\(normalization.rawValue.lowercased()).charnn-ids"
        let real = realPath(corpus)
        let name = "\((real as NSString).lastPathComponent)-\(String(hex16(fnv(real)).prefix(12))).\(suffix)"
        if let directory { return [(directory as NSString).appendingPathComponent(name)] }
        let home = environment["HOME"].map { ($0 as NSString).appendingPathComponent(".cache") }
        let userCache = (environment["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? home)
            .map { ($0 as NSString).appendingPathComponent("charnn") }
        return [corpus + "." + suffix] + (userCache.map { [($0 as NSString).appendingPathComponent(name)] } ?? [])
    }

    private func fnv(_ text: String) -> UInt64 {
        var hash = FNV1a64()
        Array(text.utf8).withUnsafeBytes { hash.add($0) }
        return hash.value
    }
}

/// What loading a corpus did, for the executable to tell the user.
public struct CorpusCacheReport: Sendable, Equatable {
    public enum Outcome: Sendable, Equatable {
        /// A valid cache was mapped.
        case reused
        /// The corpus was encoded and the cache written, then mapped.
        case built
        /// The corpus was encoded into memory (small, caching off, or nowhere to write).
        case uncached
    }
    public var outcome: Outcome
    public var corpus: String
    /// The cache mapped or written.
    public var cachePath: String?
    /// Why a cache was replaced or could not be written (for the user), if anything happened.
    public var notes: [String]
    public var corpusBytes: Int
    public var tokenCount: Int
    public var bytesPerID: Int
    /// Seconds spent encoding (and writing), or opening and checking a reused cache.
    public var seconds: Double
    /// The process's peak resident memory so far (`getrusage`), in bytes.
    public var peakResidentBytes: Int
}

/// Encodes corpora through the id cache (see `CorpusCachePolicy`).
///
/// A cache is used only if its corpus stamp (size, modification time, sampled hash), unit and
/// normalization match, its size is what its header announces, every id is below the
/// vocabulary's size and its checksum holds. Anything else is replaced: the cache is derived
/// data, so a damaged one is rebuilt (with a note saying why) rather than refused. Concurrent
/// processes (the ranks of a job, runs started together) take an exclusive `flock` on the corpus
/// before encoding: one encodes, the others wait and then map what it wrote.
public enum CorpusCache {
    /// Called with the report of every `build` and cached `encode` (the executable prints it).
    public static var observer: (@Sendable (CorpusCacheReport) -> Void)? {
        get {
            observerBox.lock.lock()
            defer { observerBox.lock.unlock() }
            return observerBox.value
        }
        set {
            observerBox.lock.lock()
            defer { observerBox.lock.unlock() }
            observerBox.value = newValue
        }
    }
    private static let observerBox = ObserverBox()
    private final class ObserverBox: @unchecked Sendable {
        let lock = NSLock()
        var value: (@Sendable (CorpusCacheReport) -> Void)?
    }

    /// `CorpusEncoder.build` through the cache (policy from the environment); tells `observer`.
    public static func build(
        path: String, unit: TextUnit = .grapheme, normalization: Normalization = .nfc,
        maxVocabulary: Int = 1 << 20
    ) throws -> EncodedCorpus {
        let (corpus, report) = try load(
            path: path, unit: unit, normalization: normalization,
            maxVocabulary: maxVocabulary, policy: .fromEnvironment())
        observer?(report)
        return corpus
    }

    /// `CorpusEncoder.encode(path:vocabulary:unknown:)` for a resumed run: the cached ids when the
    /// corpus's own vocabulary is `vocabulary` (the same text), else an encoding in memory.
    public static func encode(
        path: String, vocabulary: Vocabulary,
        unknown: UnknownPolicy
    ) throws -> (ids: TokenIDs, unknowns: [UnknownCharacter]) {
        if case let (corpus, report)? = try? load(
            path: path, unit: vocabulary.unit,
            normalization: vocabulary.normalization,
            maxVocabulary: max(vocabulary.count, 1), policy: .fromEnvironment()),
            corpus.vocabulary == vocabulary
        {
            observer?(report)
            return (corpus.ids, [])
        }
        return try CorpusEncoder.encode(path: path, vocabulary: vocabulary, unknown: unknown)
    }

    /// Maps a valid cache of `path`, or encodes it and writes one.
    ///
    /// - Throws: the errors of `CorpusEncoder.build` (a bad corpus); never a cache problem.
    public static func load(
        path: String, unit: TextUnit, normalization: Normalization, maxVocabulary: Int,
        policy: CorpusCachePolicy
    ) throws -> (EncodedCorpus, CorpusCacheReport) {
        let start = Date()
        var info = stat()
        let regular = stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
        guard policy.enabled, regular, Int(info.st_size) >= max(policy.minimumBytes, 1) else {
            let encoded = try CorpusEncoder.build(
                path: path, unit: unit, normalization: normalization,
                maxVocabulary: maxVocabulary)
            return (encoded, report(.uncached, path, nil, [], encoded, start))
        }
        let stamp = try CorpusStamp(path: path)
        let candidates = policy.candidates(for: path, unit: unit, normalization: normalization)
        var notes: [String] = []
        func lookUp() throws -> (EncodedCorpus, String)? {
            for candidate in candidates {
                switch openCache(candidate, stamp: stamp, unit: unit, normalization: normalization, verify: true) {
                case .success(let corpus):
                    try checkLimit(corpus, path: path, maxVocabulary: maxVocabulary)
                    return (corpus, candidate)
                case .failure(.damaged(let why)):
                    let note = "the id cache \(candidate) was damaged (\(why)): encoding the corpus again"
                    if !notes.contains(note) { notes.append(note) }
                case .failure(.stale): continue
                }
            }
            return nil
        }
        if case let (corpus, candidate)? = try lookUp() {
            return (corpus, report(.reused, path, candidate, notes, corpus, start))
        }
        // One process encodes; the others wait here, then find its cache.
        let lock = CorpusLock(path: path)
        defer { lock.release() }
        if case let (corpus, candidate)? = try lookUp() {
            return (corpus, report(.reused, path, candidate, notes, corpus, start))
        }
        var encoded: EncodedCorpus? = try CorpusEncoder.build(
            path: path, unit: unit, normalization: normalization,
            maxVocabulary: maxVocabulary)
        for candidate in candidates {
            do {
                try write(encoded!, stamp: stamp, to: candidate)
            } catch {
                let reason = (error as? FileWriteError)?.reason ?? "\(error)"
                notes.append("cannot write the id cache \(candidate): \(reason)")
                continue
            }
            let vocabulary = encoded!.vocabulary
            encoded = nil  // frees the ids in memory before their mapping is read
            if case .success(let corpus) = openCache(
                candidate, stamp: stamp, unit: unit, normalization: normalization,
                verify: false), corpus.vocabulary == vocabulary
            {
                return (corpus, report(.built, path, candidate, notes, corpus, start))
            }
            // Replaced under us by another process, or unreadable: encode again (rare).
            encoded = try CorpusEncoder.build(
                path: path, unit: unit, normalization: normalization,
                maxVocabulary: maxVocabulary)
            notes.append("the id cache \(candidate) could not be read back after writing it")
        }
        return (encoded!, report(.uncached, path, nil, notes, encoded!, start))
    }

    private static func checkLimit(_ corpus: EncodedCorpus, path: String, maxVocabulary: Int) throws {
        if corpus.vocabulary.count > maxVocabulary {
            throw TokenizationError.vocabularyTooLarge(
                path: path, unit: corpus.vocabulary.unit,
                distinct: corpus.vocabulary.count, limit: maxVocabulary)
        }
    }

    private static func report(
        _ outcome: CorpusCacheReport.Outcome, _ corpus: String, _ cache: String?,
        _ notes: [String], _ encoded: EncodedCorpus, _ start: Date
    ) -> CorpusCacheReport {
        CorpusCacheReport(
            outcome: outcome, corpus: corpus, cachePath: cache, notes: notes,
            corpusBytes: encoded.byteCount, tokenCount: encoded.ids.count,
            bytesPerID: encoded.ids.bytesPerID, seconds: Date().timeIntervalSince(start),
            peakResidentBytes: peakResidentBytes())
    }

    /// Maps the cache at `path` if it is valid for this corpus.
    ///
    /// - Parameter verify: check every id against the vocabulary and the checksum (skipped right
    ///   after writing the file).
    static func openCache(
        _ path: String, stamp: CorpusStamp, unit: TextUnit, normalization: Normalization,
        verify: Bool
    ) -> Result<EncodedCorpus, IDCacheProblem> {
        guard access(path, F_OK) == 0 else { return .failure(.stale("missing")) }
        let file: MappedFile
        do { file = try MappedFile(path: path) } catch {
            return .failure(.damaged("\(error)"))
        }
        let header: IDCacheHeader
        do { header = try IDCacheHeader.decode(file) } catch { return .failure(error) }
        guard header.unit == unit, header.normalization == normalization else {
            return .failure(.stale("made for another unit or normalization"))
        }
        guard header.corpus == stamp else { return .failure(.stale("made from another version of the corpus")) }
        let vocabulary: Vocabulary
        do { vocabulary = try Vocabulary(unit: unit, normalization: normalization, tokens: header.tokens) } catch {
            return .failure(.damaged("its vocabulary is not valid: \(error)"))
        }
        let ids = UnsafeRawBufferPointer(start: file.base + header.idsOffset, count: header.count * header.bytesPerID)
        if verify {
            file.advise(sequential: true)
            defer { file.advise(sequential: false) }
            let largest = largestID(ids, width: header.bytesPerID)
            guard largest < vocabulary.count else {
                return .failure(.damaged("it holds the id \(largest), its vocabulary has \(vocabulary.count) tokens"))
            }
            guard idChecksum(ids) == header.idsChecksum else {
                return .failure(.damaged("its checksum does not match"))
            }
        }
        let storage = TokenIDs.Storage(
            raw: UnsafeMutableRawPointer(mutating: ids.baseAddress!), count: header.count,
            width: header.bytesPerID, mapping: file, knownFingerprint: header.idsFingerprint)
        return .success(EncodedCorpus(vocabulary: vocabulary, ids: TokenIDs(storage: storage), byteCount: stamp.bytes))
    }

    /// Writes the cache of `encoded` durably: a temporary file in the same folder, flushed, renamed
    /// over `path`, and the folder flushed (the cache's folder is created when missing).
    static func write(_ encoded: EncodedCorpus, stamp: CorpusStamp, to path: String) throws {
        let ids = encoded.ids
        var header = IDCacheHeader(
            corpus: stamp, unit: encoded.vocabulary.unit,
            normalization: encoded.vocabulary.normalization, tokens: encoded.vocabulary.tokens,
            count: ids.count, bytesPerID: ids.bytesPerID, idsOffset: 0,
            idsChecksum: idChecksum(ids.rawBytes), idsFingerprint: ids.fingerprint)
        let prefix = try header.encoded()
        let folder = DurableFile.parent(of: path)
        if access(folder, F_OK) != 0 { _ = makeFolders(folder) }
        var thrown: FileWriteError? = nil
        prefix.withUnsafeBytes { head in
            do throws(FileWriteError) { try DurableFile.write(parts: [head, ids.rawBytes], to: path) } catch {
                thrown = error
            }
        }
        if let thrown { throw thrown }
    }
}

/// `flock` on the corpus itself while one process encodes it (no lock file to leave behind; works
/// on a read-only corpus). Best effort: without the lock, processes encode in parallel, each
/// renaming a whole file into place, which is correct, only slower.
final class CorpusLock {
    private var fd: Int32
    init(path: String) {
        fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd >= 0 {
            while flock(fd, LOCK_EX) != 0 && errno == EINTR {}
        }
    }
    func release() {
        if fd >= 0 { flock(fd, LOCK_UN); close(fd); fd = -1 }
    }
    deinit { release() }
}

/// The real path of `path` (symbolic links and `..` resolved), or `path` when it cannot be resolved.
func realPath(_ path: String) -> String {
    guard let resolved = realpath(path, nil) else { return path }
    defer { free(resolved) }
    return String(cString: resolved)
}

/// The process's peak resident memory in bytes (`ru_maxrss`: KiB on Linux, bytes on macOS).
public func peakResidentBytes() -> Int {
    var usage = rusage()
    #if canImport(Glibc)
    guard getrusage(RUSAGE_SELF.rawValue, &usage) == 0 else { return 0 }
    #else
    guard getrusage(RUSAGE_SELF, &usage) == 0 else { return 0 }
    #endif
    #if canImport(Darwin)
    return Int(usage.ru_maxrss)
    #else
    return Int(usage.ru_maxrss) * 1024
    #endif
}
