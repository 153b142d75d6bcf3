/// The Unicode normalization applied to text before it is cut into units.
///
/// NFC (canonical composition, UAX #15) is the default: "é" typed as `e` +
/// U+0301 and "é" typed as U+00E9 become the same token. The raw value is what
/// `vocab.json` stores.
public enum Normalization: String, Codable, Sendable, CaseIterable {
    /// Canonical composition (NFC), through ICU on Linux and Foundation on Apple platforms.
    case nfc = "NFC"
    /// The text as written, scalar for scalar.
    case none

    /// `text` under this normalization.
    public func apply(to text: String) -> String {
        guard self == .nfc else { return text }
        var normalizer = TextNormalizer(.nfc)
        var copy = text
        var result: [UInt8] = []
        copy.withUTF8 { utf8 in
            forEachPiece(of: utf8, pieceSize: CorpusEncoder.defaultChunkSize) { piece in
                // (Pieces of a string already in memory, at most a chunk each: their buffers fit.)
                do { result.append(contentsOf: try normalizer.normalize(piece) ?? piece) } catch {
                    preconditionFailure("out of memory normalizing text: \(error)")
                }
            }
        }
        return String(decoding: result, as: UTF8.self)
    }
}

/// Normalizes segments of valid UTF-8 with reused buffers, skipping the work
/// for text that is trivially in NFC.
struct TextNormalizer {
    private let backend: NFCBackend?

    /// - Parameter available: the memory this process may still take, asked before a buffer grows.
    init(_ normalization: Normalization, available: @escaping () -> Int = availableMemoryBytes) {
        backend = normalization == .nfc ? NFCBackend(available: available) : nil
    }

    /// Normalizes `text` (valid UTF-8).
    ///
    /// - Returns: `nil` when the text is unchanged (already in NFC, or no
    ///   normalization), else the normalized text, valid until the next call.
    /// - Throws: `NormalizationMemoryRefused` when a buffer would grow past the memory available.
    mutating func normalize(
        _ text: UnsafeBufferPointer<UInt8>
    ) throws(NormalizationMemoryRefused) -> UnsafeBufferPointer<UInt8>? {
        guard let backend else { return nil }
        if isTriviallyNFC(text) { return nil }
        return try backend.normalize(text)
    }
}

/// The memory for the NFC form of a stretch of text was refused (over the memory available, or
/// by the system): the encoder throws `TokenizationError.outOfMemory` with its file.
struct NormalizationMemoryRefused: Error, CustomStringConvertible {
    var bytes: Int
    var description: String { "the system refused about \(formatBytes(bytes)) of memory for the NFC form of a text" }
}

/// Whether every scalar of `text` (valid UTF-8) is NFC quick-check Yes with
/// canonical combining class 0, judged by lead bytes alone: such text is in NFC.
///
/// The scalars recognized are U+0000...U+02FF (lead bytes below 0xCC), the CJK
/// ideographs and Yijing hexagrams U+4000...U+9FFF (0xE4...0xE9), and the
/// Hangul syllables U+B000...U+CFFF (0xEB, 0xEC); continuation bytes are
/// 0x80...0xBF. Anything else goes to the real quick check.
@inline(__always)
func isTriviallyNFC(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
    for b in text where b >= 0xCC && (b &- 0xE4) >= 6 && (b &- 0xEB) >= 2 { return false }
    return true
}
