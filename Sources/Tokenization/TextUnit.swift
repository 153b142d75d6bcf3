/// What one token is.
///
/// The raw value is what `vocab.json` stores.
public enum TextUnit: String, Codable, Sendable, CaseIterable {
    /// An extended grapheme cluster (UAX #29, as Swift's `Character`): what a
    /// reader sees as one character: "é", "🇫🇷", "👩🏽‍💻", CR LF. The default.
    case grapheme
    /// A Unicode scalar (a code point other than a surrogate), as Python's `str`
    /// iterates: the vocabulary of the PyTorch peer.
    case scalar
    /// One byte of the UTF-8 encoding: at most 256 tokens, any text.
    ///
    /// In `vocab.json` and `Vocabulary.tokens`, byte `b` is written as the
    /// string of the single scalar U+00bb of the same value (its Latin-1
    /// reading): byte 0x41 is "A", byte 0xC3 is "Ã". Decoding turns each token
    /// back into its byte and reads the bytes as UTF-8.
    case byte

    /// The plural noun used in messages: "grapheme clusters", "Unicode scalars", "bytes".
    public var pluralName: String {
        switch self {
        case .grapheme: return "grapheme clusters"
        case .scalar: return "Unicode scalars"
        case .byte: return "bytes"
        }
    }
}

/// What to do with a unit of text that a saved vocabulary does not know
/// (in a prime text or an evaluation file).
public enum UnknownPolicy: Sendable, Equatable {
    /// Throw `TokenizationError.unknownCharacter`, naming the character and its position.
    case error
    /// Leave the unit out; it is reported in the returned `unknowns`.
    case skip
    /// Put the tokens of this text in its place (it must be made of known
    /// units; an empty text skips); reported in the returned `unknowns`.
    case replace(String)
}
