/// One named float32 tensor: its shape and its values in row-major order.
///
/// Shape legend: `shape == []` is a scalar (one value); a dimension of 0 makes an
/// empty tensor (no values). `values.count` must equal the product of `shape`;
/// ``SafeTensors/encode(_:metadata:)`` checks this and throws otherwise.
///
/// Equality compares values with `==`, so a record holding NaN is not equal to itself.
public struct TensorRecord: Sendable, Equatable {
    /// The tensor's name in the file, e.g. `rnn.weight_ih_l0`.
    public var name: String
    /// Dimensions, outermost first; `[]` for a scalar.
    public var shape: [Int]
    /// Row-major values; `shape.reduce(1, *)` of them.
    public var values: [Float]

    public init(name: String, shape: [Int], values: [Float]) {
        self.name = name
        self.shape = shape
        self.values = values
    }

    /// The number of elements `shape` describes, or `nil` when a dimension is
    /// negative or the product does not fit in `Int`.
    public var elementCount: Int? {
        SafeTensors.elementCount(of: shape)
    }
}

/// A float32 tensor to be written from memory the caller owns (`SafeTensors.write` of views):
/// a name, a shape and the values, which must stay valid and unchanged during the write.
public struct TensorView {
    /// The tensor's name in the file.
    public var name: String
    /// Dimensions, outermost first.
    public var shape: [Int]
    /// Row-major values; `shape.reduce(1, *)` of them.
    public var values: UnsafeBufferPointer<Float>

    public init(name: String, shape: [Int], values: UnsafeBufferPointer<Float>) {
        self.name = name
        self.shape = shape
        self.values = values
    }
}
