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
/// Files must be UTF-8 text, whatever the unit (the byte unit too): ill-formed
/// UTF-8 and NUL bytes are errors. A byte order mark (U+FEFF) is kept as a
/// character, as Python's `open(encoding="utf-8")` keeps it.
///
/// The file is read in chunks (1 MiB) cut where the cut is both a grapheme
/// cluster boundary and a normalization boundary (just after a line feed, or
/// between two letters of common scripts; see `lastSafeCut`). Each chunk is checked
/// (UTF-8, no NUL byte), normalized where needed and cut into units; ids are
/// written straight into their final compact array. A build gives ids in order
/// of first appearance, then sorts the vocabulary once and renumbers the ids in
/// place. Memory beyond the ids: the chunk buffers and the vocabulary tables.
public enum CorpusEncoder {
    static let defaultChunkSize = 1 << 20
    /// The longest stretch without a safe cut that is read into memory at once.
    static let maximumChunkSize = 1 << 28

    /// Reads a corpus file, checks it, and builds its vocabulary and ids in one pass.
    ///
    /// - Parameters:
    ///   - path: a UTF-8 text file.
    ///   - unit: what one token is.
    ///   - normalization: applied before the text is cut into units.
    ///   - maxVocabulary: the most distinct units accepted (at least 1).
    /// - Throws: `TokenizationError`: `.fileNotFound`, `.isDirectory`,
    ///   `.unreadable`, `.emptyFile`, `.invalidUTF8`, `.binaryContent`,
    ///   `.lineTooLong`, `.vocabularyTooLarge`.
    public static func build(path: String, unit: TextUnit = .grapheme, normalization: Normalization = .nfc,
                             maxVocabulary: Int = 1 << 20) throws -> EncodedCorpus {
        try build(path: path, unit: unit, normalization: normalization, maxVocabulary: maxVocabulary,
                  chunkSize: defaultChunkSize)
    }

    /// `build(path:unit:normalization:maxVocabulary:)` with a chosen chunk size (tests force many chunks).
    static func build(path: String, unit: TextUnit, normalization: Normalization, maxVocabulary: Int,
                      chunkSize: Int) throws -> EncodedCorpus {
        precondition(maxVocabulary >= 1, "the vocabulary limit must be at least 1, got \(maxVocabulary)")
        let file = try InputFile(path: path)
        var builder = VocabularyBuilder(unit: unit, limit: maxVocabulary, expectedCount: file.sizeHint)
        let byteCount = try stream(file, unit: unit, normalization: normalization, chunkSize: chunkSize, into: &builder)
        if byteCount == 0 { throw TokenizationError.emptyFile(path: path) }
        if builder.ids == nil {
            throw TokenizationError.vocabularyTooLarge(path: path, unit: unit, distinct: builder.table.count, limit: maxVocabulary)
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
    public static func encode(path: String, vocabulary: Vocabulary,
                              unknown: UnknownPolicy) throws -> (ids: TokenIDs, unknowns: [UnknownCharacter]) {
        try encode(path: path, vocabulary: vocabulary, unknown: unknown, chunkSize: defaultChunkSize)
    }

    static func encode(path: String, vocabulary: Vocabulary, unknown: UnknownPolicy,
                       chunkSize: Int) throws -> (ids: TokenIDs, unknowns: [UnknownCharacter]) {
        let policy = try vocabulary.resolve(unknown)
        let file = try InputFile(path: path)
        var lookup = VocabularyLookup(vocabulary: vocabulary, policy: policy, path: path, expectedCount: file.sizeHint)
        let byteCount = try stream(file, unit: vocabulary.unit, normalization: vocabulary.normalization,
                                   chunkSize: chunkSize, into: &lookup)
        if byteCount == 0 { throw TokenizationError.emptyFile(path: path) }
        return (lookup.ids.finish(), lookup.unknowns)
    }

    /// Streams `file` through a scanner into `consumer`, chunk by chunk.
    ///
    /// - Returns: the number of bytes read.
    static func stream<C: UnitConsumer>(_ file: InputFile, unit: TextUnit, normalization: Normalization,
                                        chunkSize: Int, into consumer: inout C) throws -> Int {
        var scanner = UnitScanner(unit: unit, normalization: normalization)
        var capacity = max(chunkSize, 4)
        var buffer = allocateBytes(capacity).assumingMemoryBound(to: UInt8.self)
        defer { deallocateBytes(buffer) }
        var filled = 0          // bytes in the buffer
        var consumed = 0        // file offset of buffer[0]
        var atEnd = false
        while true {
            while !atEnd && filled < capacity {
                let n = try file.read(into: buffer + filled, count: capacity - filled)
                if n == 0 { atEnd = true } else { filled += n }
            }
            if filled == 0 { return consumed }
            let cut = atEnd ? filled : lastSafeCut(UnsafeBufferPointer(start: buffer, count: filled))
            if cut == 0 {
                guard capacity < maximumChunkSize else {
                    throw TokenizationError.lineTooLong(path: file.path, byteOffset: consumed, limit: maximumChunkSize)
                }
                capacity = min(capacity * 2, maximumChunkSize)
                buffer = reallocateBytes(buffer, capacity).assumingMemoryBound(to: UInt8.self)
                continue
            }
            let chunk = UnsafeBufferPointer(start: buffer, count: cut)
            if let (offset, problem) = firstInvalidByte(chunk) {
                let fileOffset = consumed + offset
                let line = lineNumber(atByteOffset: fileOffset, path: file.path)
                switch problem {
                case .nul:
                    throw TokenizationError.binaryContent(path: file.path, byteOffset: fileOffset, line: line)
                case .invalidUTF8:
                    throw TokenizationError.invalidUTF8(path: file.path, byteOffset: fileOffset, line: line, byte: buffer[offset])
                }
            }
            try scanner.scan(chunk, into: &consumer)
            let rest = filled - cut
            if rest > 0 { UnsafeMutableRawPointer(buffer).copyMemory(from: buffer + cut, byteCount: rest) }
            filled = rest
            consumed += cut
        }
    }

    /// The line (from 1) of a byte offset, reading the file again (for messages only).
    static func lineNumber(atByteOffset offset: Int, path: String) -> Int {
        guard let file = try? InputFile(path: path) else { return 0 }
        var lines = 1
        var remaining = offset
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while remaining > 0 {
            let n = (try? chunk.withUnsafeMutableBytes { try file.read(into: $0.baseAddress!, count: min($0.count, remaining)) }) ?? 0
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

    init(unit: TextUnit, limit: Int, expectedCount: Int) {
        self.unit = unit
        self.limit = limit
        ids = IDBuffer(capacity: expectedCount + 16, wide: false)
    }

    @inline(__always)
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
        if utf8.count == 2 && utf8[0] == 0x0D && crlfID >= 0 {   // CR LF, once per line of a Windows file
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
        } else if id == 1 << 16 {
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
