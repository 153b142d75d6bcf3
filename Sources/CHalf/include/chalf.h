#ifndef CHARNN_CHALF_H
#define CHARNN_CHALF_H
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Converts `n` floats to IEEE 754 binary16 bit patterns, rounding to nearest even;
/// magnitudes beyond the largest half (65504) saturate to it, NaN stays NaN.
void chalf_from_float(const float *src, uint16_t *dst, long n);

/// Converts `n` binary16 bit patterns to floats (exact).
void chalf_to_float(const uint16_t *src, float *dst, long n);

/// y[i] = (base ? base[i] : 0) + sum_k half(w[i*ld + k]) * x[k], for i < rows, in float
/// arithmetic. `base` may equal `y`. Runs on AVX-512, else F16C + FMA + AVX2, else a portable
/// loop, whichever the CPU has (AVX-512 reads 1.35× more weights per second than F16C/AVX2
/// from L2: it converts 16 halves per instruction).
void chalf_row_dots(const uint16_t *w, long ld, long rows, long cols, const float *x,
                    const float *base, float *y);

/// `chalf_row_dots` on the given level or the best below it that the CPU has: 2 AVX-512,
/// 1 F16C/AVX2, 0 portable (for tests).
void chalf_row_dots_at(int level, const uint16_t *w, long ld, long rows, long cols, const float *x,
                       const float *base, float *y);

/// The best level here: 2 AVX-512, 1 F16C/AVX2, 0 the portable loop.
int chalf_is_vectorized(void);

#ifdef __cplusplus
}
#endif
#endif
