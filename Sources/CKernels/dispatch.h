// The one run-time dispatch of charnn's kernels (float, 8-bit and half-precision weights): each
// level is a table of entry points, and `ck_kernels()` returns the table of the level in use.
// Private to CKernels: the public entry points in ckernels.h go through it.
#ifndef CHARNN_CKERNELS_DISPATCH_H
#define CHARNN_CKERNELS_DISPATCH_H
#include "ckernels.h"

#if defined(__x86_64__) && defined(__clang__)
#define CK_X86 1
#endif

typedef void (*ck_half_dots_fn)(const uint16_t *w, long ld, long rows, long cols, const float *x,
                                const float *base, float *y);
typedef void (*ck_i8_panel_dots_fn)(const int8_t *panels, const float *scale, long rows, long cols, long vectors,
                                    const float *x, long xs, const float *base, long bs, float *y, long ys);

/// One level's kernels, and the names `bench` prints for them.
struct ck_table {
    const char *floats_name, *int8_name, *half_name;
    void (*panel_dots)(const float *, long, long, long, const float *, long, const float *, long, float *, long);
    void (*exp)(const float *, float *, long);
    void (*sigmoid)(const float *, float *, long);
    void (*tanh)(const float *, float *, long);
    void (*add_row_bias)(float *, long, const float *, long);
    void (*add)(const float *, float *, long);
    void (*multiply)(const float *, const float *, float *, long);
    void (*scale)(float *, long, float);
    double (*sum_of_squares)(const float *, long);
    double (*softmax_xent)(float *, long, long, const int32_t *, float, int);
    void (*rnn_forward)(float *, float *, long, long, long, long);
    void (*rnn_backward)(const float *, const float *, float *, long);
    void (*lstm_forward)(float *, const float *, float *, float *, float *, long, long, const float *,
                         const float *, const float *, long, long);
    void (*lstm_backward)(const float *, float *, const float *, const float *, const float *, float *, long,
                          long, const float *, const float *, const float *, float *, float *, float *);
    void (*gru_forward)(float *, const float *, const float *, float *, float *, long, long, long, long);
    void (*gru_backward)(const float *, const float *, const float *, const float *, float *, float *,
                         float *, long, long);
    ck_i8_panel_dots_fn i8_panel_dots;
    ck_half_dots_fn half_row_dots;
};

/// The table of the level in use.
const struct ck_table *ck_kernels(void);

// The 8-bit and half-precision row dots of each level (int8.c, half.c).
void ck_i8_panel_dots_portable(const int8_t *panels, const float *scale, long rows, long cols, long vectors,
                               const float *x, long xs, const float *base, long bs, float *y, long ys);
void ck_half_row_dots_portable(const uint16_t *w, long ld, long rows, long cols, const float *x,
                               const float *base, float *y);
#ifdef CK_X86
void ck_i8_panel_dots_avx2(const int8_t *panels, const float *scale, long rows, long cols, long vectors,
                           const float *x, long xs, const float *base, long bs, float *y, long ys);
void ck_half_row_dots_f16c(const uint16_t *w, long ld, long rows, long cols, const float *x,
                           const float *base, float *y);
#endif
#endif
