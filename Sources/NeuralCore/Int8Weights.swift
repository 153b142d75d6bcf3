import CKernels

/// A copy of a float matrix [rows, cols] in 8 bits per weight: row i is `scales[i] · q[i, k]`,
/// q in −127…127 rounded to nearest, `scales[i] = max_k |W[i, k]| / 127`.
public final class Int8Matrix: @unchecked Sendable {
    public let rows: Int
    public let cols: Int
    /// The 8-bit values, packed [rows, cols].
    public let values: UnsafeMutablePointer<Int8>
    /// One scale per row.
    public let scales: UnsafeMutablePointer<Float>

    /// Quantises `rows × cols` floats (row stride `cols`).
    public init(from source: UnsafePointer<Float>, rows: Int, cols: Int) {
        precondition(rows >= 0 && cols >= 0, "matrix shape must be non-negative")
        self.rows = rows
        self.cols = cols
        values = .allocate(capacity: max(rows * cols, 1))
        scales = .allocate(capacity: max(rows, 1))
        update(from: source)
    }

    deinit {
        values.deallocate()
        scales.deallocate()
    }

    /// Quantises again from `source` (same shape), after the float weights changed.
    public func update(from source: UnsafePointer<Float>) {
        ck_quantize_rows(source, cols, rows, cols, values, scales)
    }

    /// The weights as the kernels see them (scale · q), [rows, cols].
    public var floats: [Float] {
        (0..<(rows * cols)).map { scales[$0 / max(cols, 1)] * Float(values[$0]) }
    }

    /// `y[i] = base[i] + scales[r] · Σ_k q[r, k] · x̂[k]` for the rows `r` in `rows` (i from 0),
    /// x̂ being x rounded to 16-bit steps of max|x| / 32767 per block of 512 columns. The sums are
    /// exact integers, so every kernel level gives the same bits. `base` may be `y`.
    @inlinable
    public func dots(
        rows r: Range<Int>, x: UnsafePointer<Float>, base: UnsafePointer<Float>?,
        into y: UnsafeMutablePointer<Float>
    ) {
        ck_row_dots_i8(values + r.lowerBound * cols, scales + r.lowerBound, cols, r.count, cols, x, base, y)
    }

    /// The same for `vectors` streams (x_b = x + b·xStride, base_b = base + b·baseStride, y_b =
    /// y + b·yStride; baseStride 0: one base for all): each stream gets exactly the bits of
    /// `dots(rows:x:base:into:)` on it alone, and each block of rows is read for two streams at
    /// once. `base` may be `y` with `baseStride == yStride`.
    @inlinable
    public func dots(
        rows r: Range<Int>, vectors: Int, x: UnsafePointer<Float>, xStride: Int, base: UnsafePointer<Float>?,
        baseStride: Int, into y: UnsafeMutablePointer<Float>, yStride: Int
    ) {
        ck_row_dots_i8_multi(
            values + r.lowerBound * cols, scales + r.lowerBound, cols, r.count, cols, vectors, x, xStride, base,
            baseStride, y, yStride)
    }
}
