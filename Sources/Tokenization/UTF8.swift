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

/// Finds the first byte of `text` that is not part of well-formed UTF-8, or is NUL.
///
/// - Returns: the offset of the offending byte (the start of the bad
///   sequence) and the problem, or `nil` when all of `text` is valid.
func firstInvalidByte(_ text: UnsafeBufferPointer<UInt8>) -> (offset: Int, problem: ByteProblem)? {
    guard let p = text.baseAddress else { return nil }
    let n = text.count
    let high: UInt64 = 0x8080_8080_8080_8080
    let ones: UInt64 = 0x0101_0101_0101_0101
    var i = 0
    while i < n {
        if i &+ 8 <= n {
            // Eight ASCII bytes at a time, none of them zero.
            let w = UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self)
            if w & high == 0 && (w &- ones) & ~w & high == 0 { i &+= 8; continue }
        }
        let b = p[i]
        if b < 0x80 {
            if b == 0 { return (i, .nul) }
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
            if c1 & 0xC0 != 0x80 || c2 & 0xC0 != 0x80 || c3 & 0xC0 != 0x80 || (b == 0xF0 && c1 < 0x90) || (b == 0xF4 && c1 > 0x8F) {
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

/// Whether `b` starts a scalar in U+4000...U+9FFF (CJK ideographs of the Unified
/// and Extension A blocks, and the Yijing hexagrams): grapheme-cluster class
/// Other, canonical combining class 0, NFC quick check Yes, and never the second
/// scalar of a canonical composition.
@inline(__always)
func isIdeographLead(_ b: UInt8) -> Bool { b >= 0xE4 && b <= 0xE9 }

/// The last position `k` in `1...text.count` where `text` can be cut into
/// `text[..<k]` and `text[k...]` so that the cut is both an extended grapheme
/// cluster boundary and a normalization boundary, whatever follows `text`; 0 when
/// there is none.
///
/// A cut is safe
/// - just after a line feed (rule GB4 breaks after LF; LF never composes), or
/// - between two scalars that are each ASCII (other than the pair CR LF) or a
///   CJK ideograph U+4000...U+9FFF: neither is Prepend, Extend, ZWJ, SpacingMark,
///   a regional indicator or Hangul, and neither combines canonically with its
///   neighbour, so no rule of UAX #29 or UAX #15 joins them.
///
/// Cuts never split a well-formed UTF-8 sequence.
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
        if next < 0x80 || isIdeographLead(next) {
            let previous = p[k &- 1]
            if previous < 0x80 {
                if !(previous == 0x0D && next == 0x0A) { return k }
            } else if k >= 3 && isIdeographLead(p[k &- 3]) && previous & 0xC0 == 0x80 && p[k &- 2] & 0xC0 == 0x80 {
                return k
            }
        }
        k &-= 1
    }
    return 0
}

/// Counts line feeds in `text`.
func countLineFeeds(_ text: UnsafeBufferPointer<UInt8>) -> Int {
    var lines = 0
    for b in text where b == 0x0A { lines &+= 1 }
    return lines
}
