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
/// arithmetic. `base` may equal `y`. Uses F16C + FMA + AVX2 when the CPU has them (AVX-512
/// measured no faster: the loads, not the conversions, bound it).
void chalf_row_dots(const uint16_t *w, long ld, long rows, long cols, const float *x,
                    const float *base, float *y);

/// `chalf_row_dots` without vector instructions (what CPUs without F16C run; for tests).
void chalf_row_dots_portable(const uint16_t *w, long ld, long rows, long cols, const float *x,
                             const float *base, float *y);

/// 1 when `chalf_row_dots` runs on F16C/AVX2 instructions, 0 on the portable loop.
int chalf_is_vectorized(void);

#ifdef __cplusplus
}
#endif
#endif
