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
        // (One token: its buffers are a few bytes.)
        let normalized = try utf8.withUnsafeBufferPointer { try normalizer.normalize($0).map(Array.init) }
        if let normalized, normalized != utf8 {
            let form = Vocabulary.describe(String(decoding: normalized, as: UTF8.self))
            throw refuse(index, token, "is not in NFC (its NFC form is \(form)) although \"normalization\" is \"NFC\"")
        }
        if index > 0 {
            if utf8 == previous {
                throw refuse(index, token, "appears twice, at tokens[\(index - 1)] and tokens[\(index)]")
            }
            if !previous.lexicographicallyPrecedes(utf8) {
                throw refuse(
                    index, token,
                    "is out of order: tokens must be sorted by code point, and it sorts before "
                        + "tokens[\(index - 1)] (\(Vocabulary.describe(tokens[index - 1])))")
            }
        }
        swap(&previous, &utf8)
    }
}
