// The per-time-step kernels of the four cells, forward and backward, fused:
// one pass over a [B, H] block computes every gate, the new state and (in the
// backward pass) every pre-activation gradient. The matrix products around
// them (input projections, recurrent GEMM, weight gradients) live in
// `LanguageModel`. Shapes use B = streams in the batch, H = hidden size;
// gate blocks are stored side by side in one row of width G·H. The loops are C (CKernels:
// AVX2+FMA or portable, chosen at run time from the CPU's features).

import CKernels
import NeuralCore

@usableFromInline typealias P = UnsafeMutablePointer<Float>
@usableFromInline typealias CP = UnsafePointer<Float>

enum StepKernels {
    // MARK: RNN

    /// h = tanh(pre), written to both `pre` (kept for backward) and `h`.
    /// `units` limits the work to those hidden units (one member's share at batch 1).
    @inlinable
    static func rnnForward(pre: P, h: P, B: Int, H: Int, units: Range<Int>? = nil) {
        ck_rnn_forward(pre, h, B, H, units?.lowerBound ?? 0, units?.upperBound ?? H)
    }

    /// dPre = dh ⊙ (1 − h²).
    @inlinable
    static func rnnBackward(dh: CP, h: CP, dPre: P, B: Int, H: Int) {
        ck_rnn_backward(dh, h, dPre, B * H)
    }

    // MARK: LSTM and peephole LSTM

    /// Activates the gates in place and computes c and h (and tanh(c) into `tanhC` when given).
    /// `peep` is nil for the plain LSTM, else (p_i, p_f, p_o), each [H]. `c` may be `cPrev`
    /// (updated in place); `units` limits the work to those hidden units.
    @inlinable
    static func lstmForward(
        gates: P, cPrev: CP, c: P, tanhC: P? = nil, h: P, B: Int, H: Int,
        peep: (CP, CP, CP)?, units: Range<Int>? = nil
    ) {
        ck_lstm_forward(
            gates, cPrev, c, tanhC, h, B, H, peep?.0, peep?.1, peep?.2,
            units?.lowerBound ?? 0, units?.upperBound ?? H)
    }

    /// One step of LSTM backward. tanh(c_t) is computed again from `c` (the same bits as forward's):
    /// cheaper than keeping a B×S×H copy of it per layer.
    ///
    /// - `dh`: ∂L/∂h_t (from above and from step t+1), [B, H].
    /// - `gates`: the activated gates of step t; `dPre` may be the same memory (each element is
    ///   read before its gradient is written), so training needs no second B×S×G buffer.
    /// - `dc`: in: ∂L/∂c_t arriving from step t+1; out: ∂L/∂c_{t−1}.
    /// - `dPre`: out: ∂L/∂(pre-activations) [B, 4H].
    /// - `peepGrad`: (∂p_i, ∂p_f, ∂p_o) accumulated over the batch, for the peephole cell.
    @inlinable
    static func lstmBackward(
        dh: CP, dc: P, gates: CP, c: CP, cPrev: CP, dPre: P,
        B: Int, H: Int, peep: (CP, CP, CP)?, peepGrad: (P, P, P)?
    ) {
        ck_lstm_backward(
            dh, dc, gates, c, cPrev, dPre, B, H, peep?.0, peep?.1, peep?.2,
            peepGrad?.0, peepGrad?.1, peepGrad?.2)
    }

    // MARK: GRU

    /// GRU step. `xp` holds W_ih x + b_ih [B, 3H] and is overwritten with (r, z, n);
    /// `hp` holds W_hh h + b_hh [B, 3H]; `hn` receives its n block (needed by backward).
    /// `units` limits the work to those hidden units.
    @inlinable
    static func gruForward(xp: P, hp: CP, hPrev: CP, hn: P, h: P, B: Int, H: Int, units: Range<Int>? = nil) {
        ck_gru_forward(xp, hp, hPrev, hn, h, B, H, units?.lowerBound ?? 0, units?.upperBound ?? H)
    }

    /// GRU step backward: writes ∂L/∂(input pre-activations) to `dX` [B, 3H] (which may be
    /// `gates`: each element is read before its gradient is written), the n block of
    /// ∂L/∂(hidden pre-activations, incl. b_hh) to `dHn` [B, H] (which may be `hn`; its r and z
    /// blocks are `dX`'s), and the direct part of ∂L/∂h_{t−1} (dh ⊙ z) to `dhPrev`.
    @inlinable
    static func gruBackward(dh: CP, gates: CP, hn: CP, hPrev: CP, dX: P, dHn: P, dhPrev: P, B: Int, H: Int) {
        ck_gru_backward(dh, gates, hn, hPrev, dX, dHn, dhPrev, B, H)
    }
}
