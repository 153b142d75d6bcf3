/// Receives the units of a text in order. The scanner calls exactly one method per unit.
protocol UnitConsumer {
    /// A unit of one byte: an ASCII scalar that is a unit by itself (every
    /// unit kind), or any byte of the byte unit.
    mutating func consume(byte: UInt8) throws
    /// A non-ASCII scalar that is a unit by itself (grapheme and scalar units); `utf8` is its encoding.
    mutating func consume(scalar: UInt32, utf8: UnsafeBufferPointer<UInt8>) throws
    /// A grapheme cluster of several scalars (grapheme unit only; CR LF is one).
    mutating func consume(cluster utf8: UnsafeBufferPointer<UInt8>) throws
    /// Room for `units` more ids, reserved before a chunk is scanned; false when the system refused it.
    mutating func reserve(units: Int) -> Bool
    /// The bytes of id memory refused while the chunk was scanned (more units than reserved, or
    /// wider ids), or nil: the encoder throws `TokenizationError.outOfMemory` after the chunk.
    var refusedBytes: Int? { get }
}

/// Cuts valid UTF-8 text into units (after normalization), fast.
///
/// Text is handed over in pieces that start and end on boundaries that are
/// both grapheme-cluster and normalization boundaries (see `lastSafeCut`), so
/// each piece is scanned on its own.
///
/// Inside a piece, an ASCII byte followed by another ASCII byte is a unit of
/// its own whatever the unit kind and normalization (except CR LF, one
/// grapheme cluster): no grapheme rule joins two ASCII scalars other than CR LF,
/// and no ASCII scalar composes with its neighbour. That is the fast path.
/// Everything else goes in segments that end between two such ASCII bytes:
/// each segment is normalized (skipped when trivially in NFC, else ICU's quick
/// check first), then cut into scalars, bytes, or grapheme clusters (runs of
/// `isSimpleGraphemeLead` scalars directly, the rest by Swift's `String`).
struct UnitScanner {
    let unit: TextUnit
    private var normalizer: TextNormalizer
    let normalizes: Bool

    /// - Parameter available: the memory this process may still take, asked before a
    ///   normalization buffer grows.
    init(unit: TextUnit, normalization: Normalization, available: @escaping () -> Int = availableMemoryBytes) {
        self.unit = unit
        normalizer = TextNormalizer(normalization, available: available)
        normalizes = normalization == .nfc
    }

    /// Scans one piece of valid UTF-8 whose start and end are safe boundaries.
    mutating func scan<C: UnitConsumer>(_ text: UnsafeBufferPointer<UInt8>, into consumer: inout C) throws {
        guard let p = text.baseAddress else { return }
        let n = text.count
        if unit == .byte && !normalizes {
            for i in 0..<n { try consumer.consume(byte: p[i]) }
            return
        }
        let graphemes = unit == .grapheme
        var i = 0
        while i < n {
            let b = p[i]
            if b < 0x80 {
                let next: UInt8 = i &+ 1 < n ? p[i &+ 1] : 0
                if next < 0x80 {
                    if graphemes && b == 0x0D && next == 0x0A {
                        try consumer.consume(cluster: UnsafeBufferPointer(start: p + i, count: 2))
                        i &+= 2
                    } else {
                        try consumer.consume(byte: b)
                        i &+= 1
                    }
                    continue
                }
            }
            // A segment from here to the next cut between two ASCII bytes (not CR LF).
            var end = i &+ 1
            while end < n {
                let previous = p[end &- 1], current = p[end]
                if previous < 0x80 && current < 0x80 && !(previous == 0x0D && current == 0x0A) { break }
                end &+= 1
            }
            try scanSegment(UnsafeBufferPointer(start: p + i, count: end &- i), into: &consumer)
            i = end
        }
    }

    private mutating func scanSegment<C: UnitConsumer>(_ raw: UnsafeBufferPointer<UInt8>, into consumer: inout C) throws
    {
        let text = try normalizer.normalize(raw) ?? raw
        guard let p = text.baseAddress else { return }
        let n = text.count
        switch unit {
        case .byte:
            for i in 0..<n { try consumer.consume(byte: p[i]) }
        case .scalar:
            var i = 0
            while i < n {
                let b = p[i]
                if b < 0x80 {
                    try consumer.consume(byte: b)
                    i &+= 1
                } else {
                    let length = utf8SequenceLength(lead: b)
                    try consumer.consume(
                        scalar: decodeScalar(p + i, length: length),
                        utf8: UnsafeBufferPointer(start: p + i, count: length))
                    i &+= length
                }
            }
        case .grapheme:
            try scanGraphemes(text, into: &consumer)
        }
    }

    /// Grapheme clusters.
    ///
    /// Between two scalars of `isSimpleGraphemeLead` (other than CR LF) there is
    /// always a cluster boundary, so a run of such scalars is cut without
    /// grapheme rules (most CJK and all-ASCII stretches). Every other stretch,
    /// from one such boundary to the next, is cut by Swift's `String` (the same
    /// segmentation as `Character`).
    private func scanGraphemes<C: UnitConsumer>(_ text: UnsafeBufferPointer<UInt8>, into consumer: inout C) throws {
        guard let p = text.baseAddress else { return }
        let n = text.count
        var runStart = 0  // a known cluster boundary
        var previousSimple = true  // the start of the text is a safe boundary
        var previousCR = false
        var i = 0
        while i < n {
            let b = p[i]
            let simple = isSimpleGraphemeLead(p + i)
            if simple && previousSimple && i > runStart && !(previousCR && b == 0x0A) {
                try emitClusters(UnsafeBufferPointer(start: p + runStart, count: i &- runStart), into: &consumer)
                runStart = i
            }
            previousSimple = simple
            previousCR = b == 0x0D
            i &+= utf8SequenceLength(lead: b)
        }
        if runStart < n {
            try emitClusters(UnsafeBufferPointer(start: p + runStart, count: n &- runStart), into: &consumer)
        }
    }

    /// Emits the clusters of a stretch that starts and ends on cluster boundaries.
    @inline(__always)
    private func emitClusters<C: UnitConsumer>(_ text: UnsafeBufferPointer<UInt8>, into consumer: inout C) throws {
        let p = text.baseAddress!
        let lead = p[0]
        let length = utf8SequenceLength(lead: lead)
        if length == text.count {
            // One scalar.
            if length == 1 {
                try consumer.consume(byte: lead)
            } else {
                try consumer.consume(scalar: decodeScalar(p, length: length), utf8: text)
            }
            return
        }
        try emitClustersWithStringRules(text, into: &consumer)
    }

    @inline(never)
    private func emitClustersWithStringRules<C: UnitConsumer>(
        _ text: UnsafeBufferPointer<UInt8>, into consumer: inout C
    ) throws {
        guard let p = text.baseAddress else { return }
        let string = String(decoding: text, as: UTF8.self)
        let utf8 = string.utf8
        var index = string.startIndex
        let end = string.endIndex
        var offset = 0
        while index < end {
            let next = string.index(after: index)
            let length = utf8.distance(from: index, to: next)
            let lead = p[offset]
            if length == 1 {
                try consumer.consume(byte: lead)
            } else if length == utf8SequenceLength(lead: lead) {
                try consumer.consume(
                    scalar: decodeScalar(p + offset, length: length),
                    utf8: UnsafeBufferPointer(start: p + offset, count: length))
            } else {
                try consumer.consume(cluster: UnsafeBufferPointer(start: p + offset, count: length))
            }
            offset &+= length
            index = next
        }
    }
}

/// Whether the scalar at `p` (valid UTF-8) behaves like grapheme-cluster class
/// Other (or Control) on both sides: no rule of UAX #29 joins it to a neighbour
/// of this same set, except CR LF. The set: U+0000...U+02FF (ASCII, Latin-1,
/// Latin Extended, IPA, spacing modifiers), Greek U+0370...U+03FF, Cyrillic
/// U+0400...U+0482 and U+048A...U+04FF, Hebrew letters U+05D0...U+05EA, Arabic
/// letters U+0621...U+064A, hiragana U+3041...U+3096, katakana
/// U+30A1...U+30FA, U+4000...U+9FFF (CJK ideographs, Yijing hexagrams), and the
/// Hangul syllables U+AC00...U+D7A3 (a syllable followed by a syllable always
/// breaks). Not members: combining marks, ZWJ, prepended marks, regional
/// indicators, emoji, Hangul jamo. `testSimpleGraphemeScalarsBreakOnBothSides`
/// checks every member against Swift's own segmentation.
@inline(__always)
func isSimpleGraphemeLead(_ p: UnsafePointer<UInt8>) -> Bool {
    let b = p[0]
    if b < 0xCC { return true }  // U+0000...U+02FF
    if b >= 0xE4 && b <= 0xE9 { return true }  // U+4000...U+9FFF
    if b < 0xE0 {
        switch decodeScalar(p, length: 2) {
        case 0x0370...0x03FF, 0x0400...0x0482, 0x048A...0x04FF, 0x05D0...0x05EA, 0x0621...0x064A: return true
        default: return false
        }
    }
    if b < 0xE3 || b > 0xED { return false }
    switch decodeScalar(p, length: 3) {
    case 0x3041...0x3096, 0x30A1...0x30FA, 0xAC00...0xD7A3: return true
    default: return false
    }
}
