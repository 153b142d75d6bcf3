// Run-time dispatch of the float kernels: kernels_body.h is compiled once for AVX2+FMA and once
// for the baseline target, and every entry point picks one from the CPU's features (looked up
// once). Swift's SIMD types cannot do this — without `-target-cpu` each `addProduct` lane is a
// call to libm's fmaf — so the hot loops live here.
#include "ckernels.h"
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

#if defined(__x86_64__) && defined(__clang__)
#define CK_X86 1
#define F(name) name##_avx2
#define ATTR __attribute__((target("avx2,fma")))
#include "kernels_body.h"
#undef F
#undef ATTR
#endif

static _Atomic int current_level = -1;

int ck_best_level(void) {
#ifdef CK_X86
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") ? 1 : 0;
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

#ifdef CK_X86
#define PICK(name) (ck_level() ? name##_avx2 : name##_portable)
#else
#define PICK(name) name##_portable
#endif

void ck_row_dots(const float *w, long ld, long rows, long cols, long vectors, const float *x, long xs,
                 const float *base, long bs, float *y, long ys) {
    PICK(row_dots)(w, ld, rows, cols, vectors, x, xs, base, bs, y, ys);
}

void ck_exp(const float *src, float *dst, long n) { PICK(map_exp)(src, dst, n); }
void ck_sigmoid(const float *src, float *dst, long n) { PICK(map_sigmoid)(src, dst, n); }
void ck_tanh(const float *src, float *dst, long n) { PICK(map_tanh)(src, dst, n); }

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
