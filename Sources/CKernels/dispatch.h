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
// The tiles of the panel kernels (float and 8-bit): blocks of R panels, each reused from L1 for
// every group of streams. 16 ymm registers hold R·S accumulators (≤ 12), R weight vectors and a
// broadcast. One or two streams take blocks of 4 panels (8 accumulators: enough multiply–adds
// in flight), three take 3, more take 2 with the streams in groups of up to 6 as even as
// possible (16 = 6 + 5 + 5, 7 = 4 + 3: a group of one would leave the multipliers idle). Chosen
// by timing on a Zen 3; any choice gives the same bits.

/// Panels per block for `vectors` streams.
static inline long ck_panel_block(long vectors) { return vectors <= 2 ? 4 : vectors == 3 ? 3 : 2; }

/// Streams in the next group when `left` remain, with blocks of `block` panels.
static inline long ck_stream_group(long left, long block) {
    long most = 12 / block, groups = (left + most - 1) / most;
    return (left + groups - 1) / groups;
}

/// Every tile (R, S) the kernels instantiate: X(R, S) for each.
#define CK_PANEL_TILES(X)                                                                          \
    X(1, 1) X(1, 2) X(1, 3) X(1, 4) X(1, 5) X(1, 6) X(2, 1) X(2, 2) X(2, 3) X(2, 4) X(2, 5) X(2, 6) \
    X(3, 1) X(3, 2) X(3, 3) X(3, 4) X(4, 1) X(4, 2) X(4, 3)

#ifdef CK_X86
void ck_i8_panel_dots_avx2(const int8_t *panels, const float *scale, long rows, long cols, long vectors,
                           const float *x, long xs, const float *base, long bs, float *y, long ys);
void ck_half_row_dots_f16c(const uint16_t *w, long ld, long rows, long cols, const float *x,
                           const float *base, float *y);
#endif
#endif
