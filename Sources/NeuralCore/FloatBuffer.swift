/// A fixed-size, contiguous, 64-byte aligned block of `Float`s with reference semantics.
///
/// It is the storage of every parameter, gradient and workspace: allocated
/// once, reused for every step, never copied on write and never bounds-checked
/// in the hot loops (they take `pointer` directly).
public final class FloatBuffer: @unchecked Sendable {
    /// Number of elements.
    public let count: Int
    /// The elements, valid for the lifetime of the buffer.
    public let pointer: UnsafeMutablePointer<Float>

    /// A zero-filled buffer of `count` elements.
    public init(count: Int) {
        precondition(count >= 0, "buffer size must be non-negative, got \(count)")
        self.count = count
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * MemoryLayout<Float>.stride, alignment: 64)
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
    }

    /// A buffer holding a copy of `values`.
    public convenience init(_ values: [Float]) {
        self.init(count: values.count)
        values.withUnsafeBufferPointer { src in
            if let base = src.baseAddress { pointer.update(from: base, count: values.count) }
        }
    }

    deinit { pointer.deallocate() }

    /// The elements as a mutable buffer pointer.
    @inlinable
    public var buffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: pointer, count: count) }

    /// A copy of the elements as an array.
    public var array: [Float] { Array(buffer) }

    /// Sets every element to zero.
    @inlinable
    public func zero() { pointer.update(repeating: 0, count: count) }

    /// Copies `other` (same size) into this buffer.
    @inlinable
    public func copy(from other: FloatBuffer) {
        precondition(other.count == count, "size mismatch: \(other.count) vs \(count)")
        pointer.update(from: other.pointer, count: count)
    }

    /// Element access (bounds-checked; not for hot loops).
    public subscript(i: Int) -> Float {
        get { precondition(i >= 0 && i < count, "index \(i) out of range 0..<\(count)"); return pointer[i] }
        set { precondition(i >= 0 && i < count, "index \(i) out of range 0..<\(count)"); pointer[i] = newValue }
    }
}
