/// The tokens of a model, id ↔ token, with the unit and normalization that cut text into tokens.
///
/// **Id order.** A vocabulary built from a corpus (`CorpusEncoder.build`)
/// lists its tokens sorted by their Unicode scalar sequences, compared
/// lexicographically by code point (equivalently, by their UTF-8 bytes): for
/// ASCII text the ids equal Python's `sorted(set(text))`. For the byte unit
/// that is the order of the byte values. A vocabulary loaded from
/// `vocab.json` keeps the order of the file.
///
/// Tokens are compared exactly, scalar for scalar (not by canonical
/// equivalence as `String.==` does): under `Normalization.none`, "é" (U+00E9)
/// and "e\u{301}" are two tokens.
public struct Vocabulary: Sendable, Equatable {
    /// What one token is.
    public let unit: TextUnit
    /// The normalization applied to text before it is cut into units.
    public let normalization: Normalization
    /// The token strings, in id order (byte unit: the Latin-1 scalar of each byte).
    public let tokens: [String]

    let storage: VocabularyStorage

    /// A vocabulary with these tokens, in this order.
    ///
    /// - Throws: `TokenizationError.invalidVocabulary` when there are no tokens,
    ///   a token appears twice, or a token does not fit the unit (an empty
    ///   token; for `.scalar` more than one scalar; for `.byte` anything but
    ///   one scalar U+0000...U+00FF).
    public init(unit: TextUnit, normalization: Normalization, tokens: [String]) throws {
        guard !tokens.isEmpty else { throw TokenizationError.invalidVocabulary(path: nil, reason: "it has no tokens") }
        var table = TokenTable()
        for (id, token) in tokens.enumerated() {
            let scalars = token.unicodeScalars
            if scalars.isEmpty {
                throw TokenizationError.invalidVocabulary(path: nil, reason: "token \(id) is an empty string")
            }
            let shape: String?
            switch unit {
            case .grapheme: shape = nil
            case .scalar: shape = scalars.count == 1 ? nil : "not a single Unicode scalar"
            case .byte:
                shape =
                    scalars.count == 1 && scalars.first!.value <= 0xFF
                    ? nil : "not a single scalar U+0000...U+00FF standing for a byte"
            }
            if let shape {
                throw TokenizationError.invalidVocabulary(
                    path: nil, reason: "token \(id) (\(Vocabulary.describe(token))) is \(shape)")
            }
            if table.add(token: token, unit: unit) == nil {
                let first = Int(table.id(of: token, unit: unit))
                throw TokenizationError.invalidVocabulary(
                    path: nil, reason: "token \(Vocabulary.describe(token)) appears twice, at ids \(first) and \(id)")
            }
        }
        self.unit = unit
        self.normalization = normalization
        self.tokens = tokens
        storage = VocabularyStorage(table: table, unit: unit)
    }

    /// Number of tokens.
    public var count: Int { tokens.count }

    /// The token a text starts from when there is no prime: a newline where the vocabulary has
    /// one (as a document would), else token 0.
    public var startID: Int32 { Int32(id(of: "\n") ?? 0) }

    /// The id of a token (exact match), or `nil`.
    public func id(of token: String) -> Int? {
        let id = storage.table.id(of: token, unit: unit)
        return id < 0 ? nil : Int(id)
    }

    /// The token of an id.
    ///
    /// - Precondition: `0 <= id < count`.
    public func token(at id: Int) -> String {
        precondition(id >= 0 && id < tokens.count, "token id \(id) out of range 0..<\(tokens.count)")
        return tokens[id]
    }

    /// The bytes that `ids` stand for: the UTF-8 of their tokens (byte unit: the bytes themselves).
    ///
    /// - Precondition: every id is in `0..<count`.
    public func decodeBytes<S: Sequence>(_ ids: S) -> [UInt8] where S.Element: BinaryInteger {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(ids.underestimatedCount)
        let pieces = storage.pieces
        for id in ids {
            precondition(id >= 0 && id < pieces.count, "token id \(id) out of range 0..<\(pieces.count)")
            bytes.append(contentsOf: pieces[Int(id)])
        }
        return bytes
    }

    /// The text of `ids`. For the byte unit the bytes are read as UTF-8, an
    /// ill-formed sequence (such as a character cut short) becoming U+FFFD.
    ///
    /// - Precondition: every id is in `0..<count`.
    public func decode<S: Sequence>(_ ids: S) -> String where S.Element: BinaryInteger {
        String(decoding: decodeBytes(ids), as: UTF8.self)
    }

    /// Encodes a text (prime text, evaluation text) with this vocabulary's unit and normalization.
    ///
    /// - Parameters:
    ///   - text: any text.
    ///   - unknown: what to do with units that are not in the vocabulary.
    /// - Returns: the ids, and each distinct unknown unit with its first position
    ///   and number of occurrences (empty for `.error`, which throws instead).
    /// - Throws: `TokenizationError.unknownCharacter` (policy `.error`), naming
    ///   the character and its line, column and unit index;
    ///   `.invalidReplacement` when the replacement text has unknown units.
    public func encode(_ text: String, unknown: UnknownPolicy = .error) throws -> (
        ids: [Int32], unknowns: [UnknownCharacter]
    ) {
        var consumer = VocabularyLookup(
            vocabulary: self, policy: try resolve(unknown), path: nil,
            expectedCount: text.utf8.count)
        var scanner = UnitScanner(unit: unit, normalization: normalization)
        var copy = text
        try copy.withUTF8 { utf8 in
            try forEachPiece(of: utf8, pieceSize: CorpusEncoder.defaultChunkSize) {
                try scanner.scan($0, into: &consumer)
            }
        }
        return (consumer.ids.array(), consumer.unknowns)
    }

    /// The policy with its replacement text encoded.
    func resolve(_ policy: UnknownPolicy) throws -> VocabularyLookup.Policy {
        switch policy {
        case .error: return .error
        case .skip: return .skip
        case .replace(let replacement):
            do {
                return .replace(try encode(replacement, unknown: .error).ids)
            } catch TokenizationError.unknownCharacter(let character, _) {
                throw TokenizationError.invalidReplacement(
                    replacement, reason: "\(character.displayName) is not in the vocabulary")
            }
        }
    }

    public static func == (lhs: Vocabulary, rhs: Vocabulary) -> Bool {
        lhs.unit == rhs.unit && lhs.normalization == rhs.normalization
            && lhs.tokens.count == rhs.tokens.count
            && zip(lhs.tokens, rhs.tokens).allSatisfy { $0.utf8.elementsEqual($1.utf8) }
    }

    /// A token for messages: quoted when visible, with its code points.
    static func describe(_ token: String) -> String {
        UnknownCharacter(token: token, unit: .scalar, line: 0, column: 0, index: 0).displayName
    }
}

/// The lookup tables of a vocabulary, built once and shared by its copies
/// (never mutated after `init`, hence `@unchecked Sendable`).
final class VocabularyStorage: @unchecked Sendable {
    let table: TokenTable
    /// The bytes each id decodes to.
    let pieces: [[UInt8]]

    init(table: TokenTable, unit: TextUnit) {
        self.table = table
        if unit == .byte {
            pieces = table.tokens.map { utf8 in [UInt8(truncatingIfNeeded: decodeScalar(utf8, length: utf8.count))] }
        } else {
            pieces = table.tokens
        }
    }
}

private func decodeScalar(_ utf8: [UInt8], length: Int) -> UInt32 {
    utf8.withUnsafeBufferPointer { decodeScalar($0.baseAddress!, length: length) }
}

/// Encodes units with a fixed vocabulary, applying the unknown-unit policy
/// and keeping track of positions (line, column, unit index) for messages.
struct VocabularyLookup: UnitConsumer {
    enum Policy { case error, skip, replace([Int32]) }

    let table: TokenTable
    let unit: TextUnit
    let policy: Policy
    let path: String?
    var ids: IDBuffer
    private(set) var unknowns: [UnknownCharacter] = []
    private var unknownSlots: [[UInt8]: Int] = [:]
    private var index = 0
    private var line = 1
    private var lineStart = 0

    init(vocabulary: Vocabulary, policy: Policy, path: String?, expectedCount: Int) {
        table = vocabulary.storage.table
        unit = vocabulary.unit
        self.policy = policy
        self.path = path
        ids = IDBuffer(capacity: expectedCount, width: IDBuffer.width(forLargestID: vocabulary.count - 1))
    }

    mutating func reserve(units: Int) -> Bool { ids.reserve(additional: units) }

    var refusedBytes: Int? { ids.refused }

    @inline(__always)
    mutating func consume(byte: UInt8) throws {
        let id = table.id(byte: byte)
        if id >= 0 { ids.append(id) } else { try unknown(unit == .byte ? utf8Bytes(ofScalar: UInt32(byte)) : [byte]) }
        index &+= 1
        if byte == 0x0A { line &+= 1; lineStart = index }
    }

    @inline(__always)
    mutating func consume(scalar: UInt32, utf8: UnsafeBufferPointer<UInt8>) throws {
        let id = table.id(scalar: scalar)
        if id >= 0 { ids.append(id) } else { try unknown(Array(utf8)) }
        index &+= 1
    }

    @inline(__always)
    mutating func consume(cluster utf8: UnsafeBufferPointer<UInt8>) throws {
        let id = table.id(cluster: utf8)
        if id >= 0 { ids.append(id) } else { try unknown(Array(utf8)) }
        index &+= 1
        if utf8.last == 0x0A { line &+= 1; lineStart = index }  // CR LF
    }

    @inline(never)
    private mutating func unknown(_ utf8: [UInt8]) throws {
        if let slot = unknownSlots[utf8] {
            unknowns[slot].occurrences += 1
        } else {
            let character = UnknownCharacter(
                token: String(decoding: utf8, as: UTF8.self), unit: unit,
                line: line, column: index - lineStart + 1, index: index)
            if case .error = policy { throw TokenizationError.unknownCharacter(character, path: path) }
            unknownSlots[utf8] = unknowns.count
            unknowns.append(character)
        }
        if case .replace(let replacement) = policy { ids.append(contentsOf: replacement) }
    }
}
