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
        return copy.withUTF8 { utf8 in
            if let normalized = normalizer.normalize(utf8) { return String(decoding: normalized, as: UTF8.self) }
            return String(decoding: utf8, as: UTF8.self)
        }
    }
}

/// Normalizes segments of valid UTF-8 with reused buffers, skipping the work
/// for text that is trivially in NFC.
struct TextNormalizer {
    private let backend: NFCBackend?

    init(_ normalization: Normalization) {
        backend = normalization == .nfc ? NFCBackend() : nil
    }

    /// Normalizes `text` (valid UTF-8).
    ///
    /// - Returns: `nil` when the text is unchanged (already in NFC, or no
    ///   normalization), else the normalized text, valid until the next call.
    mutating func normalize(_ text: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8>? {
        guard let backend else { return nil }
        // Every scalar below U+0300 is NFC quick-check Yes with combining class 0,
        // and their UTF-8 uses no byte ≥ 0xCC.
        var trivial = true
        for b in text where b >= 0xCC { trivial = false; break }
        if trivial { return nil }
        return backend.normalize(text)
    }
}
