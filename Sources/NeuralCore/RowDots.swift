// Matrix–vector products for a few streams (batch 1 to ~16), where BLAS's per-call checks,
// threading decisions and packing cost as much as the arithmetic: each step of a 2×256 LSTM
// is a few products of ~1,000 rows by 256 columns, split by rows over a `SpinTeam`.

/// `y[i] = base[i] + Σ_k W[i·ld + k] · x[k]` for `i` in `0..<rows` (`base` nil: 0).
///
/// Four rows at a time, 16 columns per iteration and one accumulator per row, so the four
/// weight rows stream through the cache together and `x` is loaded once for them. `base`
/// may be `y` itself (y += W x).
@inlinable
public func rowDots(_ w: UnsafePointer<Float>, ld: Int, rows: Int, cols: Int, x: UnsafePointer<Float>,
                    base: UnsafePointer<Float>?, into y: UnsafeMutablePointer<Float>) {
    rowDots(w, ld: ld, rows: rows, cols: cols, vectors: 1, x: x, xStride: 0, base: base, baseStride: 0,
            into: y, yStride: 0)
}

/// The same for `vectors` streams at once:
/// `y[b·yStride + i] = base[b·baseStride + i] + Σ_k W[i·ld + k] · x[b·xStride + k]`.
///
/// Each block of four weight rows is loaded from memory once and reused from L1 for every
/// stream, so a few streams cost little more memory traffic than one. `baseStride` 0 adds
/// the same vector (a bias) to every stream; `base` may be `y` with `baseStride == yStride`.
@inlinable
public func rowDots(_ w: UnsafePointer<Float>, ld: Int, rows: Int, cols: Int, vectors: Int,
                    x: UnsafePointer<Float>, xStride: Int, base: UnsafePointer<Float>?, baseStride: Int,
                    into y: UnsafeMutablePointer<Float>, yStride: Int) {
    typealias V16 = SIMD16<Float>
    @inline(__always) func load16(_ p: UnsafePointer<Float>) -> V16 {
        UnsafeRawPointer(p).loadUnaligned(as: V16.self)
    }
    let full = cols & ~15
    var i = 0
    while i + 4 <= rows {
        let r0 = w + i * ld, r1 = r0 + ld, r2 = r1 + ld, r3 = r2 + ld
        for b in 0..<vectors {
            let xb = x + b * xStride
            var a0 = V16(), a1 = V16(), a2 = V16(), a3 = V16()
            var k = 0
            while k < full {
                let xv = load16(xb + k)
                a0.addProduct(load16(r0 + k), xv)
                a1.addProduct(load16(r1 + k), xv)
                a2.addProduct(load16(r2 + k), xv)
                a3.addProduct(load16(r3 + k), xv)
                k += 16
            }
            var s0 = a0.sum(), s1 = a1.sum(), s2 = a2.sum(), s3 = a3.sum()
            while k < cols {
                let xk = xb[k]
                s0 += r0[k] * xk; s1 += r1[k] * xk; s2 += r2[k] * xk; s3 += r3[k] * xk
                k += 1
            }
            if let base {
                let bb = base + b * baseStride + i
                s0 += bb[0]; s1 += bb[1]; s2 += bb[2]; s3 += bb[3]
            }
            let yb = y + b * yStride + i
            yb[0] = s0; yb[1] = s1; yb[2] = s2; yb[3] = s3
        }
        i += 4
    }
    while i < rows {
        let r = w + i * ld
        for b in 0..<vectors {
            let xb = x + b * xStride
            var a = V16()
            var k = 0
            while k < full {
                a.addProduct(load16(r + k), load16(xb + k))
                k += 16
            }
            var s = a.sum()
            while k < cols { s += r[k] * xb[k]; k += 1 }
            y[b * yStride + i] = s + (base?[b * baseStride + i] ?? 0)
        }
        i += 1
    }
}
