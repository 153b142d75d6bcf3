// The one run-time dispatch of charnn's kernels. kernels_body.h (the float kernels) is compiled
// once for AVX2+FMA and once for the baseline target; int8.c and half.c hold the 8-bit and
// half-precision row dots of each level. One level, looked up once from the CPU's features,
// picks one table of entry points for all three (dispatch.h). Swift's SIMD types cannot do this
// — without `-target-cpu` each `addProduct` lane is a call to libm's fmaf — so the hot loops
// live here.
#include "dispatch.h"
#include <math.h>
#include <stdatomic.h>
#include <string.h>

typedef float v8f __attribute__((vector_size(32)));
typedef float v4f __attribute__((vector_size(16)));
typedef int v8i __attribute__((vector_size(32)));
typedef unsigned v8u __attribute__((vector_size(32)));

// Vectors of 8 floats pass between always-inlined helpers only; no call uses the AVX ABI.
#pragma clang diagnostic ignored "-Wpsabi"

#define F(name) name##_portable
#define ATTR
#include "kernels_body.h"
#undef F
#undef ATTR

#ifdef CK_X86
#define F(name) name##_avx2
#define ATTR __attribute__((target("avx2,fma")))
#include "kernels_body.h"
#undef F
#undef ATTR
#endif

// Level 0, then level 1 (x86-64 only). A level joins this list only where a bench on a CPU that
// has it measured it faster than the level below: an AVX-512 half-precision path, once picked
// on AVX-512 CPUs, sampled slower than float weights on a Zen 4 and was removed.
static const struct ck_table tables[] = {
    {.floats_name = "portable", .int8_name = "portable", .half_name = "portable",
     .panel_dots = panel_dots_portable, .exp = map_exp_portable, .sigmoid = map_sigmoid_portable,
     .tanh = map_tanh_portable, .add_row_bias = add_row_bias_portable, .add = add_portable,
     .multiply = multiply_portable, .scale = scale_portable, .sum_of_squares = sum_of_squares_portable,
     .softmax_xent = softmax_xent_portable, .rnn_forward = rnn_forward_portable,
     .rnn_backward = rnn_backward_portable, .lstm_forward = lstm_forward_portable,
     .lstm_backward = lstm_backward_portable, .gru_forward = gru_forward_portable,
     .gru_backward = gru_backward_portable, .i8_panel_dots = ck_i8_panel_dots_portable,
     .half_row_dots = ck_half_row_dots_portable},
#ifdef CK_X86
    {.floats_name = "avx2+fma", .int8_name = "avx2", .half_name = "f16c",
     .panel_dots = panel_dots_avx2, .exp = map_exp_avx2, .sigmoid = map_sigmoid_avx2,
     .tanh = map_tanh_avx2, .add_row_bias = add_row_bias_avx2, .add = add_avx2,
     .multiply = multiply_avx2, .scale = scale_avx2, .sum_of_squares = sum_of_squares_avx2,
     .softmax_xent = softmax_xent_avx2, .rnn_forward = rnn_forward_avx2,
     .rnn_backward = rnn_backward_avx2, .lstm_forward = lstm_forward_avx2,
     .lstm_backward = lstm_backward_avx2, .gru_forward = gru_forward_avx2,
     .gru_backward = gru_backward_avx2, .i8_panel_dots = ck_i8_panel_dots_avx2,
     .half_row_dots = ck_half_row_dots_f16c},
#endif
};

static _Atomic int current_level = -1;

int ck_best_level(void) {
#ifdef CK_X86
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c")
               ? 1
               : 0;
#else
    return 0;
#endif
}

int ck_level(void) {
    int v = atomic_load_explicit(&current_level, memory_order_relaxed);
    if (v < 0) {   // any thread may be first; they all store the same value
        v = ck_best_level();
        atomic_store_explicit(&current_level, v, memory_order_relaxed);
    }
    return v;
}

int ck_set_level(int level) {
    int best = ck_best_level();
    int v = level < 0 ? 0 : level > best ? best : level;
    atomic_store_explicit(&current_level, v, memory_order_relaxed);
    return v;
}

const struct ck_table *ck_kernels(void) { return &tables[ck_level()]; }

const char *ck_float_kernels(void) { return ck_kernels()->floats_name; }
const char *ck_int8_kernels(void) { return ck_kernels()->int8_name; }
const char *ck_half_kernels(void) { return ck_kernels()->half_name; }

#define PICK(name) (ck_kernels()->name)

void ck_pack_panels(const float *w, long ld, long rows, long cols, float *panels) {
    for (long p = 0; p < (rows + 7) / 8; p++)
        for (long k = 0; k < cols; k++)
            for (long j = 0; j < 8; j++) {
                long r = p * 8 + j;
                panels[(p * cols + k) * 8 + j] = r < rows ? w[r * ld + k] : 0.0f;
            }
}

void ck_panel_dots(const float *panels, long rows, long cols, long vectors, const float *x, long xs,
                   const float *base, long bs, float *y, long ys) {
    PICK(panel_dots)(panels, rows, cols, vectors, x, xs, base, bs, y, ys);
}

void ck_exp(const float *src, float *dst, long n) { PICK(exp)(src, dst, n); }
void ck_sigmoid(const float *src, float *dst, long n) { PICK(sigmoid)(src, dst, n); }
void ck_tanh(const float *src, float *dst, long n) { PICK(tanh)(src, dst, n); }
void ck_add_row_bias(float *y, long rows, const float *bias, long n) { PICK(add_row_bias)(y, rows, bias, n); }
void ck_add(const float *x, float *y, long n) { PICK(add)(x, y, n); }
void ck_multiply(const float *x, const float *y, float *z, long n) { PICK(multiply)(x, y, z, n); }
void ck_scale(float *x, long n, float s) { PICK(scale)(x, n, s); }
double ck_sum_of_squares(const float *x, long n) { return PICK(sum_of_squares)(x, n); }

double ck_softmax_xent(float *logits, long rows, long v, const int32_t *targets, float scale, int gradient) {
    return PICK(softmax_xent)(logits, rows, v, targets, scale, gradient);
}

void ck_rnn_forward(float *pre, float *h, long B, long H, long lo, long hi) {
    PICK(rnn_forward)(pre, h, B, H, lo, hi);
}

void ck_rnn_backward(const float *dh, const float *h, float *dpre, long n) { PICK(rnn_backward)(dh, h, dpre, n); }

void ck_lstm_forward(float *gates, const float *cprev, float *c, float *tanhc, float *h, long B, long H,
                     const float *pi, const float *pf, const float *po, long lo, long hi) {
    PICK(lstm_forward)(gates, cprev, c, tanhc, h, B, H, pi, pf, po, lo, hi);
}

void ck_lstm_backward(const float *dh, float *dc, const float *gates, const float *c, const float *cprev,
                      float *dpre, long B, long H, const float *pi, const float *pf, const float *po,
                      float *gi, float *gf, float *go) {
    PICK(lstm_backward)(dh, dc, gates, c, cprev, dpre, B, H, pi, pf, po, gi, gf, go);
}

void ck_gru_forward(float *xp, const float *hp, const float *hprev, float *hn, float *h, long B, long H,
                    long lo, long hi) {
    PICK(gru_forward)(xp, hp, hprev, hn, h, B, H, lo, hi);
}

void ck_gru_backward(const float *dh, const float *gates, const float *hn, const float *hprev, float *dx,
                     float *dhn, float *dhprev, long B, long H) {
    PICK(gru_backward)(dh, gates, hn, hprev, dx, dhn, dhprev, B, H);
}

void ck_i8_panel_dots(const int8_t *panels, const float *scale, long rows, long cols, long vectors, const float *x,
                      long xs, const float *base, long bs, float *y, long ys) {
    PICK(i8_panel_dots)(panels, scale, rows, cols, vectors, x, xs, base, bs, y, ys);
}

void ck_half_row_dots(const uint16_t *w, long ld, long rows, long cols, const float *x, const float *base,
                      float *y) {
    PICK(half_row_dots)(w, ld, rows, cols, x, base, y);
}
