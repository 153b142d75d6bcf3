import FileIO
import Foundation

// The id cache file: a corpus encoded once, written durably, mapped read-only by every later run.
#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// What identifies the corpus a cache was made from: its size, its modification time, and a
/// hash of 64 blocks of 4 KiB spread over it (the first and the last included).
///
/// Why not a hash of every byte: reading 1 GB again costs about as long as mapping and checking
/// the cache itself (docs/distributed.md, "Gigabyte corpora"); an edit that keeps both the size
/// and the modification time to the nanosecond is not something an editor, `cp` or `rsync` does,
/// and the sampled blocks still catch a different file of the same size copied with `cp -p`.
struct CorpusStamp: Codable, Equatable, Sendable {
    var bytes: Int
    var mtimeNanoseconds: Int64
    var sampleHash: String

    static let sampleBlocks = 64, sampleBlockBytes = 4096

    enum CodingKeys: String, CodingKey {
        case bytes, mtimeNanoseconds = "mtime_ns", sampleHash = "sample_fnv1a64"
    }

    /// The stamp of the file at `path`.
    ///
    /// - Throws: the errors of `InputFile`, `.emptyFile`.
    init(path: String) throws {
        let file = try openInput(path)
        guard file.sizeHint > 0 else { throw TokenizationError.emptyFile(path: path) }
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw TokenizationError.unreadable(path: path, reason: errnoReason(errno))
        }
        bytes = file.sizeHint
        mtimeNanoseconds = fileModificationNanoseconds(info)
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw TokenizationError.unreadable(path: path, reason: errnoReason(errno)) }
        defer { close(fd) }
        var hash = FNV1a64()
        hash.add(UInt64(bytes))
        let block = Self.sampleBlockBytes, blocks = Self.sampleBlocks
        var buffer = [UInt8](repeating: 0, count: block)
        let span = max(bytes - block, 0)
        for k in 0..<blocks {
            let offset = span * k / (blocks - 1)
            let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, block, off_t(offset)) }
            guard n >= 0 else { throw TokenizationError.unreadable(path: path, reason: errnoReason(errno)) }
            buffer.withUnsafeBytes { hash.add(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
        }
        sampleHash = hash.hex
    }
}

/// The JSON header of an id cache file.
struct IDCacheHeader: Codable, Equatable {
    static let magic = Array("CHARNNID".utf8)
    static let format: UInt32 = 1
    /// Bytes before the JSON: the magic, the format, the JSON's length (UInt32, little-endian).
    static let prefixBytes = 16
    /// The ids start at a multiple of this (aligned loads of UInt32 ids).
    static let alignment = 64
    static let maximumJSONBytes = 1 << 26

    var corpus: CorpusStamp
    var unit: TextUnit
    var normalization: Normalization
    var tokens: [String]
    var count: Int
    var bytesPerID: Int
    var idsOffset: Int
    /// `IDChecksum` of the id bytes: checked on every open (it catches any damaged block).
    var idsChecksum: String
    /// `corpusFingerprint` of the ids (what a resumed run compares), so no run recomputes it.
    var idsFingerprint: String

    enum CodingKeys: String, CodingKey {
        case corpus, unit, normalization, tokens, count, bytesPerID = "bytes_per_id", idsOffset = "ids_offset"
        case idsChecksum = "ids_checksum", idsFingerprint = "ids_fnv1a64"
    }

    /// The bytes before the ids: prefix, JSON, zero padding to `alignment` (`idsOffset` is set here).
    mutating func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // The offset depends on the JSON's length, which depends on the offset's digits: settle it.
        var json: [UInt8] = []
        for _ in 0..<3 {
            json = Array(try encoder.encode(self))
            let offset = (Self.prefixBytes + json.count + Self.alignment - 1) / Self.alignment * Self.alignment
            if offset == idsOffset { break }
            idsOffset = offset
        }
        var bytes = Self.magic
        withUnsafeBytes(of: Self.format.littleEndian) { bytes.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt32(json.count).littleEndian) { bytes.append(contentsOf: $0) }
        bytes += json
        precondition(bytes.count <= idsOffset, "id cache header longer than its offset")
        bytes += [UInt8](repeating: 0, count: idsOffset - bytes.count)
        return bytes
    }

    /// Reads the header of a mapped cache file.
    ///
    /// - Throws: `IDCacheProblem` saying what is wrong.
    static func decode(_ file: MappedFile) throws(IDCacheProblem) -> IDCacheHeader {
        let p = file.base, n = file.byteCount
        guard n >= prefixBytes, (0..<8).allSatisfy({ p.load(fromByteOffset: $0, as: UInt8.self) == magic[$0] }) else {
            throw .damaged("it does not start with the id cache's magic bytes")
        }
        let format = UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
        guard format == Self.format else { throw .stale("it has format \(format), this charnn writes \(Self.format)") }
        let length = Int(UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 12, as: UInt32.self)))
        guard length <= maximumJSONBytes, prefixBytes + length <= n else {
            throw .damaged("its header says \(length) bytes of JSON, the file has \(n) bytes")
        }
        let json = Data(bytes: p + prefixBytes, count: length)
        let header: IDCacheHeader
        do { header = try JSONDecoder().decode(IDCacheHeader.self, from: json) } catch {
            throw .damaged("its header is not valid (\(error))")
        }
        guard [1, 2, 4].contains(header.bytesPerID), header.count >= 0, header.idsOffset >= prefixBytes + length,
            header.idsOffset % alignment == 0
        else {
            throw .damaged("its header holds impossible values")
        }
        let (idBytes, o1) = header.count.multipliedReportingOverflow(by: header.bytesPerID)
        let (expected, o2) = header.idsOffset.addingReportingOverflow(idBytes)
        guard !o1, !o2, expected == n else {
            throw .damaged(
                "it has \(n) bytes where its header announces \(o1 || o2 ? "more" : "\(expected)")"
                    + (n < expected ? " (truncated)" : ""))
        }
        return header
    }
}

/// Why a cache file was not used.
enum IDCacheProblem: Error, Equatable {
    /// Made from another file, another unit, or by another format: replaced without comment.
    case stale(String)
    /// Not a cache this program wrote whole: replaced, and said so.
    case damaged(String)

    var reason: String {
        switch self {
        case .stale(let why), .damaged(let why): return why
        }
    }
}

/// A 64-bit check of id bytes that runs at memory speed: the sum of the 8-byte words and the sum
/// of those running sums (Fletcher's construction), so a changed, lost or moved word changes it.
func idChecksum(_ bytes: UnsafeRawBufferPointer) -> String {
    var a: UInt64 = 0, b: UInt64 = 0
    let words = bytes.count / 8
    if let base = bytes.baseAddress {
        for k in 0..<words {
            a &+= UInt64(littleEndian: base.loadUnaligned(fromByteOffset: k &* 8, as: UInt64.self))
            b &+= a
        }
        var tail: UInt64 = 0
        for k in (words * 8)..<bytes.count { tail = tail << 8 | UInt64(base.load(fromByteOffset: k, as: UInt8.self)) }
        a &+= tail
        b &+= a
    }
    return hex16(a) + hex16(b)
}

/// The largest id stored in `bytes` (ids `width` bytes wide, little-endian).
func largestID(_ bytes: UnsafeRawBufferPointer, width: Int) -> Int {
    guard let base = bytes.baseAddress else { return -1 }
    let n = bytes.count / width
    switch width {
    case 1:
        let p = base.assumingMemoryBound(to: UInt8.self)
        var m: UInt8 = 0
        for k in 0..<n { m = max(m, p[k]) }
        return n == 0 ? -1 : Int(m)
    case 2:
        let p = base.assumingMemoryBound(to: UInt16.self)
        var m: UInt16 = 0
        for k in 0..<n { m = max(m, p[k]) }
        return n == 0 ? -1 : Int(m)
    default:
        let p = base.assumingMemoryBound(to: UInt32.self)
        var m: UInt32 = 0
        for k in 0..<n { m = max(m, p[k]) }
        return n == 0 ? -1 : Int(m)
    }
}

/// FNV-1a, 64 bits, over bytes.
struct FNV1a64 {
    static let prime: UInt64 = 0x0000_0100_0000_01b3
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func add(_ bytes: UnsafeRawBufferPointer) {
        for b in bytes { value = (value ^ UInt64(b)) &* Self.prime }
    }

    mutating func add(_ word: UInt64) {
        withUnsafeBytes(of: word.littleEndian) { add($0) }
    }

    var hex: String { hex16(value) }
}

/// `value` as 16 lowercase hex digits.
func hex16(_ value: UInt64) -> String {
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: 16 - digits.count) + digits
}

/// FNV-1a (64-bit) over each id's four little-endian bytes: the corpus fingerprint a resumed run
/// checks (`corpusFingerprint` in Evaluation computes the same over any token source).
///
/// The zero high bytes of narrow ids only multiply by the prime, so one multiplication by its
/// power stands for them: a third of the work for UInt16 ids, a quarter for UInt8.
func idsFingerprint(_ raw: UnsafeRawPointer, count: Int, width: Int) -> String {
    let p1 = FNV1a64.prime, p2 = p1 &* p1, p3 = p2 &* p1, p4 = p3 &* p1
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    switch width {
    case 1:
        let p = raw.assumingMemoryBound(to: UInt8.self)
        for k in 0..<count { h = (h ^ UInt64(p[k])) &* p4 }
    case 2:
        let p = raw.assumingMemoryBound(to: UInt16.self)
        for k in 0..<count {
            let v = UInt64(p[k])
            h = (h ^ (v & 0xff)) &* p1
            h = (h ^ (v >> 8)) &* p3
        }
    default:
        let p = raw.assumingMemoryBound(to: UInt32.self)
        for k in 0..<count {
            var v = UInt64(p[k])
            for _ in 0..<4 {
                h = (h ^ (v & 0xff)) &* p1
                v >>= 8
            }
        }
    }
    return hex16(h)
}

extension TokenIDs {
    /// `corpusFingerprint` of these ids: read from the cache header when they came from one.
    public var fingerprint: String {
        storage.knownFingerprint ?? idsFingerprint(storage.raw, count: storage.count, width: storage.width)
    }

    /// The stored bytes of the ids.
    var rawBytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: storage.raw, count: storage.count * storage.width)
    }
}
