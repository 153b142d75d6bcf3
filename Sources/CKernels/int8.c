// 8-bit weights for batch-1 sampling: a quarter of float's bytes, so a 2×512 LSTM's matrices
// (3.2 MB) about fit in the L2 caches of a few cores. The activations are rounded to 16-bit
// integers per block of columns and the products summed exactly in 32-bit integers (AVX2:
// vpmaddwd, 16 weights per instruction), then scaled back to float once per row and block.
#include "dispatch.h"
#include <math.h>
#include <string.h>

/// Columns per block: |sum| ≤ 512 · 127 · 32767 < 2^31, so the integer sums cannot overflow.
#define BLOCK 512

void ck_quantize_rows(const float *w, long ld, long rows, long cols, int8_t *q, float *scale) {
    for (long i = 0; i < rows; i++) {
        const float *r = w + i * ld;
        float m = 0;
        for (long k = 0; k < cols; k++) m = fmaxf(m, fabsf(r[k]));
        scale[i] = m > 0 ? m / 127.0f : 0.0f;
        float inv = m > 0 ? 127.0f / m : 0.0f;
        for (long k = 0; k < cols; k++) {
            float v = nearbyintf(r[k] * inv);           // round to nearest (even on ties)
            q[i * cols + k] = (int8_t)(v > 127 ? 127 : v < -127 ? -127 : v);
        }
    }
}

static int32_t dot1(const int8_t *w, long n, const int16_t *x) {
    int32_t s = 0;
    for (long k = 0; k < n; k++) s += (int32_t)w[k] * x[k];
    return s;
}

/// x[0..<n] rounded to 16-bit steps of max|x| / 32767 into xq; returns the step (0 when x is 0).
static float quantize_x_portable(const float *x, long n, int16_t *xq) {
    float m = 0;
    for (long k = 0; k < n; k++) m = fmaxf(m, fabsf(x[k]));
    float inv = m > 0 ? 32767.0f / m : 0.0f;
    for (long k = 0; k < n; k++) {
        float v = nearbyintf(x[k] * inv);
        xq[k] = (int16_t)(v > 32767 ? 32767 : v < -32767 ? -32767 : v);
    }
    return m > 0 ? m / 32767.0f : 0.0f;
}

static void dot4_portable(const int8_t *w, long ld, long n, const int16_t *x, int32_t out[4]) {
    for (int r = 0; r < 4; r++) out[r] = dot1(w + r * ld, n, x);
}

static void dot4x2_portable(const int8_t *w, long ld, long n, const int16_t *x, const int16_t *x1, int32_t out[4],
                            int32_t out1[4]) {
    dot4_portable(w, ld, n, x, out);
    dot4_portable(w, ld, n, x1, out1);
}

#ifdef CK_X86
#include <immintrin.h>

__attribute__((target("avx2"))) static inline int32_t hsum_epi32(__m256i v) {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
    return _mm_cvtsi128_si32(s);
}

#define W16(p) _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(p)))

// Four rows, 16 columns per step: sign-extend 16 weights to 16 bits, multiply by the 16-bit
// activations and add adjacent pairs (vpmaddwd), accumulate in 32-bit lanes.
__attribute__((target("avx2"))) static void dot4_avx2(const int8_t *w, long ld, long n, const int16_t *x,
                                                      int32_t out[4]) {
    const int8_t *r0 = w, *r1 = w + ld, *r2 = r1 + ld, *r3 = r2 + ld;
    __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
    long k = 0;
    for (; k + 16 <= n; k += 16) {
        __m256i xv = _mm256_loadu_si256((const __m256i *)(x + k));
        a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(W16(r0 + k), xv));
        a1 = _mm256_add_epi32(a1, _mm256_madd_epi16(W16(r1 + k), xv));
        a2 = _mm256_add_epi32(a2, _mm256_madd_epi16(W16(r2 + k), xv));
        a3 = _mm256_add_epi32(a3, _mm256_madd_epi16(W16(r3 + k), xv));
    }
    int32_t s[4] = {hsum_epi32(a0), hsum_epi32(a1), hsum_epi32(a2), hsum_epi32(a3)};
    for (; k < n; k++) {
        s[0] += (int32_t)r0[k] * x[k]; s[1] += (int32_t)r1[k] * x[k];
        s[2] += (int32_t)r2[k] * x[k]; s[3] += (int32_t)r3[k] * x[k];
    }
    memcpy(out, s, sizeof s);
}

// Four rows by two streams, 16 columns per step: each row's 16 weights are widened once for both
// streams. The sums are exact integers, so they are dot4's bits for each stream.
__attribute__((target("avx2"))) static void dot4x2_avx2(const int8_t *w, long ld, long n, const int16_t *x,
                                                        const int16_t *x1, int32_t out[4], int32_t out1[4]) {
    const int8_t *r0 = w, *r1 = w + ld, *r2 = r1 + ld, *r3 = r2 + ld;
    __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
    long k = 0;
    for (; k + 16 <= n; k += 16) {
        __m256i xv = _mm256_loadu_si256((const __m256i *)(x + k)), yv = _mm256_loadu_si256((const __m256i *)(x1 + k));
        __m256i w0 = W16(r0 + k), w1 = W16(r1 + k), w2 = W16(r2 + k), w3 = W16(r3 + k);
        a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(w0, xv)); b0 = _mm256_add_epi32(b0, _mm256_madd_epi16(w0, yv));
        a1 = _mm256_add_epi32(a1, _mm256_madd_epi16(w1, xv)); b1 = _mm256_add_epi32(b1, _mm256_madd_epi16(w1, yv));
        a2 = _mm256_add_epi32(a2, _mm256_madd_epi16(w2, xv)); b2 = _mm256_add_epi32(b2, _mm256_madd_epi16(w2, yv));
        a3 = _mm256_add_epi32(a3, _mm256_madd_epi16(w3, xv)); b3 = _mm256_add_epi32(b3, _mm256_madd_epi16(w3, yv));
    }
    int32_t s[4] = {hsum_epi32(a0), hsum_epi32(a1), hsum_epi32(a2), hsum_epi32(a3)};
    int32_t t[4] = {hsum_epi32(b0), hsum_epi32(b1), hsum_epi32(b2), hsum_epi32(b3)};
    for (; k < n; k++) {
        s[0] += (int32_t)r0[k] * x[k]; s[1] += (int32_t)r1[k] * x[k];
        s[2] += (int32_t)r2[k] * x[k]; s[3] += (int32_t)r3[k] * x[k];
        t[0] += (int32_t)r0[k] * x1[k]; t[1] += (int32_t)r1[k] * x1[k];
        t[2] += (int32_t)r2[k] * x1[k]; t[3] += (int32_t)r3[k] * x1[k];
    }
    memcpy(out, s, sizeof s);
    memcpy(out1, t, sizeof t);
}

// The activations' rounding, 16 per step: the same bits as the portable loop (vcvtps2dq rounds to
// nearest even, as nearbyintf does in the default rounding mode; the clamps are the same), without
// its call to libm's nearbyintf per element, which cost as much as the products at 2×128.
__attribute__((target("avx2"))) static float quantize_x_avx2(const float *x, long n, int16_t *xq) {
    const __m256 magnitude = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
    __m256 m8 = _mm256_setzero_ps();
    long k = 0;
    // max(v, m8) keeps m8 where v is NaN, as fmaxf does.
    for (; k + 8 <= n; k += 8) m8 = _mm256_max_ps(_mm256_and_ps(_mm256_loadu_ps(x + k), magnitude), m8);
    __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(m8), _mm256_extractf128_ps(m8, 1));
    m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
    m4 = _mm_max_ss(m4, _mm_shuffle_ps(m4, m4, 1));
    float m = _mm_cvtss_f32(m4);
    for (; k < n; k++) m = fmaxf(m, fabsf(x[k]));
    float inv = m > 0 ? 32767.0f / m : 0.0f;
    const __m256 scale = _mm256_set1_ps(inv);
    const __m256i hi = _mm256_set1_epi32(32767), lo = _mm256_set1_epi32(-32767);
    for (k = 0; k + 16 <= n; k += 16) {
        __m256i a = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + k), scale));
        __m256i b = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + k + 8), scale));
        a = _mm256_max_epi32(_mm256_min_epi32(a, hi), lo);
        b = _mm256_max_epi32(_mm256_min_epi32(b, hi), lo);
        // packs works per 128-bit lane (a0-3 b0-3 a4-7 b4-7): put the quadwords back in order.
        __m256i p = _mm256_permute4x64_epi64(_mm256_packs_epi32(a, b), 0xd8);
        _mm256_storeu_si256((__m256i *)(xq + k), p);
    }
    for (; k < n; k++) {
        float v = nearbyintf(x[k] * inv);
        xq[k] = (int16_t)(v > 32767 ? 32767 : v < -32767 ? -32767 : v);
    }
    return m > 0 ? m / 32767.0f : 0.0f;
}
#endif

typedef void (*dot4_fn)(const int8_t *, long, long, const int16_t *, int32_t *);
typedef void (*dot4x2_fn)(const int8_t *, long, long, const int16_t *, const int16_t *, int32_t *, int32_t *);
typedef float (*quantize_fn)(const float *, long, int16_t *);

static inline __attribute__((always_inline)) void row_dots_i8(dot4_fn dot4, quantize_fn quantize,
                                                              const int8_t *q, const float *scale, long ld,
                                                              long rows, long cols, const float *x,
                                                              const float *base, float *y) {
    int16_t xq[BLOCK];
    for (long k0 = 0; k0 < cols || k0 == 0; k0 += BLOCK) {
        long n = cols - k0 < BLOCK ? cols - k0 : BLOCK;
        float sx = quantize(x + k0, n, xq);
        // Rows in blocks of four, then one at a time.
        for (long i = 0; i < rows; i += 4) {
            int32_t s[4];
            if (i + 4 <= rows) {
                dot4(q + i * ld + k0, ld, n, xq, s);
            } else {
                for (long r = i; r < rows; r++) s[r - i] = dot1(q + r * ld + k0, n, xq);
            }
            for (long r = i; r < rows && r < i + 4; r++) {
                float part = scale[r] * sx * (float)s[r - i];
                y[r] = (k0 == 0 ? (base ? base[r] : 0.0f) : y[r]) + part;
            }
        }
        if (cols == 0) break;
    }
}

/// Several streams: `vectors` x's (stride xs) into `vectors` y's (stride ys), base stride bs (0:
/// one base for all). Each stream's activations are rounded once per block and every block of
/// four rows is read for two streams at a time; a stream's integer sums are exact, and its float
/// operations are row_dots_i8's, so each stream gets the bits of the one-stream kernel.
static inline __attribute__((always_inline)) void row_dots_i8_multi(
    dot4_fn dot4, dot4x2_fn dot4x2, quantize_fn quantize, const int8_t *q, const float *scale, long ld, long rows,
    long cols, long vectors, const float *x, long xs, const float *base, long bs, float *y, long ys) {
    enum { STREAMS = 16 };
    int16_t xq[STREAMS][BLOCK];
    float sx[STREAMS];
    for (long b0 = 0; b0 < vectors; b0 += STREAMS) {
        long nb = vectors - b0 < STREAMS ? vectors - b0 : STREAMS;
        for (long k0 = 0; k0 < cols || k0 == 0; k0 += BLOCK) {
            long n = cols - k0 < BLOCK ? cols - k0 : BLOCK;
            for (long b = 0; b < nb; b++) sx[b] = quantize(x + (b0 + b) * xs + k0, n, xq[b]);
            for (long i = 0; i < rows; i += 4) {
                for (long b = 0; b < nb;) {
                    int32_t s[2][4];
                    long m = 1;
                    if (i + 4 <= rows && b + 2 <= nb) {
                        dot4x2(q + i * ld + k0, ld, n, xq[b], xq[b + 1], s[0], s[1]);
                        m = 2;
                    } else if (i + 4 <= rows) {
                        dot4(q + i * ld + k0, ld, n, xq[b], s[0]);
                    } else {
                        for (long r = i; r < rows; r++) s[0][r - i] = dot1(q + r * ld + k0, n, xq[b]);
                    }
                    for (long j = 0; j < m; j++) {
                        long v = b0 + b + j;
                        const float *bv = base ? base + v * bs : 0;
                        float *yv = y + v * ys;
                        for (long r = i; r < rows && r < i + 4; r++) {
                            float part = scale[r] * sx[b + j] * (float)s[j][r - i];
                            yv[r] = (k0 == 0 ? (bv ? bv[r] : 0.0f) : yv[r]) + part;
                        }
                    }
                    b += m;
                }
            }
            if (cols == 0) break;
        }
    }
}

void ck_row_dots_i8_portable(const int8_t *q, const float *scale, long ld, long rows, long cols, const float *x,
                             const float *base, float *y) {
    row_dots_i8(dot4_portable, quantize_x_portable, q, scale, ld, rows, cols, x, base, y);
}

void ck_row_dots_i8_multi_portable(const int8_t *q, const float *scale, long ld, long rows, long cols,
                                   long vectors, const float *x, long xs, const float *base, long bs, float *y,
                                   long ys) {
    row_dots_i8_multi(dot4_portable, dot4x2_portable, quantize_x_portable, q, scale, ld, rows, cols, vectors, x, xs,
                      base, bs, y, ys);
}

#ifdef CK_X86
void ck_row_dots_i8_avx2(const int8_t *q, const float *scale, long ld, long rows, long cols, const float *x,
                         const float *base, float *y) {
    row_dots_i8(dot4_avx2, quantize_x_avx2, q, scale, ld, rows, cols, x, base, y);
}

void ck_row_dots_i8_multi_avx2(const int8_t *q, const float *scale, long ld, long rows, long cols, long vectors,
                               const float *x, long xs, const float *base, long bs, float *y, long ys) {
    row_dots_i8_multi(dot4_avx2, dot4x2_avx2, quantize_x_avx2, q, scale, ld, rows, cols, vectors, x, xs, base,
                      bs, y, ys);
}
#endif
