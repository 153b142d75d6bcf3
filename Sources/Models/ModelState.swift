import NeuralCore

/// The hidden state of every layer for B parallel streams: h (and c for LSTMs), [B, H] each.
public final class ModelState: @unchecked Sendable {
    public let batch: Int
    public let hidden: Int
    public let h: [FloatBuffer]
    public let c: [FloatBuffer]

    public init(config: ModelConfig, batch: Int) {
        self.batch = batch
        hidden = config.hidden
        h = (0..<config.layers).map { _ in FloatBuffer(count: batch * config.hidden) }
        c = config.cell.hasCellState ? (0..<config.layers).map { _ in FloatBuffer(count: batch * config.hidden) } : []
    }

    /// Resets every stream to the zero state.
    public func reset() {
        h.forEach { $0.zero() }
        c.forEach { $0.zero() }
    }

    /// Resets one stream `b` to the zero state.
    public func reset(stream b: Int) {
        for buf in h + c { (buf.pointer + b * hidden).update(repeating: 0, count: hidden) }
    }

    /// Copies all values from `other` (same shape).
    public func copy(from other: ModelState) {
        for (a, b) in zip(h, other.h) { a.copy(from: b) }
        for (a, b) in zip(c, other.c) { a.copy(from: b) }
    }

    /// All state buffers in a fixed order (h of every layer, then c), for saving.
    public var buffers: [FloatBuffer] { h + c }
}
