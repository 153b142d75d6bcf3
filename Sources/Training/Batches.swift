import Models
import Tokenization

/// Read access to a corpus of token ids (compact storage stays compact).
public protocol TokenSource: Sendable {
    var count: Int { get }
    subscript(_ i: Int) -> Int32 { get }
}

extension Array: TokenSource where Element == Int32 {}
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

/// B parallel streams over a token sequence, cut into windows of S steps (truncated BPTT).
///
/// Stream b reads tokens `[b·L, (b+1)·L]` with `L = (n − 1) / B`; window k holds positions
/// `[k·S, k·S + S)` of every stream, inputs and next-token targets, time-major. When the next
/// window would pass `L` the epoch ends: the position returns to 0 and the caller resets the
/// hidden state. This is exactly the peer's protocol (`peer_pytorch.py`).
public struct StreamBatcher: Sendable, Equatable {
    public let batch: Int
    public let steps: Int
    /// Positions per stream.
    public let streamLength: Int
    /// Current position within the streams (saved in checkpoints).
    public var position: Int = 0
    /// Completed passes over the data.
    public var epoch: Int = 0

    public init(count: Int, batch: Int, steps: Int) {
        self.batch = batch
        self.steps = steps
        streamLength = max(0, (count - 1) / batch)
    }

    /// Whether the data holds at least one window.
    public var isUsable: Bool { streamLength >= steps }

    /// Windows per epoch.
    public var windowsPerEpoch: Int { streamLength / steps }

    /// Fills `inputs` and `targets` ([S, B], time-major) with the next window.
    /// - Returns: true when this window starts a new epoch (reset the hidden state first).
    @discardableResult
    public mutating func next<S: TokenSource>(from data: S, inputs: UnsafeMutablePointer<Int32>,
                                              targets: UnsafeMutablePointer<Int32>) -> Bool {
        precondition(isUsable, "data too short for one window")
        var wrapped = false
        if position + steps > streamLength {
            position = 0
            epoch += 1
            wrapped = true
        }
        for b in 0..<batch {
            let base = b * streamLength + position
            for t in 0..<steps {
                inputs[t * batch + b] = data[base + t]
                targets[t * batch + b] = data[base + t + 1]
            }
        }
        position += steps
        return wrapped
    }
}

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
