/// An immutable array of token ids in compact storage: two bytes per id
/// while the vocabulary has at most 65,536 tokens, four bytes beyond.
///
/// Copies share the storage. Element access is bounds-checked; to feed a
/// batch, copy a range in one call with `copy(_:to:)`.
public struct TokenIDs: Sendable, RandomAccessCollection {
    public typealias Index = Int
    public typealias Element = Int32

    @usableFromInline let storage: Storage

    @usableFromInline
    init(storage: Storage) { self.storage = storage }

    /// Ids from any sequence of integers in `0..<Int32.max`, stored as UInt16
    /// when every id is below 65,536.
    public init<S: Sequence>(_ ids: S) where S.Element: BinaryInteger {
        let values = ids.map { id -> Int32 in
            precondition(id >= 0 && id <= Int32.max, "token id \(id) out of range")
            return Int32(id)
        }
        var buffer = IDBuffer(capacity: values.count, wide: (values.max() ?? 0) > Int32(UInt16.max))
        for id in values { buffer.append(id) }
        self = buffer.finish()
    }

    @inlinable public var startIndex: Int { 0 }
    @inlinable public var endIndex: Int { storage.count }
    @inlinable public var count: Int { storage.count }

    /// Bytes per stored id: 2 (UInt16) or 4 (UInt32).
    @inlinable public var bytesPerID: Int { storage.isWide ? 4 : 2 }

    @inlinable
    public subscript(i: Int) -> Int32 {
        precondition(i >= 0 && i < storage.count, "token index \(i) out of range 0..<\(storage.count)")
        if storage.isWide {
            return Int32(bitPattern: storage.raw.load(fromByteOffset: i &* 4, as: UInt32.self))
        }
        return Int32(storage.raw.load(fromByteOffset: i &* 2, as: UInt16.self))
    }

    /// Copies the ids in `range` to `destination` (which holds `range.count` Int32s), widening them.
    @inlinable
    public func copy(_ range: Range<Int>, to destination: UnsafeMutablePointer<Int32>) {
        precondition(range.lowerBound >= 0 && range.upperBound <= storage.count,
                     "token range \(range) out of range 0..<\(storage.count)")
        if storage.isWide {
            let source = storage.raw.assumingMemoryBound(to: Int32.self) + range.lowerBound
            destination.update(from: source, count: range.count)
        } else {
            let source = storage.raw.assumingMemoryBound(to: UInt16.self) + range.lowerBound
            for k in 0..<range.count { destination[k] = Int32(source[k]) }
        }
    }

    /// The ids in `range` as an array.
    public func array(_ range: Range<Int>) -> [Int32] {
        [Int32](unsafeUninitializedCapacity: range.count) { buffer, initialized in
            if let base = buffer.baseAddress { copy(range, to: base) }
            initialized = range.count
        }
    }

    /// The memory holding the ids (immutable once built, hence `@unchecked Sendable`).
    @usableFromInline
    final class Storage: @unchecked Sendable {
        @usableFromInline let raw: UnsafeMutableRawPointer
        @usableFromInline let count: Int
        @usableFromInline let isWide: Bool

        init(raw: UnsafeMutableRawPointer, count: Int, isWide: Bool) {
            self.raw = raw
            self.count = count
            self.isWide = isWide
        }

        deinit { deallocateBytes(raw) }
    }
}

/// A growable id array with UInt16 or UInt32 elements, built in place and
/// handed over to `TokenIDs` without a copy.
///
/// Memory is reserved for the expected count up front; pages that are never
/// written are never resident. The memory is freed with the last copy of the
/// buffer unless `finish()` handed it over.
struct IDBuffer {
    private let owner: Owner
    private(set) var raw: UnsafeMutableRawPointer
    private(set) var count = 0
    private(set) var capacity: Int
    private(set) var isWide: Bool

    init(capacity: Int, wide: Bool) {
        self.capacity = max(capacity, 16)
        self.isWide = wide
        raw = allocateBytes(self.capacity * (wide ? 4 : 2))
        owner = Owner(raw)
    }

    @inline(__always)
    mutating func append(_ id: Int32) {
        if _slowPath(count == capacity) { grow() }
        if isWide {
            raw.storeBytes(of: UInt32(bitPattern: id), toByteOffset: count &* 4, as: UInt32.self)
        } else {
            raw.storeBytes(of: UInt16(truncatingIfNeeded: id), toByteOffset: count &* 2, as: UInt16.self)
        }
        count &+= 1
    }

    mutating func append(contentsOf ids: [Int32]) {
        for id in ids { append(id) }
    }

    @inline(never)
    private mutating func grow() {
        capacity = capacity + capacity / 2 + 16
        raw = reallocateBytes(raw, capacity * (isWide ? 4 : 2))
        owner.raw = raw
    }

    /// Switches to four bytes per id (when ids reach 65,536).
    mutating func widen() {
        guard !isWide else { return }
        let wide = allocateBytes(capacity * 4)
        let source = raw.assumingMemoryBound(to: UInt16.self)
        let destination = wide.assumingMemoryBound(to: UInt32.self)
        for k in 0..<count { destination[k] = UInt32(source[k]) }
        deallocateBytes(raw)
        raw = wide
        owner.raw = wide
        isWide = true
    }

    /// Rewrites every id through `table` (`id → table[id]`).
    mutating func remap(_ table: [Int32]) {
        table.withUnsafeBufferPointer { map in
            guard let m = map.baseAddress else { return }
            if isWide {
                let p = raw.assumingMemoryBound(to: UInt32.self)
                for k in 0..<count { p[k] = UInt32(bitPattern: m[Int(p[k])]) }
            } else {
                let p = raw.assumingMemoryBound(to: UInt16.self)
                for k in 0..<count { p[k] = UInt16(truncatingIfNeeded: m[Int(p[k])]) }
            }
        }
    }

    /// The ids as an array.
    func array() -> [Int32] {
        [Int32](unsafeUninitializedCapacity: count) { buffer, initialized in
            for k in 0..<count {
                buffer[k] = isWide ? Int32(bitPattern: raw.load(fromByteOffset: k &* 4, as: UInt32.self))
                                   : Int32(raw.load(fromByteOffset: k &* 2, as: UInt16.self))
            }
            initialized = count
        }
    }

    /// Shrinks the memory to the ids and hands it to a `TokenIDs`; the buffer must not be used afterwards.
    func finish() -> TokenIDs {
        precondition(owner.raw == raw, "IDBuffer finished twice")
        let shrunk = reallocateBytes(raw, max(count, 1) * (isWide ? 4 : 2))
        owner.raw = nil
        return TokenIDs(storage: TokenIDs.Storage(raw: shrunk, count: count, isWide: isWide))
    }

    /// Frees the memory of an unfinished buffer when its last copy goes away.
    private final class Owner {
        var raw: UnsafeMutableRawPointer?
        init(_ raw: UnsafeMutableRawPointer) { self.raw = raw }
        deinit { if let raw { deallocateBytes(raw) } }
    }
}
