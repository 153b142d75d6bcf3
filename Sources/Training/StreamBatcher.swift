import Evaluation
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
    public mutating func next<S: TokenSource>(
        from data: S, inputs: UnsafeMutablePointer<Int32>,
        targets: UnsafeMutablePointer<Int32>
    ) -> Bool {
        next(from: data, inputs: inputs, targets: targets, streams: 0..<batch)
    }

    /// Fills `inputs` and `targets` ([S, streams.count], time-major) with the next window of the
    /// given streams only: column j holds stream `streams.lowerBound + j`, exactly as the full
    /// window would hold it. What one rank of a data-parallel job reads; the position and epoch
    /// advance as for the whole batch, so they stay the same on every rank.
    /// - Returns: true when this window starts a new epoch (reset the hidden state first).
    @discardableResult
    public mutating func next<S: TokenSource>(
        from data: S, inputs: UnsafeMutablePointer<Int32>,
        targets: UnsafeMutablePointer<Int32>, streams: Range<Int>
    ) -> Bool {
        precondition(isUsable, "data too short for one window")
        precondition(streams.lowerBound >= 0 && streams.upperBound <= batch, "streams \(streams) outside 0..<\(batch)")
        var wrapped = false
        if position + steps > streamLength {
            position = 0
            epoch += 1
            wrapped = true
        }
        let width = streams.count
        for (j, b) in streams.enumerated() {
            let base = b * streamLength + position
            for t in 0..<steps {
                inputs[t * width + j] = data[base + t]
                targets[t * width + j] = data[base + t + 1]
            }
        }
        position += steps
        return wrapped
    }

    /// Index of the window `next` returned last, counted from the start of training (epochs
    /// included): the same on every rank and after a resume.
    public var lastWindow: Int { epoch * windowsPerEpoch + max(position - steps, 0) / steps }

    /// The streams among `streams` that start again from the zero state before the last window when
    /// every stream does so every `n` windows, staggered: stream b when (window + b) mod n = 0, so
    /// that each window sees about B / n streams at the start of their context.
    public func streamsDue(every n: Int, among streams: Range<Int>) -> [Int] {
        guard n > 0 else { return [] }
        let phase = lastWindow % n
        return streams.filter { ($0 % n + phase) % n == 0 }
    }
}
