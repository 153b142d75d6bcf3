// Matrix–vector products for a few streams (batch 1 to ~16), where BLAS's per-call checks,
// threading decisions and packing cost as much as the arithmetic: each step of a 2×256 LSTM
// is a few products of ~1,000 rows by 256 columns, split by rows over a `SpinTeam`.
// The loop is C (CKernels: AVX2+FMA or portable, chosen at run time).

import CKernels

/// `y[i] = base[i] + Σ_k W[i·ld + k] · x[k]` for `i` in `0..<rows` (`base` nil: 0).
///
/// Four rows at a time, 16 columns per iteration and two accumulators per row, so the four
/// weight rows stream through the cache together and `x` is loaded once for them. `base`
/// may be `y` itself (y += W x).
@inlinable
public func rowDots(
    _ w: UnsafePointer<Float>, ld: Int, rows: Int, cols: Int, x: UnsafePointer<Float>,
    base: UnsafePointer<Float>?, into y: UnsafeMutablePointer<Float>
) {
    ck_row_dots(w, ld, rows, cols, 1, x, 0, base, 0, y, 0)
}

/// The same for `vectors` streams at once:
/// `y[b·yStride + i] = base[b·baseStride + i] + Σ_k W[i·ld + k] · x[b·xStride + k]`.
///
/// Each block of four weight rows is loaded from memory once and reused from L1 for every
/// stream, so a few streams cost little more memory traffic than one. `baseStride` 0 adds
/// the same vector (a bias) to every stream; `base` may be `y` with `baseStride == yStride`.
@inlinable
public func rowDots(
    _ w: UnsafePointer<Float>, ld: Int, rows: Int, cols: Int, vectors: Int,
    x: UnsafePointer<Float>, xStride: Int, base: UnsafePointer<Float>?, baseStride: Int,
    into y: UnsafeMutablePointer<Float>, yStride: Int
) {
    ck_row_dots(w, ld, rows, cols, vectors, x, xStride, base, baseStride, y, yStride)
}
