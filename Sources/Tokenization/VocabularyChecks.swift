// What `vocab.json` must satisfy beyond its JSON shape. A file that breaks one
// of these rules was not written by `Vocabulary.save` (hand-edited, damaged, or
// from another tool); accepting it would let a later step blame the corpus
// ("unknown character") or give ids that differ from the model's training.

/// Checks the tokens of a `vocab.json` for `unit` and `normalization`.
///
/// Each token must be one non-empty unit (one grapheme cluster, one Unicode
/// scalar, or one scalar U+0000...U+00FF standing for a byte), in NFC when
/// the normalization is NFC (except byte tokens: bytes have no normal form),
/// and the list must be strictly increasing in code-point order, the order
/// `CorpusEncoder.build` writes (so no token appears twice).
///
/// - Throws: `TokenizationError.invalidVocabulary` naming the field and index: `tokens[3] …`.
func checkVocabularyTokens(_ tokens: [String], unit: TextUnit, normalization: Normalization) throws {
    func refuse(_ index: Int, _ token: String, _ problem: String) -> TokenizationError {
        .invalidVocabulary(path: nil, reason: "tokens[\(index)] (\(Vocabulary.describe(token))) \(problem)")
    }
    var normalizer = TextNormalizer(unit != .byte ? normalization : .none)
    var previous: [UInt8] = []
    for (index, token) in tokens.enumerated() {
        let scalars = token.unicodeScalars
        if scalars.isEmpty {
            throw TokenizationError.invalidVocabulary(path: nil, reason: "tokens[\(index)] is an empty string")
        }
        switch unit {
        case .grapheme:
            let clusters = token.count
            if clusters != 1 { throw refuse(index, token, "is \(clusters) grapheme clusters, not one") }
        case .scalar:
            if scalars.count != 1 { throw refuse(index, token, "is \(scalars.count) Unicode scalars, not one") }
        case .byte:
            if scalars.count != 1 || scalars.first!.value > 0xFF {
                throw refuse(index, token, "is not one byte (a single scalar U+0000...U+00FF)")
            }
        }
        var utf8 = Array(token.utf8)
        let normalized = utf8.withUnsafeBufferPointer { normalizer.normalize($0).map(Array.init) }
        if let normalized, normalized != utf8 {
            let form = Vocabulary.describe(String(decoding: normalized, as: UTF8.self))
            throw refuse(index, token, "is not in NFC (its NFC form is \(form)) although \"normalization\" is \"NFC\"")
        }
        if index > 0 {
            if utf8 == previous {
                throw refuse(index, token, "appears twice, at tokens[\(index - 1)] and tokens[\(index)]")
            }
            if !previous.lexicographicallyPrecedes(utf8) {
                throw refuse(index, token, "is out of order: tokens must be sorted by code point, and it sorts before "
                             + "tokens[\(index - 1)] (\(Vocabulary.describe(tokens[index - 1])))")
            }
        }
        swap(&previous, &utf8)
    }
}

/// The first key that occurs twice in the top-level object of `json`, or `nil`
/// (also `nil` when the text is not a JSON object: the decoder reports that).
///
/// `JSONDecoder` keeps one of two equal keys without a word, so a file with
/// `"unit"` twice would be read as whichever the decoder picks.
func firstDuplicateTopLevelKey(_ json: [UInt8]) -> String? {
    var reader = JSONKeyReader(bytes: json)
    return reader.firstDuplicateKey()
}

/// Just enough of a JSON reader to list the keys of the top-level object:
/// strings are decoded (escapes included), other values are skipped.
private struct JSONKeyReader {
    let bytes: [UInt8]
    var i = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    mutating func firstDuplicateKey() -> String? {
        var seen = Set<String>()
        skipSpace()
        guard next() == UInt8(ascii: "{") else { return nil }
        skipSpace()
        if peek() == UInt8(ascii: "}") { return nil }
        while true {
            skipSpace()
            guard let key = readString() else { return nil }
            if !seen.insert(key).inserted { return key }
            skipSpace()
            guard next() == UInt8(ascii: ":"), skipValue() else { return nil }
            skipSpace()
            switch next() {
            case UInt8(ascii: ","): continue
            default: return nil
            }
        }
    }

    private func peek() -> UInt8? { i < bytes.count ? bytes[i] : nil }

    private mutating func next() -> UInt8? {
        guard i < bytes.count else { return nil }
        defer { i += 1 }
        return bytes[i]
    }

    private mutating func skipSpace() {
        while let b = peek(), b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 { i += 1 }
    }

    /// A string starting at `i` (its opening quote), decoded; `nil` when malformed.
    private mutating func readString() -> String? {
        guard next() == UInt8(ascii: "\"") else { return nil }
        var utf16: [UInt16] = []
        var raw: [UInt8] = []
        func flush() { utf16.append(contentsOf: String(decoding: raw, as: UTF8.self).utf16); raw.removeAll() }
        while let b = next() {
            switch b {
            case UInt8(ascii: "\""):
                flush()
                return String(decoding: utf16, as: UTF16.self)
            case UInt8(ascii: "\\"):
                flush()
                guard let e = next() else { return nil }
                switch e {
                case UInt8(ascii: "u"):
                    guard i + 4 <= bytes.count,
                          let unit = UInt16(String(decoding: bytes[i..<i + 4], as: UTF8.self), radix: 16) else { return nil }
                    utf16.append(unit)
                    i += 4
                case UInt8(ascii: "n"): utf16.append(0x0A)
                case UInt8(ascii: "t"): utf16.append(0x09)
                case UInt8(ascii: "r"): utf16.append(0x0D)
                case UInt8(ascii: "b"): utf16.append(0x08)
                case UInt8(ascii: "f"): utf16.append(0x0C)
                default: utf16.append(UInt16(e))      // \" \\ \/
                }
            default:
                raw.append(b)
            }
        }
        return nil
    }

    /// Skips one value (nested arrays and objects included); `false` when malformed.
    private mutating func skipValue() -> Bool {
        skipSpace()
        var depth = 0
        while let b = peek() {
            switch b {
            case UInt8(ascii: "\""):
                guard readString() != nil else { return false }
                if depth == 0 { return true }
                continue
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                if depth == 0 { return true }        // the end of the enclosing object
                depth -= 1
                if depth == 0 { i += 1; return true }
            case UInt8(ascii: ","):
                if depth == 0 { return true }
            default:
                break
            }
            i += 1
        }
        return false
    }
}
