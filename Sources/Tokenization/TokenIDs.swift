/// An immutable array of token ids in compact storage: one byte per id while
/// the ids stay below 256, two bytes below 65,536, four bytes beyond.
///
/// The storage is either memory of this process or a read-only mapping of an
/// id cache file (`CorpusCache`), which every process reading the same cache
/// shares in the page cache. Copies share the storage. Element access is bounds-checked; to feed a
/// batch, copy a range in one call with `copy(_:to:)`.
public struct TokenIDs: Sendable, RandomAccessCollection {
    public typealias Index = Int
    public typealias Element = Int32

    @usableFromInline let storage: Storage

    @usableFromInline
    init(storage: Storage) { self.storage = storage }

    /// Ids from any sequence of integers in `0..<Int32.max`, stored as UInt8
    /// when every id is below 256, as UInt16 below 65,536.
    public init<S: Sequence>(_ ids: S) where S.Element: BinaryInteger {
        let values = ids.map { id -> Int32 in
            precondition(id >= 0 && id <= Int32.max, "token id \(id) out of range")
            return Int32(id)
        }
        var buffer = IDBuffer(capacity: values.count, width: IDBuffer.width(forLargestID: Int(values.max() ?? 0)))
        for id in values { buffer.append(id) }
        self = buffer.finish()
    }

    @inlinable public var startIndex: Int { 0 }
    @inlinable public var endIndex: Int { storage.count }
    @inlinable public var count: Int { storage.count }

    /// Bytes per stored id: 1 (UInt8), 2 (UInt16) or 4 (UInt32).
    @inlinable public var bytesPerID: Int { storage.width }

    /// Whether the ids are a read-only mapping of a cache file rather than memory of this process.
    public var isMapped: Bool { storage.mapping != nil }

    @inlinable
    public subscript(i: Int) -> Int32 {
        precondition(i >= 0 && i < storage.count, "token index \(i) out of range 0..<\(storage.count)")
        switch storage.width {
        case 1: return Int32(storage.raw.load(fromByteOffset: i, as: UInt8.self))
        case 2: return Int32(storage.raw.load(fromByteOffset: i &* 2, as: UInt16.self))
        default: return Int32(bitPattern: storage.raw.load(fromByteOffset: i &* 4, as: UInt32.self))
        }
    }

    /// Copies the ids in `range` to `destination` (which holds `range.count` Int32s), widening them.
    @inlinable
    public func copy(_ range: Range<Int>, to destination: UnsafeMutablePointer<Int32>) {
        precondition(
            range.lowerBound >= 0 && range.upperBound <= storage.count,
            "token range \(range) out of range 0..<\(storage.count)")
        switch storage.width {
        case 1:
            let source = storage.raw.assumingMemoryBound(to: UInt8.self) + range.lowerBound
            for k in 0..<range.count { destination[k] = Int32(source[k]) }
        case 2:
            let source = storage.raw.assumingMemoryBound(to: UInt16.self) + range.lowerBound
            for k in 0..<range.count { destination[k] = Int32(source[k]) }
        default:
            let source = storage.raw.assumingMemoryBound(to: Int32.self) + range.lowerBound
            destination.update(from: source, count: range.count)
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
        /// Bytes per id: 1, 2 or 4.
        @usableFromInline let width: Int
        /// The file mapping the ids live in (unmapped with the storage), or nil for `malloc`ed memory.
        let mapping: MappedFile?
        /// `corpusFingerprint` of these ids when already known (read from a cache header).
        let knownFingerprint: String?

        init(
            raw: UnsafeMutableRawPointer, count: Int, width: Int, mapping: MappedFile? = nil,
            knownFingerprint: String? = nil
        ) {
            precondition(width == 1 || width == 2 || width == 4, "ids are 1, 2 or 4 bytes wide, not \(width)")
            self.raw = raw
            self.count = count
            self.width = width
            self.mapping = mapping
            self.knownFingerprint = knownFingerprint
        }

        deinit { if mapping == nil { deallocateBytes(raw) } }
    }
}

/// A growable id array with UInt8, UInt16 or UInt32 elements, built in place and
/// handed over to `TokenIDs` without a copy.
///
/// Memory is reserved for the expected count up front; pages that are never
/// written are never resident. The memory is freed with the last copy of the
/// buffer unless `finish()` handed it over. A corpus encoder starts one byte
/// wide and widens when an id reaches 256 (then 65,536): a gigabyte of text
/// with a byte-sized vocabulary takes a gigabyte of ids, not two.
struct IDBuffer {
    private let owner: Owner
    private(set) var raw: UnsafeMutableRawPointer
    private(set) var count = 0
    private(set) var capacity: Int
    /// Bytes per id: 1, 2 or 4.
    private(set) var width: Int
    /// The bytes a growth or a widening asked for and did not get (more than `available` says
    /// this process may still take, or refused by the system): from then on ids are dropped, and
    /// the encoder throws `TokenizationError.outOfMemory` once the chunk is scanned.
    private(set) var refused: Int?
    /// The memory this process may still take (`MemoryBudget`), asked before a growth or a
    /// widening allocates; tests inject a small one.
    var available: () -> Int = availableMemoryBytes

    /// The narrowest width that holds `id`.
    static func width(forLargestID id: Int) -> Int { id < 1 << 8 ? 1 : id < 1 << 16 ? 2 : 4 }

    init(capacity: Int, width: Int) {
        precondition(width == 1 || width == 2 || width == 4, "ids are 1, 2 or 4 bytes wide, not \(width)")
        self.capacity = max(capacity, 16)
        self.width = width
        raw = allocateBytes(self.capacity * width)
        owner = Owner(raw)
    }

    @inline(__always)
    mutating func append(_ id: Int32) {
        if _slowPath(count == capacity) {
            grow()
            if count == capacity { return }
        }
        switch width {
        case 1: raw.storeBytes(of: UInt8(truncatingIfNeeded: id), toByteOffset: count, as: UInt8.self)
        case 2: raw.storeBytes(of: UInt16(truncatingIfNeeded: id), toByteOffset: count &* 2, as: UInt16.self)
        default: raw.storeBytes(of: UInt32(bitPattern: id), toByteOffset: count &* 4, as: UInt32.self)
        }
        count &+= 1
    }

    mutating func append(contentsOf ids: [Int32]) {
        for id in ids { append(id) }
    }

    /// Half as much room again, when more ids come than were reserved (NFC can make more units
    /// than a chunk has bytes); a refusal is recorded in `refused`, never a trap.
    @inline(never)
    private mutating func grow() {
        guard refused == nil else { return }
        let target = capacity + capacity / 2 + 16
        let (bytes, overflow) = target.multipliedReportingOverflow(by: width)
        guard !overflow, bytes <= available(), let grown = reallocateBytesIfPossible(raw, bytes) else {
            refused = overflow ? Int.max : bytes
            return
        }
        raw = grown
        owner.raw = grown
        capacity = target
    }

    /// Makes room for `additional` more ids without trapping: the encoder reserves a chunk's worth
    /// before scanning it, so that a memory limit (ulimit -v, a cgroup) is met as an error.
    ///
    /// - Returns: false when the system refused the memory (the buffer is unchanged).
    mutating func reserve(additional: Int) -> Bool {
        let (needed, overflow) = count.addingReportingOverflow(additional)
        if overflow { return false }
        if needed <= capacity { return true }
        for target in [max(needed, capacity + capacity / 2 + 16), needed] {
            let (bytes, o) = target.multipliedReportingOverflow(by: width)
            if !o, let grown = reallocateBytesIfPossible(raw, bytes) {
                raw = grown
                owner.raw = grown
                capacity = target
                return true
            }
        }
        return false
    }

    /// Doubles the bytes per id (when the ids reach 256 or 65,536). The old block stays until the
    /// ids are copied: the new one must fit in what is `available` besides it. Where the whole
    /// reservation does not, the room for the ids so far and half as many again is enough (growth
    /// goes on as needed); a refusal is recorded in `refused`, never a trap.
    mutating func widen() {
        guard width < 4, refused == nil else { return }
        let room = available()
        var wider: UnsafeMutableRawPointer? = nil
        for target in [capacity, min(capacity, count + count / 2 + 16)] {
            let (bytes, overflow) = target.multipliedReportingOverflow(by: width * 2)
            if !overflow, bytes <= room, let block = allocateBytesIfPossible(bytes) {
                wider = block
                capacity = target
                break
            }
            refused = overflow ? Int.max : bytes
        }
        guard let wider else { return }
        refused = nil
        if width == 1 {
            let source = raw.assumingMemoryBound(to: UInt8.self)
            let destination = wider.assumingMemoryBound(to: UInt16.self)
            for k in 0..<count { destination[k] = UInt16(source[k]) }
        } else {
            let source = raw.assumingMemoryBound(to: UInt16.self)
            let destination = wider.assumingMemoryBound(to: UInt32.self)
            for k in 0..<count { destination[k] = UInt32(source[k]) }
        }
        deallocateBytes(raw)
        raw = wider
        owner.raw = wider
        width *= 2
    }

    /// Rewrites every id through `table` (`id → table[id]`).
    mutating func remap(_ table: [Int32]) {
        table.withUnsafeBufferPointer { map in
            guard let m = map.baseAddress else { return }
            switch width {
            case 1:
                let p = raw.assumingMemoryBound(to: UInt8.self)
                for k in 0..<count { p[k] = UInt8(truncatingIfNeeded: m[Int(p[k])]) }
            case 2:
                let p = raw.assumingMemoryBound(to: UInt16.self)
                for k in 0..<count { p[k] = UInt16(truncatingIfNeeded: m[Int(p[k])]) }
            default:
                let p = raw.assumingMemoryBound(to: UInt32.self)
                for k in 0..<count { p[k] = UInt32(bitPattern: m[Int(p[k])]) }
            }
        }
    }

    /// The ids as an array.
    func array() -> [Int32] {
        precondition(refused == nil, "out of memory: \(refused ?? 0) bytes for ids were refused (ids were dropped)")
        return [Int32](unsafeUninitializedCapacity: count) { buffer, initialized in
            for k in 0..<count {
                switch width {
                case 1: buffer[k] = Int32(raw.load(fromByteOffset: k, as: UInt8.self))
                case 2: buffer[k] = Int32(raw.load(fromByteOffset: k &* 2, as: UInt16.self))
                default: buffer[k] = Int32(bitPattern: raw.load(fromByteOffset: k &* 4, as: UInt32.self))
                }
            }
            initialized = count
        }
    }

    /// Shrinks the memory to the ids and hands it to a `TokenIDs`; the buffer must not be used afterwards.
    func finish() -> TokenIDs {
        precondition(owner.raw == raw, "IDBuffer finished twice")
        precondition(refused == nil, "out of memory: \(refused ?? 0) bytes for ids were refused (ids were dropped)")
        let shrunk = reallocateBytes(raw, max(count, 1) * width)
        owner.raw = nil
        return TokenIDs(storage: TokenIDs.Storage(raw: shrunk, count: count, width: width))
    }

    /// Frees the memory of an unfinished buffer when its last copy goes away.
    private final class Owner {
        var raw: UnsafeMutableRawPointer?
        init(_ raw: UnsafeMutableRawPointer) { self.raw = raw }
        deinit { if let raw { deallocateBytes(raw) } }
    }
}
