// Byte-level UTF-8 helpers for the hot paths: validation, scalar decoding,
// UTF-8 ⇄ UTF-16 transcoding (for ICU) and the search for safe chunk cuts.

/// Why a byte sequence is not acceptable text.
enum ByteProblem: Equatable {
    /// Not UTF-8 (a stray continuation byte, an overlong form, a surrogate, a
    /// value above U+10FFFF, or a sequence cut short).
    case invalidUTF8
    /// A NUL byte: the file is binary, not text.
    case nul
}

/// Finds the first byte of `text` that is not part of well-formed UTF-8, or is
/// NUL (unless `allowingNUL`: the byte unit takes U+0000 as any other scalar).
///
/// - Returns: the offset of the offending byte (the start of the bad
///   sequence) and the problem, or `nil` when all of `text` is valid.
func firstInvalidByte(
    _ text: UnsafeBufferPointer<UInt8>,
    allowingNUL: Bool = false
) -> (offset: Int, problem: ByteProblem)? {
    guard let p = text.baseAddress else { return nil }
    let n = text.count
    let high: UInt64 = 0x8080_8080_8080_8080
    let ones: UInt64 = allowingNUL ? 0 : 0x0101_0101_0101_0101
    var i = 0
    while i < n {
        if i &+ 8 <= n {
            // Eight ASCII bytes at a time, none of them zero (unless allowed).
            let w = UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self)
            if w & high == 0 && (w &- ones) & ~w & high == 0 { i &+= 8; continue }
        }
        let b = p[i]
        if b < 0x80 {
            if b == 0 && !allowingNUL { return (i, .nul) }
            i &+= 1
            continue
        }
        if b < 0xE0 {
            // Two bytes: C2...DF, then a continuation byte.
            if b < 0xC2 || i &+ 1 >= n || p[i &+ 1] & 0xC0 != 0x80 { return (i, .invalidUTF8) }
            i &+= 2
        } else if b < 0xF0 {
            // Three bytes: E0 needs A0...BF next (no overlong forms), ED needs 80...9F (no surrogates).
            if i &+ 2 >= n { return (i, .invalidUTF8) }
            let c1 = p[i &+ 1], c2 = p[i &+ 2]
            if c1 & 0xC0 != 0x80 || c2 & 0xC0 != 0x80 || (b == 0xE0 && c1 < 0xA0) || (b == 0xED && c1 > 0x9F) {
                return (i, .invalidUTF8)
            }
            i &+= 3
        } else {
            // Four bytes: F0 needs 90...BF next, F4 needs 80...8F (nothing above U+10FFFF).
            if b > 0xF4 || i &+ 3 >= n { return (i, .invalidUTF8) }
            let c1 = p[i &+ 1], c2 = p[i &+ 2], c3 = p[i &+ 3]
            if c1 & 0xC0 != 0x80 || c2 & 0xC0 != 0x80 || c3 & 0xC0 != 0x80 || (b == 0xF0 && c1 < 0x90)
                || (b == 0xF4 && c1 > 0x8F)
            {
                return (i, .invalidUTF8)
            }
            i &+= 4
        }
    }
    return nil
}

/// Number of bytes of the UTF-8 sequence that starts with `lead` (valid UTF-8 assumed).
@inline(__always)
func utf8SequenceLength(lead: UInt8) -> Int {
    lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4
}

/// The scalar value of the valid UTF-8 sequence of `length` bytes at `p`.
@inline(__always)
func decodeScalar(_ p: UnsafePointer<UInt8>, length: Int) -> UInt32 {
    switch length {
    case 1: return UInt32(p[0])
    case 2: return UInt32(p[0] & 0x1F) << 6 | UInt32(p[1] & 0x3F)
    case 3: return UInt32(p[0] & 0x0F) << 12 | UInt32(p[1] & 0x3F) << 6 | UInt32(p[2] & 0x3F)
    default:
        return UInt32(p[0] & 0x07) << 18 | UInt32(p[1] & 0x3F) << 12 | UInt32(p[2] & 0x3F) << 6 | UInt32(p[3] & 0x3F)
    }
}

/// The UTF-8 encoding of one scalar value.
func utf8Bytes(ofScalar value: UInt32) -> [UInt8] {
    Array(String(Character(Unicode.Scalar(value)!)).utf8)
}

/// Transcodes valid UTF-8 into UTF-16; `destination` holds at least `source.count` units.
///
/// - Returns: the number of UTF-16 units written.
func transcodeUTF8ToUTF16(_ source: UnsafeBufferPointer<UInt8>, into destination: UnsafeMutablePointer<UInt16>) -> Int {
    guard let p = source.baseAddress else { return 0 }
    let n = source.count
    var i = 0, j = 0
    while i < n {
        let b = p[i]
        if b < 0x80 { destination[j] = UInt16(b); i &+= 1; j &+= 1; continue }
        let length = utf8SequenceLength(lead: b)
        let v = decodeScalar(p + i, length: length)
        if v < 0x1_0000 {
            destination[j] = UInt16(v); j &+= 1
        } else {
            let u = v &- 0x1_0000
            destination[j] = UInt16(0xD800 | (u >> 10))
            destination[j &+ 1] = UInt16(0xDC00 | (u & 0x3FF))
            j &+= 2
        }
        i &+= length
    }
    return j
}

/// Transcodes well-formed UTF-16 into UTF-8; `destination` holds at least `3 × source.count` bytes.
///
/// - Returns: the number of bytes written.
func transcodeUTF16ToUTF8(_ source: UnsafeBufferPointer<UInt16>, into destination: UnsafeMutablePointer<UInt8>) -> Int {
    guard let p = source.baseAddress else { return 0 }
    let n = source.count
    var i = 0, j = 0
    while i < n {
        var v = UInt32(p[i])
        i &+= 1
        if v >= 0xD800 && v < 0xDC00 && i < n {
            v = 0x1_0000 &+ ((v &- 0xD800) << 10) &+ (UInt32(p[i]) &- 0xDC00)
            i &+= 1
        }
        if v < 0x80 {
            destination[j] = UInt8(v); j &+= 1
        } else if v < 0x800 {
            destination[j] = UInt8(0xC0 | (v >> 6)); destination[j &+ 1] = UInt8(0x80 | (v & 0x3F)); j &+= 2
        } else if v < 0x1_0000 {
            destination[j] = UInt8(0xE0 | (v >> 12)); destination[j &+ 1] = UInt8(0x80 | ((v >> 6) & 0x3F))
            destination[j &+ 2] = UInt8(0x80 | (v & 0x3F)); j &+= 3
        } else {
            destination[j] = UInt8(0xF0 | (v >> 18)); destination[j &+ 1] = UInt8(0x80 | ((v >> 12) & 0x3F))
            destination[j &+ 2] = UInt8(0x80 | ((v >> 6) & 0x3F)); destination[j &+ 3] = UInt8(0x80 | (v & 0x3F))
            j &+= 4
        }
    }
    return j
}

// MARK: - Safe cuts

/// Whether a normalization boundary and, after a scalar of the same set, a
/// grapheme-cluster boundary come right before the scalar at `p` (valid UTF-8,
/// complete): a member of `isSimpleGraphemeLead` that is NFC quick-check Yes
/// with combining class 0, so it neither combines with nor reorders around
/// what precedes it. (Of the simple set, only U+0374, U+037E and U+0387 fail:
/// they are NFC quick-check No.)
@inline(__always)
func startsSafeCut(_ p: UnsafePointer<UInt8>) -> Bool {
    let b = p[0]
    if b == 0xCD { return p[1] != 0xB4 && p[1] != 0xBE && isSimpleGraphemeLead(p) }  // U+0374, U+037E
    if b == 0xCE { return p[1] != 0x87 && isSimpleGraphemeLead(p) }  // U+0387
    return isSimpleGraphemeLead(p)
}

/// The last position `k` in `1...text.count` where `text` can be cut into
/// `text[..<k]` and `text[k...]` so that the cut is both an extended grapheme
/// cluster boundary and a normalization boundary, whatever follows `text`; 0 when
/// there is none.
///
/// A cut is safe
/// - just after a line feed (rule GB4 breaks after LF; LF never composes), or
/// - between two scalars of `isSimpleGraphemeLead` (not CR LF), the second of
///   which `startsSafeCut`: no grapheme rule joins them, and the second neither
///   composes with nor reorders around the first. That covers text in Latin,
///   Greek, Cyrillic, Hebrew and Arabic letters, kana, CJK and Hangul.
///
/// Cuts never split a well-formed UTF-8 sequence; on ill-formed bytes the cut
/// may land anywhere without reading outside `text` (validation reports them).
func lastSafeCut(_ text: UnsafeBufferPointer<UInt8>) -> Int {
    guard let p = text.baseAddress else { return 0 }
    let n = text.count
    var k = n
    while k > 0 {
        if p[k &- 1] == 0x0A { return k }
        k &-= 1
    }
    k = n &- 1
    while k >= 1 {
        let next = p[k]
        if next & 0xC0 != 0x80 && k &+ utf8SequenceLength(lead: next) <= n && startsSafeCut(p + k) {
            // The scalar before: back over at most three continuation bytes to its lead.
            var start = k &- 1
            while start > 0 && k &- start < 4 && p[start] & 0xC0 == 0x80 { start &-= 1 }
            let previous = p[start]
            if previous & 0xC0 != 0x80 && start &+ utf8SequenceLength(lead: previous) == k
                && isSimpleGraphemeLead(p + start) && !(previous == 0x0D && next == 0x0A)
            {
                return k
            }
        }
        k &-= 1
    }
    return 0
}

/// Calls `body` with consecutive pieces of `text` of about `pieceSize` bytes or
/// more, each ending at a safe cut (see `lastSafeCut`) or at the end.
func forEachPiece(
    of text: UnsafeBufferPointer<UInt8>, pieceSize: Int,
    _ body: (UnsafeBufferPointer<UInt8>) throws -> Void
) rethrows {
    guard let p = text.baseAddress else { return }
    let n = text.count
    var start = 0
    while start < n {
        var window = min(pieceSize, n &- start)
        var cut = 0
        while cut == 0 {
            if start &+ window == n { cut = window; break }
            cut = lastSafeCut(UnsafeBufferPointer(start: p + start, count: window))
            window = min(window &* 2, n &- start)
        }
        try body(UnsafeBufferPointer(start: p + start, count: cut))
        start &+= cut
    }
}

/// Counts line feeds in `text`.
func countLineFeeds(_ text: UnsafeBufferPointer<UInt8>) -> Int {
    var lines = 0
    for b in text where b == 0x0A { lines &+= 1 }
    return lines
}

/// The UTF-8 text of a small file already read whole (a prime file, bench's corpus), checked as a
/// corpus is: the first invalid byte or NUL is named with its byte offset and line.
///
/// - Throws: `TokenizationError.invalidUTF8` or `.binaryContent` naming `path`.
public func decodeText(_ bytes: [UInt8], path: String) throws -> String {
    try bytes.withUnsafeBufferPointer { buffer in
        if let (offset, problem) = firstInvalidByte(buffer) {
            let line = 1 + countLineFeeds(UnsafeBufferPointer(rebasing: buffer[..<offset]))
            switch problem {
            case .nul: throw TokenizationError.binaryContent(path: path, byteOffset: offset, line: line)
            case .invalidUTF8:
                throw TokenizationError.invalidUTF8(path: path, byteOffset: offset, line: line, byte: buffer[offset])
            }
        }
    }
    return String(decoding: bytes, as: UTF8.self)
}
