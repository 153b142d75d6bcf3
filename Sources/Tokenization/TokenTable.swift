/// Exact, byte-for-byte token → id lookup, shaped for the scanner's hot path.
///
/// Swift's `String` compares and hashes by canonical equivalence, so "é" and
/// "e\u{301}" would be one key; tokens here are keyed by their UTF-8 bytes.
/// - `byteIDs`: one slot per byte value: ASCII tokens, and for the byte unit every byte.
/// - `scalarIDs`: one slot per scalar value for non-ASCII single-scalar tokens
///   (id + 1; 0 = absent), allocated zeroed so only touched pages are resident.
/// - `clusters`: tokens of several scalars (grapheme clusters such as CR LF, "e\u{301}", emoji sequences).
struct TokenTable {
    static let scalarSlots = 0x11_0000

    /// Owns the slot tables; copies of a `TokenTable` share them (they are
    /// written only while one builder owns the table).
    private let memory = SlotMemory()
    let byteIDs: UnsafeMutablePointer<Int32>
    let scalarIDs: UnsafeMutablePointer<Int32>
    private(set) var clusters = ClusterMap()
    /// UTF-8 of each token string, in id order.
    private(set) var tokens: [[UInt8]] = []

    init() {
        byteIDs = memory.byteIDs
        scalarIDs = memory.scalarIDs
    }

    var count: Int { tokens.count }

    @inline(__always)
    func id(byte b: UInt8) -> Int32 { byteIDs[Int(b)] }

    @inline(__always)
    func id(scalar value: UInt32) -> Int32 { scalarIDs[Int(value)] &- 1 }

    @inline(__always)
    func id(cluster utf8: UnsafeBufferPointer<UInt8>) -> Int32 { clusters[utf8] }

    /// Appends a token reached through `byteIDs[slot]`; returns its id.
    mutating func add(byte slot: UInt8, utf8: [UInt8]) -> Int32 {
        let id = Int32(tokens.count)
        tokens.append(utf8)
        byteIDs[Int(slot)] = id
        return id
    }

    /// Appends a non-ASCII single-scalar token; returns its id.
    mutating func add(scalar value: UInt32, utf8: UnsafeBufferPointer<UInt8>) -> Int32 {
        let id = Int32(tokens.count)
        tokens.append(Array(utf8))
        scalarIDs[Int(value)] = id &+ 1
        return id
    }

    /// Appends a token of several scalars; returns its id.
    mutating func add(cluster utf8: UnsafeBufferPointer<UInt8>) -> Int32 {
        let id = Int32(tokens.count)
        tokens.append(Array(utf8))
        clusters.insert(utf8, id: id)
        return id
    }

    /// Appends any token, filing it by its shape (as the scanner will look it up
    /// for `unit`); returns its id, or `nil` when the token is already present.
    /// For the byte unit the token must be one scalar ≤ U+00FF.
    mutating func add(token: String, unit: TextUnit) -> Int32? {
        let utf8 = Array(token.utf8)
        let scalars = token.unicodeScalars
        if scalars.count == 1, let scalar = scalars.first {
            let value = scalar.value
            if unit == .byte || value < 0x80 {
                precondition(value <= 0xFF, "byte token out of range")
                if id(byte: UInt8(value)) >= 0 { return nil }
                return add(byte: UInt8(value), utf8: utf8)
            }
            if id(scalar: value) >= 0 { return nil }
            return utf8.withUnsafeBufferPointer { add(scalar: value, utf8: $0) }
        }
        return utf8.withUnsafeBufferPointer { buffer in
            if id(cluster: buffer) >= 0 { return nil }
            return add(cluster: buffer)
        }
    }

    /// The id of an exact token string, as `add(token:unit:)` filed it.
    func id(of token: String, unit: TextUnit) -> Int32 {
        let scalars = token.unicodeScalars
        if scalars.count == 1, let scalar = scalars.first {
            let value = scalar.value
            if unit == .byte || value < 0x80 { return value <= 0xFF ? id(byte: UInt8(value)) : -1 }
            return id(scalar: value)
        }
        if unit == .byte || scalars.isEmpty { return -1 }
        return Array(token.utf8).withUnsafeBufferPointer { id(cluster: $0) }
    }
}

/// The slot tables of a `TokenTable`: 256 byte slots (-1 = absent) and one
/// slot per scalar value (id + 1; 0 = absent), zeroed by `calloc` so that only
/// the pages actually used become resident (a few KiB for most texts).
private final class SlotMemory {
    let byteIDs: UnsafeMutablePointer<Int32>
    let scalarIDs: UnsafeMutablePointer<Int32>

    init() {
        byteIDs = allocateBytes(256 * 4).assumingMemoryBound(to: Int32.self)
        byteIDs.initialize(repeating: -1, count: 256)
        scalarIDs = allocateZeroedBytes(TokenTable.scalarSlots * 4).assumingMemoryBound(to: Int32.self)
    }

    deinit {
        deallocateBytes(byteIDs)
        deallocateBytes(scalarIDs)
    }
}

/// UTF-8 byte string → id: strings up to 31 bytes (nearly every grapheme
/// cluster, emoji sequences included) live in a dictionary with an inline,
/// allocation-free key; longer ones in a second dictionary.
struct ClusterMap {
    private var short: [ShortKey: Int32] = [:]
    private var long: [[UInt8]: Int32] = [:]

    subscript(utf8: UnsafeBufferPointer<UInt8>) -> Int32 {
        if utf8.count <= ShortKey.capacity { return short[ShortKey(utf8)] ?? -1 }
        return long[Array(utf8)] ?? -1
    }

    mutating func insert(_ utf8: UnsafeBufferPointer<UInt8>, id: Int32) {
        if utf8.count <= ShortKey.capacity { short[ShortKey(utf8)] = id } else { long[Array(utf8)] = id }
    }
}

/// Up to 31 bytes and their count, stored inline in four words.
struct ShortKey: Hashable {
    static let capacity = 31
    private var w0: UInt64 = 0, w1: UInt64 = 0, w2: UInt64 = 0, w3: UInt64 = 0

    @inline(__always)
    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        withUnsafeMutableBytes(of: &words) { raw in
            if let base = bytes.baseAddress { raw.baseAddress!.copyMemory(from: base, byteCount: bytes.count) }
            raw[31] = UInt8(truncatingIfNeeded: bytes.count)
        }
        (w0, w1, w2, w3) = words
    }
}
