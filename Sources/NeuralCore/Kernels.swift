// Fused element-wise kernels over raw buffers (no bounds checks, no copies).
//
// The loops are C (CKernels), compiled for AVX2+FMA and for baseline x86-64 and picked at run
// time (`KernelLevel`), so a plain `swift build -c release` runs as fast as a build for this CPU.
// `exp` uses a Cody–Waite range reduction and a degree-6 polynomial (relative error about 2e-7
// over the whole Float range), which is all a sigmoid, tanh or softmax in single precision can use.

import CKernels

/// Element-wise kernels over raw buffers.
public enum Kernels {
    /// Adds `bias` (length n) to each of the `rows` rows of `y` (row stride n).
    @inlinable
    public static func addRowBias(_ y: UnsafeMutablePointer<Float>, rows: Int, _ bias: UnsafePointer<Float>, _ n: Int) {
        ck_add_row_bias(y, rows, bias, n)
    }

    /// y[i] += x[i].
    @inlinable
    public static func add(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, _ n: Int) {
        ck_add(x, y, n)
    }

    /// z[i] = x[i] * y[i].
    @inlinable
    public static func multiply(
        _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, into z: UnsafeMutablePointer<Float>, _ n: Int
    ) {
        ck_multiply(x, y, z, n)
    }

    /// Sum of squares: blocks of 4,096 squares summed in float, the blocks in Double.
    @inlinable
    public static func sumOfSquares(_ x: UnsafePointer<Float>, _ n: Int) -> Double {
        ck_sum_of_squares(x, n)
    }

    /// x[i] *= s.
    @inlinable
    public static func scale(_ x: UnsafeMutablePointer<Float>, _ n: Int, by s: Float) {
        ck_scale(x, n, s)
    }

    /// dst[i] = e^src[i] (inputs clamped to [-87.3, 88.7]); `dst` may be `src`.
    @inlinable
    public static func exp(_ src: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>, _ n: Int) {
        ck_exp(src, dst, n)
    }

    /// dst[i] = 1 / (1 + e^-src[i]); `dst` may be `src`.
    @inlinable
    public static func sigmoid(_ src: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>, _ n: Int) {
        ck_sigmoid(src, dst, n)
    }

    /// dst[i] = tanh src[i] (absolute error < 2e-7); `dst` may be `src`.
    @inlinable
    public static func tanh(_ src: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>, _ n: Int) {
        ck_tanh(src, dst, n)
    }

    /// Fused softmax + cross-entropy over `rows` rows of `v` logits.
    ///
    /// Overwrites `logits` with `scale · (softmax − onehot(target))` — the gradient
    /// of `scale · Σ loss` — and returns the summed loss in nats. Rows whose target
    /// is negative are ignored (zero gradient, no loss). Without `gradient` the logits are
    /// left as they are and only the loss is computed.
    @inlinable
    public static func softmaxCrossEntropy(
        _ logits: UnsafeMutablePointer<Float>, rows: Int, v: Int,
        targets: UnsafePointer<Int32>, scale: Float, gradient: Bool = true
    ) -> Double {
        ck_softmax_xent(logits, rows, v, targets, scale, gradient ? 1 : 0)
    }
}
