// Where the tokens come from: a corpus of ids, a part of it, the train/validation split, and
// the corpus fingerprint a resume checks.
import Models
import Tokenization

/// Read access to a corpus of token ids (compact storage stays compact).
public protocol TokenSource: Sendable {
    var count: Int { get }
    subscript(_ i: Int) -> Int32 { get }
}

extension Array: TokenSource where Element == Int32 {}
/// Ids in memory, or mapped read-only from an id cache file (`CorpusCache`): N processes training on one
/// box from the same cache read one copy of it in the page cache.
extension TokenIDs: TokenSource {}

/// A contiguous range of a token source (the training or the validation part).
public struct TokenSlice<Source: TokenSource>: TokenSource {
    public let source: Source
    public let start: Int
    public let count: Int

    public init(_ source: Source, _ range: Range<Int>) {
        precondition(range.lowerBound >= 0 && range.upperBound <= source.count, "slice out of range")
        self.source = source
        start = range.lowerBound
        count = range.count
    }

    @inlinable public subscript(_ i: Int) -> Int32 { source[start + i] }
}

/// The data protocol shared with the PyTorch peer: the first `1 − f` of the tokens train,
/// the last `f` validate.
public func splitPoint(count: Int, validationFraction f: Double) -> Int {
    Int(Double(count) * (1 - f))
}

/// `corpusFingerprint` of compact ids: read from the id cache's header when they were mapped from
/// one, else computed over the stored bytes (the same value, a quarter of the work for byte ids).
public func corpusFingerprint(_ ids: TokenIDs) -> String { ids.fingerprint }

/// FNV-1a (64-bit) over the token ids of `source`, as 16 hex digits: the identity of an
/// encoded corpus, checked when a run resumes.
public func corpusFingerprint<S: TokenSource>(_ source: S) -> String {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for i in 0..<source.count {
        var v = UInt32(bitPattern: source[i])
        for _ in 0..<4 {
            h = (h ^ UInt64(v & 0xff)) &* 0x0000_0100_0000_01b3
            v >>= 8
        }
    }
    let hex = String(h, radix: 16)
    return String(repeating: "0", count: 16 - hex.count) + hex
}
