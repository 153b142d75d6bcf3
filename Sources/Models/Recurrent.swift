// The per-time-step kernels of the four cells, forward and backward, fused:
// one pass over a [B, H] block computes every gate, the new state and (in the
// backward pass) every pre-activation gradient. The matrix products around
// them (input projections, recurrent GEMM, weight gradients) live in
// `LanguageModel`. Shapes use B = streams in the batch, H = hidden size;
// gate blocks are stored side by side in one row of width G·H.

import NeuralCore

@usableFromInline typealias P = UnsafeMutablePointer<Float>
@usableFromInline typealias CP = UnsafePointer<Float>

/// Loads `n` ≤ 8 floats (zero-filled past `n`).
@inlinable @inline(__always)
func ld(_ p: CP, _ n: Int) -> Vec {
    if n == 8 { return UnsafeRawPointer(p).loadUnaligned(as: Vec.self) }
    var v = Vec.zero
    for i in 0..<n { v[i] = p[i] }
    return v
}

/// Stores the first `n` ≤ 8 lanes of `v`.
@inlinable @inline(__always)
func st(_ v: Vec, _ p: P, _ n: Int) {
    if n == 8 { UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vec.self); return }
    for i in 0..<n { p[i] = v[i] }
}

@inlinable @inline(__always)
func ld(_ p: P, _ n: Int) -> Vec { ld(CP(p), n) }

enum StepKernels {
    // MARK: RNN

    /// h = tanh(pre), written to both `pre` (kept for backward) and `h`.
    /// `units` limits the work to those hidden units (one member's share at batch 1).
    @inlinable
    static func rnnForward(pre: P, h: P, B: Int, H: Int, units: Range<Int>? = nil) {
        let (lo, hi) = (units?.lowerBound ?? 0, units?.upperBound ?? H)
        for b in 0..<B {
            let g = pre + b * H, ho = h + b * H
            var j = lo
            while j < hi {
                let n = min(8, hi - j)
                let v = vtanh(ld(g + j, n))
                st(v, g + j, n); st(v, ho + j, n)
                j += 8
            }
        }
    }

    /// dPre = dh ⊙ (1 − h²).
    @inlinable
    static func rnnBackward(dh: CP, h: CP, dPre: P, B: Int, H: Int) {
        var i = 0
        let n = B * H
        while i < n {
            let k = min(8, n - i)
            let hv = ld(h + i, k)
            st(ld(dh + i, k) * (1 - hv * hv), dPre + i, k)
            i += 8
        }
    }

    // MARK: LSTM and peephole LSTM

    /// Activates the gates in place and computes c, tanh(c), h.
    /// `peep` is nil for the plain LSTM, else (p_i, p_f, p_o), each [H]. `c` may be `cPrev`
    /// (updated in place); `units` limits the work to those hidden units.
    @inlinable
    static func lstmForward(gates: P, cPrev: CP, c: P, tanhC: P, h: P, B: Int, H: Int,
                            peep: (CP, CP, CP)?, units: Range<Int>? = nil) {
        let G = 4 * H
        let (lo, hi) = (units?.lowerBound ?? 0, units?.upperBound ?? H)
        for b in 0..<B {
            let g = gates + b * G, cp = cPrev + b * H, co = c + b * H, tco = tanhC + b * H, ho = h + b * H
            var j = lo
            while j < hi {
                let n = min(8, hi - j)
                let cpv = ld(cp + j, n)
                var ai = ld(g + j, n), af = ld(g + H + j, n)
                let ag = ld(g + 2 * H + j, n)
                var ao = ld(g + 3 * H + j, n)
                if let (pi, pf, _) = peep {
                    ai += ld(pi + j, n) * cpv
                    af += ld(pf + j, n) * cpv
                }
                let i = vsigmoid(ai), f = vsigmoid(af), gg = vtanh(ag)
                let cv = f * cpv + i * gg
                if let (_, _, po) = peep { ao += ld(po + j, n) * cv }
                let o = vsigmoid(ao)
                let tc = vtanh(cv)
                st(i, g + j, n); st(f, g + H + j, n); st(gg, g + 2 * H + j, n); st(o, g + 3 * H + j, n)
                st(cv, co + j, n); st(tc, tco + j, n); st(o * tc, ho + j, n)
                j += 8
            }
        }
    }

    /// One step of LSTM backward.
    ///
    /// - `dh`: ∂L/∂h_t (from above and from step t+1), [B, H].
    /// - `dc`: in: ∂L/∂c_t arriving from step t+1; out: ∂L/∂c_{t−1}.
    /// - `dPre`: out: ∂L/∂(pre-activations) [B, 4H].
    /// - `peepGrad`: (∂p_i, ∂p_f, ∂p_o) accumulated over the batch, for the peephole cell.
    @inlinable
    static func lstmBackward(dh: CP, dc: P, gates: CP, c: CP, cPrev: CP, tanhC: CP, dPre: P,
                             B: Int, H: Int, peep: (CP, CP, CP)?, peepGrad: (P, P, P)?) {
        let G = 4 * H
        for b in 0..<B {
            let g = gates + b * G, d = dPre + b * G
            let dhb = dh + b * H, dcb = dc + b * H, cb = c + b * H, cpb = cPrev + b * H, tcb = tanhC + b * H
            var j = 0
            while j < H {
                let n = min(8, H - j)
                let i = ld(g + j, n), f = ld(g + H + j, n), gg = ld(g + 2 * H + j, n), o = ld(g + 3 * H + j, n)
                let dhv = ld(dhb + j, n), tc = ld(tcb + j, n), cpv = ld(cpb + j, n)
                let dao = dhv * tc * o * (1 - o)
                var dcv = ld(dcb + j, n) + dhv * o * (1 - tc * tc)
                if let (_, _, po) = peep { dcv += dao * ld(po + j, n) }
                let dai = dcv * gg * i * (1 - i)
                let daf = dcv * cpv * f * (1 - f)
                let dag = dcv * i * (1 - gg * gg)
                var dcPrev = dcv * f
                if let (pi, pf, _) = peep {
                    dcPrev += dai * ld(pi + j, n) + daf * ld(pf + j, n)
                }
                if let (gi, gf, go) = peepGrad {
                    st(ld(gi + j, n) + dai * cpv, gi + j, n)
                    st(ld(gf + j, n) + daf * cpv, gf + j, n)
                    st(ld(go + j, n) + dao * ld(cb + j, n), go + j, n)
                }
                st(dai, d + j, n); st(daf, d + H + j, n); st(dag, d + 2 * H + j, n); st(dao, d + 3 * H + j, n)
                st(dcPrev, dcb + j, n)
                j += 8
            }
        }
    }

    // MARK: GRU

    /// GRU step. `xp` holds W_ih x + b_ih [B, 3H] and is overwritten with (r, z, n);
    /// `hp` holds W_hh h + b_hh [B, 3H]; `hn` receives its n block (needed by backward).
    /// `units` limits the work to those hidden units.
    @inlinable
    static func gruForward(xp: P, hp: CP, hPrev: CP, hn: P, h: P, B: Int, H: Int, units: Range<Int>? = nil) {
        let G = 3 * H
        let (lo, hi) = (units?.lowerBound ?? 0, units?.upperBound ?? H)
        for b in 0..<B {
            let x = xp + b * G, hh = hp + b * G, hpb = hPrev + b * H, hnb = hn + b * H, ho = h + b * H
            var j = lo
            while j < hi {
                let k = min(8, hi - j)
                let r = vsigmoid(ld(x + j, k) + ld(hh + j, k))
                let z = vsigmoid(ld(x + H + j, k) + ld(hh + H + j, k))
                let hnv = ld(hh + 2 * H + j, k)
                let nv = vtanh(ld(x + 2 * H + j, k) + r * hnv)
                let hv = (1 - z) * nv + z * ld(hpb + j, k)
                st(r, x + j, k); st(z, x + H + j, k); st(nv, x + 2 * H + j, k)
                st(hnv, hnb + j, k); st(hv, ho + j, k)
                j += 8
            }
        }
    }

    /// GRU step backward: writes ∂L/∂(input pre-activations) to `dX` [B, 3H],
    /// ∂L/∂(hidden pre-activations, incl. b_hh) to `dH` [B, 3H], and the direct
    /// part of ∂L/∂h_{t−1} (dh ⊙ z) to `dhPrev`.
    @inlinable
    static func gruBackward(dh: CP, gates: CP, hn: CP, hPrev: CP, dX: P, dH: P, dhPrev: P, B: Int, H: Int) {
        let G = 3 * H
        for b in 0..<B {
            let g = gates + b * G, dxb = dX + b * G, dhb2 = dH + b * G
            let dhb = dh + b * H, hnb = hn + b * H, hpb = hPrev + b * H, dpb = dhPrev + b * H
            var j = 0
            while j < H {
                let k = min(8, H - j)
                let r = ld(g + j, k), z = ld(g + H + j, k), nv = ld(g + 2 * H + j, k)
                let dhv = ld(dhb + j, k), hpv = ld(hpb + j, k), hnv = ld(hnb + j, k)
                let dan = dhv * (1 - z) * (1 - nv * nv)
                let daz = dhv * (hpv - nv) * z * (1 - z)
                let dar = dan * hnv * r * (1 - r)
                st(dar, dxb + j, k); st(daz, dxb + H + j, k); st(dan, dxb + 2 * H + j, k)
                st(dar, dhb2 + j, k); st(daz, dhb2 + H + j, k); st(dan * r, dhb2 + 2 * H + j, k)
                st(dhv * z, dpb + j, k)
                j += 8
            }
        }
    }
}
