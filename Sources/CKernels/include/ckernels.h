#ifndef CHARNN_CKERNELS_H
#define CHARNN_CKERNELS_H
// The hot kernels of charnn — float, 8-bit and half-precision weights — compiled for AVX2+FMA+F16C
// and for baseline x86-64 (or the target's default elsewhere), and chosen at run time by one
// level from the CPU's features, so that a plain `swift build -c release` runs the same code as
// a build for this CPU.
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// The best kernel level this CPU runs: 1 AVX2+FMA+F16C, 0 portable.
int ck_best_level(void);
/// The level in use (the best one unless `ck_set_level` chose a lower one). It governs every
/// entry point below: float, 8-bit and half-precision kernels alike.
int ck_level(void);
/// Uses `level` or, if the CPU lacks it, the best below it; returns the level now in use.
/// For tests and comparisons: not meant to change while kernels run on other threads.
int ck_set_level(int level);
/// The names of the kernels that run at the level in use, read from the table the entry points
/// call through: float ("avx2+fma" / "portable"), 8-bit ("avx2" / "portable"), half ("f16c" / "portable").
const char *ck_float_kernels(void);
const char *ck_int8_kernels(void);
const char *ck_half_kernels(void);

/// Packs w [rows, cols] (row stride ld) into panels of 8 rows for ck_panel_dots: panel p holds
/// rows 8p..8p+7 column after column (8 floats per column), zeros past the last row; that is
/// ((rows + 7) / 8) * 8 * cols floats.
void ck_pack_panels(const float *w, long ld, long rows, long cols, float *panels);
/// y[b*ys + i] = (base ? base[b*bs + i] : 0) + sum_k W[i, k] * x[b*xs + k], i < rows, b < vectors,
/// W packed by ck_pack_panels (`panels` at the panel of row 0). Each (i, b) is one fixed chain of
/// multiply–adds in column order, then the base: the same bits for any `vectors`. `base` may
/// equal `y` (with bs == ys).
void ck_panel_dots(const float *panels, long rows, long cols, long vectors, const float *x, long xs,
                   const float *base, long bs, float *y, long ys);

/// Element-wise maths over n floats (src may equal dst): e^x, 1/(1+e^-x), tanh x.
void ck_exp(const float *src, float *dst, long n);
void ck_sigmoid(const float *src, float *dst, long n);
void ck_tanh(const float *src, float *dst, long n);

void ck_add_row_bias(float *y, long rows, const float *bias, long n);
void ck_add(const float *x, float *y, long n);
void ck_multiply(const float *x, const float *y, float *z, long n);
void ck_scale(float *x, long n, float s);
double ck_sum_of_squares(const float *x, long n);
/// Fused softmax + cross-entropy (see `Kernels.softmaxCrossEntropy`); returns the loss in nats.
double ck_softmax_xent(float *logits, long rows, long v, const int32_t *targets, float scale, int gradient);

/// The cells' fused step kernels (see `StepKernels` in Models). [lo, hi) limits the hidden units;
/// peephole pointers are all null for the plain LSTM.
void ck_rnn_forward(float *pre, float *h, long B, long H, long lo, long hi);
void ck_rnn_backward(const float *dh, const float *h, float *dpre, long n);
void ck_lstm_forward(float *gates, const float *cprev, float *c, float *tanhc, float *h, long B, long H,
                     const float *pi, const float *pf, const float *po, long lo, long hi);
void ck_lstm_backward(const float *dh, float *dc, const float *gates, const float *c, const float *cprev,
                      float *dpre, long B, long H, const float *pi, const float *pf, const float *po,
                      float *gi, float *gf, float *go);
void ck_gru_forward(float *xp, const float *hp, const float *hprev, float *hn, float *h, long B, long H,
                    long lo, long hi);
void ck_gru_backward(const float *dh, const float *gates, const float *hn, const float *hprev, float *dx,
                     float *dhn, float *dhprev, long B, long H);

/// 8-bit weights: each row of w [rows, cols] (row stride ld) becomes round(w / scale) with
/// scale = max|row| / 127 (0 for an all-zero row), into q [rows, cols] and scale [rows].
void ck_quantize_rows(const float *w, long ld, long rows, long cols, int8_t *q, float *scale);
/// Packs 8-bit rows q [rows, cols] (row stride ld) into panels of 8 rows for ck_i8_panel_dots:
/// panel p, pair of columns j holds q[8p + r][2j] and q[8p + r][2j + 1] for r = 0…7 (16 bytes),
/// zeros past the last row and past an odd last column: ((rows + 7) / 8) * 16 * ((cols + 1) / 2)
/// bytes.
void ck_pack_i8_panels(const int8_t *q, long ld, long rows, long cols, int8_t *panels);
/// y[b*ys + i] = (base ? base[b*bs + i] : 0) + scale[i] * sum_k q[i, k] * x[b*xs + k], i < rows,
/// b < vectors, q packed by ck_pack_i8_panels (`panels` at the panel of row 0; `scale` padded to
/// whole panels). Each x is rounded to 16-bit integers per block of 512 columns (step
/// max|x| / 32767) and the sums are exact integers: every level, and every number of streams,
/// gives the same bits. `base` may equal `y` (with bs == ys).
void ck_i8_panel_dots(const int8_t *panels, const float *scale, long rows, long cols, long vectors, const float *x,
                      long xs, const float *base, long bs, float *y, long ys);

/// Converts `n` floats to IEEE 754 binary16 bit patterns, rounding to nearest even;
/// magnitudes beyond the largest half (65504) saturate to it, NaN stays NaN.
void ck_half_from_float(const float *src, uint16_t *dst, long n);
/// Converts `n` binary16 bit patterns to floats (exact).
void ck_half_to_float(const uint16_t *src, float *dst, long n);
/// y[i] = (base ? base[i] : 0) + sum_k half(w[i*ld + k]) * x[k], for i < rows, in float
/// arithmetic. `base` may equal `y`. Level 1: F16C conversions with AVX2 FMAs; level 0: a
/// sequential loop (s += w * x, then the base).
void ck_half_row_dots(const uint16_t *w, long ld, long rows, long cols, const float *x, const float *base,
                      float *y);

#ifdef __cplusplus
}
#endif
#endif
