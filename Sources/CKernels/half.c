// Half-precision weights for single-stream inference: half the bytes of float, so the
// weights of a 2×384 LSTM (3.6 MB) about fit in two cores' L2 caches. Arithmetic stays in float.
// The row dots of each level (a portable loop; F16C with AVX2 and FMA) are picked by the one
// kernel level (kernels.c).
#include "dispatch.h"
#include <string.h>

static float half_to_float(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exp = (h >> 10) & 0x1f, mant = h & 0x3ff, bits;
    if (exp == 0) {
        if (mant == 0) {
            bits = sign;
        } else {                       // subnormal: normalize
            int e = -1;
            do { e++; mant <<= 1; } while (!(mant & 0x400));
            bits = sign | ((uint32_t)(127 - 15 - e) << 23) | ((mant & 0x3ff) << 13);
        }
    } else if (exp == 31) {
        bits = sign | 0x7f800000u | (mant << 13);
    } else {
        bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

static uint16_t float_to_half(float f) {
    uint32_t x;
    memcpy(&x, &f, 4);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000);
    uint32_t ax = x & 0x7fffffffu;
    if (ax > 0x7f800000u) return sign | 0x7e00;                 // NaN
    if (ax >= 0x477ff000u) return sign | 0x7bff;                // ≥ 65520 (rounds past max): saturate
    if (ax < 0x38800000u) {                                     // below the smallest normal half
        if (ax < 0x33000000u) return sign;                      // < 2^-25: rounds to zero
        uint32_t e = ax >> 23, m = (ax & 0x7fffff) | 0x800000;
        // value = m · 2^(e − 150); in units of the half subnormal step 2^-24: m · 2^(e − 126)
        uint32_t shift = 126 - e;                               // 14…24 here
        uint32_t q = m >> shift, rem = m & ((1u << shift) - 1), half = 1u << (shift - 1);
        if (rem > half || (rem == half && (q & 1))) q++;
        return sign | (uint16_t)q;
    }
    uint32_t r = ax + 0x0fff + ((ax >> 13) & 1);                // round to nearest even at bit 13
    return sign | (uint16_t)(((r >> 13) - ((127 - 15) << 10)) & 0x7fff);
}

void ck_half_from_float(const float *src, uint16_t *dst, long n) {
    for (long i = 0; i < n; i++) dst[i] = float_to_half(src[i]);
}

void ck_half_to_float(const uint16_t *src, float *dst, long n) {
    for (long i = 0; i < n; i++) dst[i] = half_to_float(src[i]);
}

void ck_half_row_dots_portable(const uint16_t *w, long ld, long rows, long cols, const float *x,
                               const float *base, float *y) {
    for (long i = 0; i < rows; i++) {
        const uint16_t *r = w + i * ld;
        float s = 0;
        for (long k = 0; k < cols; k++) s += half_to_float(r[k]) * x[k];
        y[i] = s + (base ? base[i] : 0.0f);
    }
}

#ifdef CK_X86
#include <immintrin.h>

__attribute__((target("avx2,fma,f16c")))
static inline float hsum256(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

#define LOADH(p) _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(p)))

// Four rows at a time, 16 columns per iteration, two accumulators per row.
__attribute__((target("avx2,fma,f16c")))
void ck_half_row_dots_f16c(const uint16_t *w, long ld, long rows, long cols, const float *x,
                           const float *base, float *y) {
    long full = cols & ~15L, i = 0;
    for (; i + 4 <= rows; i += 4) {
        const uint16_t *r0 = w + i * ld, *r1 = r0 + ld, *r2 = r1 + ld, *r3 = r2 + ld;
        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        long k = 0;
        for (; k < full; k += 16) {
            __m256 x0 = _mm256_loadu_ps(x + k), x1 = _mm256_loadu_ps(x + k + 8);
            a0 = _mm256_fmadd_ps(LOADH(r0 + k), x0, a0); b0 = _mm256_fmadd_ps(LOADH(r0 + k + 8), x1, b0);
            a1 = _mm256_fmadd_ps(LOADH(r1 + k), x0, a1); b1 = _mm256_fmadd_ps(LOADH(r1 + k + 8), x1, b1);
            a2 = _mm256_fmadd_ps(LOADH(r2 + k), x0, a2); b2 = _mm256_fmadd_ps(LOADH(r2 + k + 8), x1, b2);
            a3 = _mm256_fmadd_ps(LOADH(r3 + k), x0, a3); b3 = _mm256_fmadd_ps(LOADH(r3 + k + 8), x1, b3);
        }
        float s0 = hsum256(_mm256_add_ps(a0, b0)), s1 = hsum256(_mm256_add_ps(a1, b1));
        float s2 = hsum256(_mm256_add_ps(a2, b2)), s3 = hsum256(_mm256_add_ps(a3, b3));
        for (; k < cols; k++) {
            float xk = x[k];
            s0 += _cvtsh_ss(r0[k]) * xk; s1 += _cvtsh_ss(r1[k]) * xk;
            s2 += _cvtsh_ss(r2[k]) * xk; s3 += _cvtsh_ss(r3[k]) * xk;
        }
        if (base) { s0 += base[i]; s1 += base[i + 1]; s2 += base[i + 2]; s3 += base[i + 3]; }
        y[i] = s0; y[i + 1] = s1; y[i + 2] = s2; y[i + 3] = s3;
    }
    for (; i < rows; i++) {
        const uint16_t *r = w + i * ld;
        __m256 a = _mm256_setzero_ps(), b = a;
        long k = 0;
        for (; k < full; k += 16) {
            a = _mm256_fmadd_ps(LOADH(r + k), _mm256_loadu_ps(x + k), a);
            b = _mm256_fmadd_ps(LOADH(r + k + 8), _mm256_loadu_ps(x + k + 8), b);
        }
        float s = hsum256(_mm256_add_ps(a, b));
        for (; k < cols; k++) s += _cvtsh_ss(r[k]) * x[k];
        y[i] = s + (base ? base[i] : 0.0f);
    }
}
#endif
