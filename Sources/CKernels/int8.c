// 8-bit weights for sampling: a quarter of float's bytes, so a 2×512 LSTM's matrices (3.2 MB)
// about fit in the L2 caches of a few cores. The activations are rounded to 16-bit integers per
// block of columns and the products summed exactly in 32-bit integers (AVX2: vpmaddwd, 16
// products per instruction), then scaled back to float once per row and block. The weights lie
// in panels of 8 rows, as the float kernel's do, with each row's columns in pairs (vpmaddwd's
// unit): a tile of R panels × S streams widens each panel's pair of columns once and multiplies
// it against one broadcast pair of each stream's activations.
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

void ck_pack_i8_panels(const int8_t *q, long ld, long rows, long cols, int8_t *panels) {
    long pairs = (cols + 1) / 2;
    for (long p = 0; p < (rows + 7) / 8; p++)
        for (long j = 0; j < pairs; j++)
            for (long r = 0; r < 8; r++)
                for (long h = 0; h < 2; h++) {
                    long row = p * 8 + r, k = 2 * j + h;
                    panels[(p * pairs + j) * 16 + 2 * r + h] = row < rows && k < cols ? q[row * ld + k] : 0;
                }
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

/// The float end of a tile's row (any level, the same operations): part = scale · sx · sum, added
/// to the base in the first block and to y after it. Separate statements: nothing fuses.
static inline float i8_out(float prev, float scale, float sx, int32_t sum) {
    float part = scale * sx * (float)sum;
    return prev + part;
}

static void i8_tile_portable(const int8_t *p, long panel_bytes, long R, long S, long j0, long nj, const int16_t *xq,
                             const float *sx, const float *scale, int first, const float *base, long bs, float *y,
                             long ys, long rows) {
    for (long r = 0; r < R; r++)
        for (long s = 0; s < S; s++) {
            int32_t sum[8] = {0};
            const int8_t *w = p + r * panel_bytes + j0 * 16;
            const int16_t *x = xq + s * BLOCK;
            for (long j = 0; j < nj; j++)
                for (long l = 0; l < 8; l++)
                    sum[l] += (int32_t)w[j * 16 + 2 * l] * x[2 * j] + (int32_t)w[j * 16 + 2 * l + 1] * x[2 * j + 1];
            for (long l = 0; l < 8 && r * 8 + l < rows; l++) {
                long i = r * 8 + l;
                float prev = first ? (base ? base[s * bs + i] : 0.0f) : y[s * ys + i];
                y[s * ys + i] = i8_out(prev, scale[i], sx[s], sum[l]);
            }
        }
}

#ifdef CK_X86
#include <immintrin.h>

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
// The tile: R·S accumulators of 8 int32 lanes (one per row), per pair of columns R widened
// weight vectors (vpmovsxbw of 16 bytes) and one broadcast pair per stream. The sums are exact,
// so any tile gives every row the integers of any other.
__attribute__((target("avx2"))) static inline __attribute__((always_inline)) void i8_tile_fixed(
    const int8_t *p, long panel_bytes, long R, long S, long j0, long nj, const int16_t *xq, const float *sx,
    const float *scale, int first, const float *base, long bs, float *y, long ys, long rows) {
    __m256i acc[4][6];
#pragma clang loop unroll(full)
    for (int r = 0; r < 4; r++)
#pragma clang loop unroll(full)
        for (int s = 0; s < 6; s++) acc[r][s] = _mm256_setzero_si256();
    const int8_t *w0 = p + j0 * 16;
    for (long j = 0; j < nj; j++) {
        __m256i w[4];
#pragma clang loop unroll(full)
        for (int r = 0; r < 4; r++)
            if (r < R) w[r] = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(w0 + r * panel_bytes + j * 16)));
#pragma clang loop unroll(full)
        for (int s = 0; s < 6; s++) {
            if (s >= S) continue;
            int32_t pair;
            memcpy(&pair, xq + s * BLOCK + 2 * j, sizeof pair);
            __m256i xv = _mm256_set1_epi32(pair);
#pragma clang loop unroll(full)
            for (int r = 0; r < 4; r++)
                if (r < R) acc[r][s] = _mm256_add_epi32(acc[r][s], _mm256_madd_epi16(w[r], xv));
        }
    }
#pragma clang loop unroll(full)
    for (int r = 0; r < 4; r++) {
        long n = rows - r * 8;
        if (r >= R || n <= 0) continue;
        __m256 sc = _mm256_loadu_ps(scale + r * 8);   // the scales are padded to whole panels
#pragma clang loop unroll(full)
        for (int s = 0; s < 6; s++) {
            if (s >= S) continue;
            __m256 part = _mm256_mul_ps(_mm256_mul_ps(sc, _mm256_set1_ps(sx[s])), _mm256_cvtepi32_ps(acc[r][s]));
            float *yv = y + s * ys + r * 8;
            if (n >= 8) {
                __m256 prev = first ? (base ? _mm256_loadu_ps(base + s * bs + r * 8) : _mm256_setzero_ps())
                                    : _mm256_loadu_ps(yv);
                _mm256_storeu_ps(yv, _mm256_add_ps(prev, part));
            } else {
                float parts[8];
                _mm256_storeu_ps(parts, part);
                for (long l = 0; l < n; l++) yv[l] = (first ? (base ? base[s * bs + r * 8 + l] : 0.0f) : yv[l]) + parts[l];
            }
        }
    }
}

#define I8_TILE(R, S)                                                                                       \
    case (R) * 8 + (S):                                                                                     \
        i8_tile_fixed(p, panel_bytes, R, S, j0, nj, xq, sx, scale, first, base, bs, y, ys, rows);           \
        break;

__attribute__((target("avx2"))) static void i8_tile_avx2(const int8_t *p, long panel_bytes, long R, long S, long j0,
                                                         long nj, const int16_t *xq, const float *sx,
                                                         const float *scale, int first, const float *base, long bs,
                                                         float *y, long ys, long rows) {
    switch (R * 8 + S) {
        CK_PANEL_TILES(I8_TILE)
        default: break;
    }
}
#undef I8_TILE
#endif

typedef void (*i8_tile_fn)(const int8_t *, long, long, long, long, long, const int16_t *, const float *,
                           const float *, int, const float *, long, float *, long, long);
typedef float (*quantize_fn)(const float *, long, int16_t *);

/// Streams in groups of 16: each stream's activations are rounded once per block of columns;
/// then blocks of panels, each reused from L1 for every group of streams (ck_panel_block and
/// ck_stream_group, as the float kernel).
static inline __attribute__((always_inline)) void i8_panel_dots(i8_tile_fn tile, quantize_fn quantize,
                                                                const int8_t *panels, const float *scale,
                                                                long rows, long cols, long vectors, const float *x,
                                                                long xs, const float *base, long bs, float *y,
                                                                long ys) {
    enum { STREAMS = 16 };
    int16_t xq[STREAMS][BLOCK];
    float sx[STREAMS];
    long pairs = (cols + 1) / 2, panel_bytes = pairs * 16, npanels = (rows + 7) / 8;
    for (long b0 = 0; b0 < vectors; b0 += STREAMS) {
        long nb = vectors - b0 < STREAMS ? vectors - b0 : STREAMS;
        long block = ck_panel_block(nb);
        for (long k0 = 0; k0 < cols || k0 == 0; k0 += BLOCK) {
            long n = cols - k0 < BLOCK ? cols - k0 : BLOCK;
            for (long b = 0; b < nb; b++) {
                sx[b] = quantize(x + (b0 + b) * xs + k0, n, xq[b]);
                if (n & 1) xq[b][n] = 0;   // the pair of an odd last column
            }
            for (long p0 = 0; p0 < npanels; p0 += block) {
                long R = npanels - p0 < block ? npanels - p0 : block, i = p0 * 8;
                for (long b = 0; b < nb;) {
                    long S = ck_stream_group(nb - b, block), v = b0 + b;
                    tile(panels + p0 * panel_bytes, panel_bytes, R, S, k0 / 2, (n + 1) / 2, xq[b], sx + b, scale + i,
                         k0 == 0, base ? base + v * bs + i : 0, bs, y + v * ys + i, ys, rows - i);
                    b += S;
                }
            }
            if (cols == 0) break;
        }
    }
}

void ck_i8_panel_dots_portable(const int8_t *panels, const float *scale, long rows, long cols, long vectors,
                               const float *x, long xs, const float *base, long bs, float *y, long ys) {
    i8_panel_dots(i8_tile_portable, quantize_x_portable, panels, scale, rows, cols, vectors, x, xs, base, bs, y, ys);
}

#ifdef CK_X86
void ck_i8_panel_dots_avx2(const int8_t *panels, const float *scale, long rows, long cols, long vectors,
                           const float *x, long xs, const float *base, long bs, float *y, long ys) {
    i8_panel_dots(i8_tile_avx2, quantize_x_avx2, panels, scale, rows, cols, vectors, x, xs, base, bs, y, ys);
}
#endif
