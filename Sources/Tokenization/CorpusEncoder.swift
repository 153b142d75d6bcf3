import FileIO

/// A corpus as token ids, with the vocabulary built from it.
public struct EncodedCorpus: Sendable {
    /// The vocabulary: every distinct unit of the corpus, in the documented id order.
    public let vocabulary: Vocabulary
    /// The corpus, one id per unit.
    public let ids: TokenIDs
    /// Size of the file in bytes.
    public let byteCount: Int

    public init(vocabulary: Vocabulary, ids: TokenIDs, byteCount: Int) {
        self.vocabulary = vocabulary
        self.ids = ids
        self.byteCount = byteCount
    }
}

/// Reads corpora into compact id arrays, streaming.
///
/// For the grapheme and scalar units, files must be UTF-8 text: ill-formed
/// UTF-8 and NUL bytes are errors. A byte order mark (U+FEFF) is kept as a
/// character, as Python's `open(encoding="utf-8")` keeps it.
///
/// The byte unit takes **any file**: every one of the 256 byte values can be a
/// token, NUL included, and nothing is validated. Without normalization the
/// bytes are taken as they are. Under NFC, the stretches that are well-formed
/// UTF-8 are normalized and every ill-formed byte is taken as it is (it
/// separates the text around it, as a line break would): a UTF-8 file gives
/// the bytes of its NFC form, a binary file its own bytes.
///
/// The file is read in chunks (1 MiB) cut where the cut is both a grapheme
/// cluster boundary and a normalization boundary (just after a line feed, or
/// between two letters of common scripts; see `lastSafeCut`). Each chunk is checked
/// (UTF-8, no NUL byte), normalized where needed and cut into units; ids are
/// written straight into their final compact array. A build gives ids in order
/// of first appearance, then sorts the vocabulary once and renumbers the ids in
/// place. Memory beyond the ids: the chunk buffers and the vocabulary tables.
///
/// **Memory bound.** The ids take up to `bytesPerUnitEstimate` bytes per byte
/// of input. A regular file whose ids would not fit in the memory budget (half
/// of the memory available when the read starts, `MemAvailable` on Linux, and
/// at most 8 GiB: a corpus is at most 4 GiB) is
/// refused before anything is allocated; a pipe or a device (`yes |`,
/// `/dev/zero`), whose size is unknown, is read until it ends or passes the
/// budget, and then refused with `TokenizationError.corpusTooLarge`.
public enum CorpusEncoder {
    static let defaultChunkSize = 1 << 20
    /// The longest stretch without a safe cut that is read into memory at once.
    static let maximumChunkSize = 1 << 28
    /// Bytes of id memory per byte of input, at most: one unit per byte (NFC
    /// rarely lengthens text), two bytes per id (four beyond 65,536 tokens,
    /// whose units are then mostly several bytes long).
    public static let bytesPerUnitEstimate = 2

    /// The most memory the ids of one corpus may take whatever the machine: 8 GiB,
    /// the ids of a 4 GiB (2^32 bytes) corpus. Past that a stream is taken for
    /// one that never ends (`yes |`, `/dev/zero`) rather than read for minutes.
    public static let maximumMemoryBudget = 1 << 33

    /// The memory the ids of one corpus may take: half of what is available now, at most `maximumMemoryBudget`.
    public static func defaultMemoryBudget() -> Int { min(availableMemoryBytes() / 2, maximumMemoryBudget) }

    /// Reads a corpus file, checks it, and builds its vocabulary and ids in one pass.
    ///
    /// - Parameters:
    ///   - path: a UTF-8 text file (any file for the byte unit).
    ///   - unit: what one token is.
    ///   - normalization: applied before the text is cut into units.
    ///   - maxVocabulary: the most distinct units accepted (at least 1).
    /// - Throws: `TokenizationError`: `.fileNotFound`, `.isDirectory`,
    ///   `.unreadable`, `.emptyFile`, `.invalidUTF8`, `.binaryContent`,
    ///   `.lineTooLong`, `.vocabularyTooLarge`, `.corpusTooLarge`.
    public static func build(
        path: String, unit: TextUnit = .grapheme, normalization: Normalization = .nfc,
        maxVocabulary: Int = 1 << 20
    ) throws -> EncodedCorpus {
        try build(
            path: path, unit: unit, normalization: normalization, maxVocabulary: maxVocabulary,
            chunkSize: defaultChunkSize)
    }

    /// `build(path:unit:normalization:maxVocabulary:)` with a chosen chunk size (tests force many
    /// chunks), budget for the ids, and memory available when the ids grow or widen.
    static func build(
        path: String, unit: TextUnit, normalization: Normalization, maxVocabulary: Int,
        chunkSize: Int, memoryBudget: Int? = nil, available: @escaping () -> Int = availableMemoryBytes
    ) throws -> EncodedCorpus {
        precondition(maxVocabulary >= 1, "the vocabulary limit must be at least 1, got \(maxVocabulary)")
        let file = try openInput(path)
        let budget = try checkFits(file, memoryBudget: memoryBudget)
        var builder = VocabularyBuilder(
            unit: unit, limit: maxVocabulary, expectedCount: file.sizeHint, available: available)
        let byteCount = try stream(
            file, unit: unit, normalization: normalization, chunkSize: chunkSize,
            memoryBudget: budget, available: available, into: &builder)
        if byteCount == 0 { throw TokenizationError.emptyFile(path: path) }
        if builder.ids == nil {
            throw TokenizationError.vocabularyTooLarge(
                path: path, unit: unit, distinct: builder.table.count, limit: maxVocabulary)
        }
        let (vocabulary, ids) = try builder.finish(normalization: normalization)
        return EncodedCorpus(vocabulary: vocabulary, ids: ids, byteCount: byteCount)
    }

    /// Encodes a file (an evaluation file, a prime file) with an existing vocabulary.
    ///
    /// - Returns: the ids, and each distinct unknown unit with its first position
    ///   and number of occurrences (empty for `.error`).
    /// - Throws: the file errors of `build`, and `.unknownCharacter` (policy
    ///   `.error`) or `.invalidReplacement`.
    public static func encode(
        path: String, vocabulary: Vocabulary,
        unknown: UnknownPolicy
    ) throws -> (ids: TokenIDs, unknowns: [UnknownCharacter]) {
        try encode(path: path, vocabulary: vocabulary, unknown: unknown, chunkSize: defaultChunkSize)
    }

    static func encode(
        path: String, vocabulary: Vocabulary, unknown: UnknownPolicy, chunkSize: Int,
        memoryBudget: Int? = nil, available: @escaping () -> Int = availableMemoryBytes
    ) throws -> (ids: TokenIDs, unknowns: [UnknownCharacter]) {
        let policy = try vocabulary.resolve(unknown)
        let file = try openInput(path)
        let budget = try checkFits(file, memoryBudget: memoryBudget)
        var lookup = VocabularyLookup(vocabulary: vocabulary, policy: policy, path: path, expectedCount: file.sizeHint)
        lookup.ids.available = available
        let byteCount = try stream(
            file, unit: vocabulary.unit, normalization: vocabulary.normalization,
            chunkSize: chunkSize, memoryBudget: budget, available: available, into: &lookup)
        if byteCount == 0 { throw TokenizationError.emptyFile(path: path) }
        return (lookup.ids.finish(), lookup.unknowns)
    }

    /// The memory budget for ids (`memoryBudget`, else the default), after
    /// checking that a file of known size fits in it.
    ///
    /// - Throws: `TokenizationError.corpusTooLarge`.
    static func checkFits(_ file: ReadableFile, memoryBudget: Int?) throws -> Int {
        let budget = memoryBudget ?? defaultMemoryBudget()
        let (needed, overflow) = file.sizeHint.multipliedReportingOverflow(by: bytesPerUnitEstimate)
        if overflow || needed > budget {
            throw TokenizationError.corpusTooLarge(
                path: file.path, bytesRead: file.sizeHint, endless: false, budget: budget)
        }
        return budget
    }

    /// Streams `file` through a scanner into `consumer`, chunk by chunk.
    ///
    /// - Returns: the number of bytes read.
    /// - Throws: the file and text errors, and `.corpusTooLarge` once the input
    ///   read would need more than `memoryBudget` bytes of ids.
    static func stream<C: UnitConsumer>(
        _ file: ReadableFile, unit: TextUnit, normalization: Normalization,
        chunkSize: Int, memoryBudget: Int, available: @escaping () -> Int = availableMemoryBytes,
        into consumer: inout C
    ) throws -> Int {
        var scanner = UnitScanner(unit: unit, normalization: normalization, available: available)
        let anyBytes = unit == .byte
        var capacity = max(chunkSize, 4)
        var buffer = allocateBytes(capacity).assumingMemoryBound(to: UInt8.self)
        defer { deallocateBytes(buffer) }
        var filled = 0  // bytes in the buffer
        var consumed = 0  // file offset of buffer[0]
        var atEnd = false
        let countsLines = file.sizeHint == 0
        var lineFeeds = 0
        while true {
            while !atEnd && filled < capacity {
                let n = try file.readChunk(into: buffer + filled, count: capacity - filled)
                if n == 0 { atEnd = true } else { filled += n }
            }
            if filled == 0 { return consumed }
            let whole = UnsafeBufferPointer(start: buffer, count: filled)
            var cut = filled
            if !atEnd && !(anyBytes && normalization == .none) {
                cut = lastSafeCut(whole)
                if cut == 0 && anyBytes { cut = lastCutAfterIllFormedByte(whole) }
            }
            if cut == 0 {
                guard capacity < maximumChunkSize else {
                    throw TokenizationError.lineTooLong(path: file.path, byteOffset: consumed, limit: maximumChunkSize)
                }
                let larger = min(capacity * 2, maximumChunkSize)
                guard let grown = reallocateBytesIfPossible(buffer, larger) else {
                    throw TokenizationError.outOfMemory(path: file.path, bytes: larger, what: "a chunk of its text")
                }
                capacity = larger
                buffer = grown.assumingMemoryBound(to: UInt8.self)
                continue
            }
            let (needed, overflow) = (consumed + cut).multipliedReportingOverflow(by: bytesPerUnitEstimate)
            if overflow || needed > memoryBudget {
                throw TokenizationError.corpusTooLarge(
                    path: file.path, bytesRead: consumed + cut,
                    endless: file.sizeHint == 0, budget: memoryBudget)
            }
            // Room for the chunk's ids first (one unit per byte at most, before normalization): a
            // memory limit is met here as an error, never as a trap in the middle of the scan.
            guard consumer.reserve(units: cut) else {
                throw TokenizationError.outOfMemory(
                    path: file.path, bytes: (consumed + cut).multipliedReportingOverflow(by: 2).partialValue,
                    what: "the ids of its first \(formatBytes(consumed + cut))")
            }
            let chunk = UnsafeBufferPointer(start: buffer, count: cut)
            do {
                if anyBytes {
                    try scanAnyBytes(chunk, scanner: &scanner, into: &consumer)
                } else {
                    try checkText(
                        chunk, fileOffset: consumed, lineFeedsBefore: countsLines ? lineFeeds : nil, path: file.path)
                    try scanner.scan(chunk, into: &consumer)
                }
            } catch let refused as NormalizationMemoryRefused {
                throw TokenizationError.outOfMemory(
                    path: file.path, bytes: refused.bytes,
                    what: "the NFC form of \(formatBytes(cut)) of its text from byte offset \(consumed)")
            }
            // More units than bytes (NFC can lengthen text) or wider ids, refused by the budget.
            if let bytes = consumer.refusedBytes {
                throw TokenizationError.outOfMemory(
                    path: file.path, bytes: bytes, what: "the ids of its first \(formatBytes(consumed + cut))")
            }
            // A pipe or a FIFO cannot be read again to find a line: count as the text goes by.
            if countsLines { lineFeeds += countLineFeeds(chunk) }
            let rest = filled - cut
            if rest > 0 { UnsafeMutableRawPointer(buffer).copyMemory(from: buffer + cut, byteCount: rest) }
            filled = rest
            consumed += cut
        }
    }

    /// Throws the first ill-formed UTF-8 sequence or NUL byte of a text chunk, with its file offset and line.
    /// - Parameter lineFeedsBefore: the line feeds before the chunk, when counted while streaming
    ///   (nil: a regular file, read again for the line only when there is an error).
    private static func checkText(
        _ chunk: UnsafeBufferPointer<UInt8>, fileOffset: Int, lineFeedsBefore: Int?, path: String
    ) throws {
        guard let (offset, problem) = firstInvalidByte(chunk) else { return }
        let at = fileOffset + offset
        let line =
            lineFeedsBefore.map { $0 + 1 + countLineFeeds(UnsafeBufferPointer(rebasing: chunk[..<offset])) }
            ?? lineNumber(atByteOffset: at, path: path)
        switch problem {
        case .nul: throw TokenizationError.binaryContent(path: path, byteOffset: at, line: line)
        case .invalidUTF8:
            throw TokenizationError.invalidUTF8(path: path, byteOffset: at, line: line, byte: chunk[offset])
        }
    }

    /// The byte unit: the well-formed UTF-8 stretches (U+0000 included) go through
    /// the scanner (which normalizes them under NFC), each ill-formed byte is a unit as it is.
    static func scanAnyBytes<C: UnitConsumer>(
        _ chunk: UnsafeBufferPointer<UInt8>, scanner: inout UnitScanner,
        into consumer: inout C
    ) throws {
        if scanner.normalizes == false {
            try scanner.scan(chunk, into: &consumer)
            return
        }
        let n = chunk.count
        var start = 0, i = 0
        while i < n, let (offset, _) = firstInvalidByte(UnsafeBufferPointer(rebasing: chunk[i...]), allowingNUL: true) {
            let at = i + offset
            i = at + 1
            if at > start { try scanner.scan(UnsafeBufferPointer(rebasing: chunk[start..<at]), into: &consumer) }
            try consumer.consume(byte: chunk[at])
            start = i
        }
        if start < n { try scanner.scan(UnsafeBufferPointer(rebasing: chunk[start...]), into: &consumer) }
    }

    /// For the byte unit under NFC when `lastSafeCut` finds nothing (binary
    /// data): just after the last byte that is ill-formed whatever follows it
    /// (at least four bytes before the end), or 0.
    static func lastCutAfterIllFormedByte(_ text: UnsafeBufferPointer<UInt8>) -> Int {
        let n = text.count
        var cut = 0, i = 0
        while i < n, let (offset, _) = firstInvalidByte(UnsafeBufferPointer(rebasing: text[i...]), allowingNUL: true) {
            let at = i + offset
            if at + 4 <= n { cut = at + 1 }
            i = at + 1
        }
        return cut
    }

    /// The line (from 1) of a byte offset, reading the file again (for messages only).
    static func lineNumber(atByteOffset offset: Int, path: String) -> Int {
        guard let file = try? openInput(path) else { return 0 }
        var lines = 1
        var remaining = offset
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while remaining > 0 {
            let n =
                (try? chunk.withUnsafeMutableBytes {
                    try file.readChunk(into: $0.baseAddress!, count: min($0.count, remaining))
                }) ?? 0
            if n == 0 { break }
            lines += chunk.withUnsafeBufferPointer { countLineFeeds(UnsafeBufferPointer(rebasing: $0[0..<n])) }
            remaining -= n
        }
        return lines
    }
}

/// Builds a vocabulary while writing provisional ids (in order of first appearance).
struct VocabularyBuilder: UnitConsumer {
    let unit: TextUnit
    let limit: Int
    private(set) var table = TokenTable()
    /// `nil` once the limit was passed: from there on distinct units are only counted.
    private(set) var ids: IDBuffer?
    /// The provisional id of CR LF, once seen.
    private var crlfID: Int32 = -1

    init(unit: TextUnit, limit: Int, expectedCount: Int, available: @escaping () -> Int = availableMemoryBytes) {
        self.unit = unit
        self.limit = limit
        ids = IDBuffer(capacity: expectedCount + 16, width: 1)
        ids?.available = available
    }

    @inline(__always)
    mutating func reserve(units: Int) -> Bool { ids?.reserve(additional: units) ?? true }

    var refusedBytes: Int? { ids?.refused }

    mutating func consume(byte: UInt8) {
        var id = table.id(byte: byte)
        if _slowPath(id < 0) {
            id = table.add(byte: byte, utf8: unit == .byte ? utf8Bytes(ofScalar: UInt32(byte)) : [byte])
            added(id)
        }
        ids?.append(id)
    }

    @inline(__always)
    mutating func consume(scalar: UInt32, utf8: UnsafeBufferPointer<UInt8>) {
        var id = table.id(scalar: scalar)
        if _slowPath(id < 0) {
            id = table.add(scalar: scalar, utf8: utf8)
            added(id)
        }
        ids?.append(id)
    }

    @inline(__always)
    mutating func consume(cluster utf8: UnsafeBufferPointer<UInt8>) {
        if utf8.count == 2 && utf8[0] == 0x0D && crlfID >= 0 {  // CR LF, once per line of a Windows file
            ids?.append(crlfID)
            return
        }
        var id = table.id(cluster: utf8)
        if _slowPath(id < 0) {
            id = table.add(cluster: utf8)
            added(id)
            if utf8.count == 2 && utf8[0] == 0x0D { crlfID = id }
        }
        ids?.append(id)
    }

    @inline(never)
    private mutating func added(_ id: Int32) {
        if Int(id) >= limit {
            ids = nil
        } else if id == 1 << 8 || id == 1 << 16 {
            ids?.widen()
        }
    }

    /// Sorts the vocabulary and renumbers the ids.
    func finish(normalization: Normalization) throws -> (Vocabulary, TokenIDs) {
        guard var ids else { preconditionFailure("vocabulary over its limit") }
        let provisional = table.tokens
        let order = provisional.indices.sorted { provisional[$0].lexicographicallyPrecedes(provisional[$1]) }
        var final = [Int32](repeating: 0, count: order.count)
        var identity = true
        for (rank, id) in order.enumerated() {
            final[id] = Int32(rank)
            identity = identity && rank == id
        }
        if !identity { ids.remap(final) }
        let tokens = order.map { String(decoding: provisional[$0], as: UTF8.self) }
        let vocabulary = try Vocabulary(unit: unit, normalization: normalization, tokens: tokens)
        return (vocabulary, ids.finish())
    }
}
