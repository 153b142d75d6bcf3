// The float kernels, written once with vector types of 8 floats. kernels.c includes this file
// once per level, with F(name) giving the level's names and ATTR its target attribute: with
// "avx2,fma" the vectors are ymm registers and a*b+c contracts to FMA; without, the same code
// runs on two SSE registers per vector (no libm call per lane, unlike Swift's `addProduct`).
#define AI static inline __attribute__((always_inline)) ATTR

AI v8f F(splat)(float c) { return (v8f){c, c, c, c, c, c, c, c}; }

/// `n` ≤ 8 floats (zero past n); 8 or more: one unaligned load.
AI v8f F(ld)(const float *p, long n) {
    v8f v = F(splat)(0.0f);
    if (n >= 8) { memcpy(&v, p, sizeof v); return v; }
    for (long i = 0; i < n; i++) v[i] = p[i];
    return v;
}

AI void F(st)(v8f v, float *p, long n) {
    if (n >= 8) { memcpy(p, &v, sizeof v); return; }
    for (long i = 0; i < n; i++) p[i] = v[i];
}

AI v8f F(sel)(v8i m, v8f a, v8f b) { return (v8f)(((v8i)a & m) | ((v8i)b & ~m)); }

AI float F(hsum)(v8f a) {
    v4f s = __builtin_shufflevector(a, a, 0, 1, 2, 3) + __builtin_shufflevector(a, a, 4, 5, 6, 7);
    s += __builtin_shufflevector(s, s, 2, 3, 0, 1);
    return s[0] + s[1];
}

/// e^x; inputs clamped to [-87.3, 88.7] (NaN stays NaN). Cody–Waite reduction and a degree-6
/// polynomial: relative error about 2e-7.
AI v8f F(vexp)(v8f x) {
    v8f lo = F(splat)(-87.3f), hi = F(splat)(88.7f);
    x = F(sel)(x < lo, lo, x);
    x = F(sel)(x > hi, hi, x);
    // Round x·log2(e) to an integer n with the 1.5·2^23 trick: the low mantissa bits of t hold n.
    const float magic = 12582912.0f;
    v8f t = x * 1.4426950408889634f + magic;
    v8f n = t - magic;
    v8f r = x - n * 0.693145751953125f;      // ln 2 split: a part exact in float, a correction
    r = r - n * 1.4286067653301870e-6f;
    v8f p = F(splat)(1.0f / 720.0f);
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    v8u bits = (((v8u)t) - 0x4B400000u + 127u) << 23;   // 2^n from its exponent bits
    return p * (v8f)bits;
}

AI v8f F(vsigmoid)(v8f x) { return 1.0f / (1.0f + F(vexp)(-x)); }

/// sign(x) · (1 − e^{−2|x|}) / (1 + e^{−2|x|}): absolute error < 2e-7.
AI v8f F(vtanh)(v8f x) {
    v8i neg = x < F(splat)(0.0f);
    v8f a = F(sel)(neg, -x, x);
    v8f e = F(vexp)(-2.0f * a);
    v8f t = (1.0f - e) / (1.0f + e);
    return F(sel)(neg, -t, t);
}

#define LD F(ld)
#define ST F(st)

static ATTR void F(map_exp)(const float *s, float *d, long n) {
    for (long i = 0; i < n; i += 8) ST(F(vexp)(LD(s + i, n - i)), d + i, n - i);
}
static ATTR void F(map_sigmoid)(const float *s, float *d, long n) {
    for (long i = 0; i < n; i += 8) ST(F(vsigmoid)(LD(s + i, n - i)), d + i, n - i);
}
static ATTR void F(map_tanh)(const float *s, float *d, long n) {
    for (long i = 0; i < n; i += 8) ST(F(vtanh)(LD(s + i, n - i)), d + i, n - i);
}

// The dot product of one weight row with one stream's vector is one fixed sequence of float
// operations, whatever the number of streams (a seeded stream writes the same text alone or
// batched): two accumulators a and c, over columns k..k+7 and k+8..k+15 of each block of 16,
// then hsum(a + c), then the columns past the last block one by one, then the base. Rows past
// the last multiple of four without a base add 0.0f (the single-row path of the one-stream
// kernel always did).
//
// The order of the tiles is free: a tile of R rows × S streams loads each 8-column slice of a
// weight row once for its S streams and each stream's slice once for its R rows, so a slice of
// the multiply–adds needs R + S loads instead of 2·R·S. The a and c accumulators never meet
// before the end, so a tile runs the a columns first and then the c columns, which keeps R·S
// accumulators (not 2·R·S) in registers. A tile of four or fewer pairs (one stream) runs both
// halves in one pass, as the one-stream kernel always did: two passes cost it ~20% there.
AI void F(dots_tile)(const float *w, long ld, long i, long R, long b0, long S, long cols, const float *x,
                     long xs, const float *base, long bs, float *y, long ys, long rows4) {
    long full = cols & ~15L;
    v8f z = F(splat)(0.0f), acc[6][4], half0[6][4];
    if (R * S <= 4) {   // few accumulators: both halves in one pass, as the one-stream kernel did
#pragma clang loop unroll(full)
        for (int r = 0; r < 6; r++)
#pragma clang loop unroll(full)
            for (int s = 0; s < 4; s++) half0[r][s] = acc[r][s] = z;
        for (long k = 0; k < full; k += 16) {
            v8f xa[4], xc[4];
#pragma clang loop unroll(full)
            for (int s = 0; s < 4; s++)
                if (s < S) xa[s] = LD(x + (b0 + s) * xs + k, 8), xc[s] = LD(x + (b0 + s) * xs + k + 8, 8);
#pragma clang loop unroll(full)
            for (int r = 0; r < 6; r++) {
                if (r < R) {
                    v8f wa = LD(w + (i + r) * ld + k, 8), wc = LD(w + (i + r) * ld + k + 8, 8);
#pragma clang loop unroll(full)
                    for (int s = 0; s < 4; s++)
                        if (s < S) half0[r][s] = wa * xa[s] + half0[r][s], acc[r][s] = wc * xc[s] + acc[r][s];
                }
            }
        }
    } else for (int h = 0; h < 2; h++) {
#pragma clang loop unroll(full)
        for (int r = 0; r < 6; r++)
#pragma clang loop unroll(full)
            for (int s = 0; s < 4; s++) acc[r][s] = z;
        for (long k = h * 8; k < full; k += 16) {
            v8f xv[4];
#pragma clang loop unroll(full)
            for (int s = 0; s < 4; s++)
                if (s < S) xv[s] = LD(x + (b0 + s) * xs + k, 8);
#pragma clang loop unroll(full)
            for (int r = 0; r < 6; r++) {
                if (r < R) {
                    v8f wv = LD(w + (i + r) * ld + k, 8);
#pragma clang loop unroll(full)
                    for (int s = 0; s < 4; s++)
                        if (s < S) acc[r][s] = wv * xv[s] + acc[r][s];
                }
            }
        }
        if (h == 0) {
#pragma clang loop unroll(full)
            for (int r = 0; r < 6; r++)
#pragma clang loop unroll(full)
                for (int s = 0; s < 4; s++) half0[r][s] = acc[r][s];
        }
    }
#pragma clang loop unroll(full)
    for (int r = 0; r < 6; r++) {
        if (r >= R) continue;
        const float *wr = w + (i + r) * ld;
#pragma clang loop unroll(full)
        for (int s = 0; s < 4; s++) {
            if (s >= S) continue;
            const float *xb = x + (b0 + s) * xs;
            float sum = F(hsum)(half0[r][s] + acc[r][s]);
            for (long k = full; k < cols; k++) sum += wr[k] * xb[k];
            if (base) sum += base[(b0 + s) * bs + i + r];
            else if (i + r >= rows4) sum += 0.0f;
            y[(b0 + s) * ys + i + r] = sum;
        }
    }
}

// Tiles of 4 rows × 2 streams (8 accumulators, two stream slices and a weight slice in
// registers: 6 loads per 8 multiply–adds, against 10 for one stream), an odd last stream by
// itself; rows past the last multiple of four one at a time. Each block of rows is reused from
// L1 for every stream. (4 × 2 and 2 × 4 measured fastest on a Zen 3; 4 × 3 needs every ymm
// register and spills.)
static ATTR void F(row_dots)(const float *w, long ld, long rows, long cols, long vectors, const float *x,
                             long xs, const float *base, long bs, float *y, long ys) {
    long rows4 = rows & ~3L, i = 0;
    for (; i < rows4; i += 4) {
        long b = 0;
        for (; b + 2 <= vectors; b += 2) F(dots_tile)(w, ld, i, 4, b, 2, cols, x, xs, base, bs, y, ys, rows4);
        if (b < vectors) F(dots_tile)(w, ld, i, 4, b, 1, cols, x, xs, base, bs, y, ys, rows4);
    }
    for (; i < rows; i++) {
        long b = 0;
        for (; b + 2 <= vectors; b += 2) F(dots_tile)(w, ld, i, 1, b, 2, cols, x, xs, base, bs, y, ys, rows4);
        if (b < vectors) F(dots_tile)(w, ld, i, 1, b, 1, cols, x, xs, base, bs, y, ys, rows4);
    }
}

static ATTR void F(add_row_bias)(float *y, long rows, const float *bias, long n) {
    for (long r = 0; r < rows; r++) {
        float *row = y + r * n;
        for (long i = 0; i < n; i += 8) ST(LD(row + i, n - i) + LD(bias + i, n - i), row + i, n - i);
    }
}

static ATTR void F(add)(const float *x, float *y, long n) {
    for (long i = 0; i < n; i += 8) ST(LD(y + i, n - i) + LD(x + i, n - i), y + i, n - i);
}

static ATTR void F(multiply)(const float *x, const float *y, float *z, long n) {
    for (long i = 0; i < n; i += 8) ST(LD(x + i, n - i) * LD(y + i, n - i), z + i, n - i);
}

static ATTR void F(scale)(float *x, long n, float s) {
    for (long i = 0; i < n; i += 8) ST(LD(x + i, n - i) * s, x + i, n - i);
}

/// Blocks of 512 vectors summed in float, the blocks in double.
static ATTR double F(sum_of_squares)(const float *x, long n) {
    double total = 0;
    v8f acc = F(splat)(0.0f);
    long i = 0, blocks = 0;
    for (; i + 8 <= n; i += 8) {
        v8f v = LD(x + i, 8);
        acc = v * v + acc;
        if (++blocks == 512) { total += F(hsum)(acc); acc = F(splat)(0.0f); blocks = 0; }
    }
    total += F(hsum)(acc);
    for (; i < n; i++) total += (double)(x[i] * x[i]);
    return total;
}

static ATTR double F(softmax_xent)(float *logits, long rows, long v, const int32_t *targets, float scale,
                                   int gradient) {
    double total = 0;
    for (long r = 0; r < rows; r++) {
        float *row = logits + r * v;
        long t = targets[r];
        float target_logit = t >= 0 ? row[t] : 0.0f, m = -INFINITY;
        for (long j = 0; j < v; j++) if (row[j] > m) m = row[j];
        v8f acc = F(splat)(0.0f);
        long i = 0;
        if (gradient) {
            for (; i + 8 <= v; i += 8) { v8f e = F(vexp)(LD(row + i, 8) - m); ST(e, row + i, 8); acc += e; }
            float s = F(hsum)(acc);
            for (; i < v; i++) { float e = expf(row[i] - m); row[i] = e; s += e; }
            if (t >= 0) total += (double)logf(s) + (double)m - (double)target_logit;
            F(scale)(row, v, t >= 0 ? scale / s : 0.0f);
            if (t >= 0) row[t] -= scale;
        } else {
            if (t < 0) continue;
            for (; i + 8 <= v; i += 8) acc += F(vexp)(LD(row + i, 8) - m);
            float s = F(hsum)(acc);
            for (; i < v; i++) s += expf(row[i] - m);
            total += (double)logf(s) + (double)m - (double)target_logit;
        }
    }
    return total;
}

static ATTR void F(rnn_forward)(float *pre, float *h, long B, long H, long lo, long hi) {
    for (long b = 0; b < B; b++) {
        float *g = pre + b * H, *ho = h + b * H;
        for (long j = lo; j < hi; j += 8) {
            long n = hi - j;
            v8f v = F(vtanh)(LD(g + j, n));
            ST(v, g + j, n); ST(v, ho + j, n);
        }
    }
}

static ATTR void F(rnn_backward)(const float *dh, const float *h, float *dpre, long n) {
    for (long i = 0; i < n; i += 8) {
        v8f hv = LD(h + i, n - i);
        ST(LD(dh + i, n - i) * (1.0f - hv * hv), dpre + i, n - i);
    }
}

static ATTR void F(lstm_forward)(float *gates, const float *cprev, float *c, float *tanhc, float *h, long B,
                                 long H, const float *pi, const float *pf, const float *po, long lo, long hi) {
    long G = 4 * H;
    for (long b = 0; b < B; b++) {
        float *g = gates + b * G, *co = c + b * H, *ho = h + b * H;
        const float *cp = cprev + b * H;
        for (long j = lo; j < hi; j += 8) {
            long n = hi - j;
            v8f cpv = LD(cp + j, n);
            v8f ai = LD(g + j, n), af = LD(g + H + j, n), ag = LD(g + 2 * H + j, n), ao = LD(g + 3 * H + j, n);
            if (pi) { ai += LD(pi + j, n) * cpv; af += LD(pf + j, n) * cpv; }
            v8f i = F(vsigmoid)(ai), f = F(vsigmoid)(af), gg = F(vtanh)(ag);
            v8f cv = f * cpv + i * gg;
            if (po) ao += LD(po + j, n) * cv;
            v8f o = F(vsigmoid)(ao), tc = F(vtanh)(cv);
            ST(i, g + j, n); ST(f, g + H + j, n); ST(gg, g + 2 * H + j, n); ST(o, g + 3 * H + j, n);
            ST(cv, co + j, n); ST(o * tc, ho + j, n);
            if (tanhc) ST(tc, tanhc + b * H + j, n);
        }
    }
}

static ATTR void F(lstm_backward)(const float *dh, float *dc, const float *gates, const float *c,
                                  const float *cprev, float *dpre, long B, long H,
                                  const float *pi, const float *pf, const float *po, float *gi, float *gf,
                                  float *go) {
    long G = 4 * H;
    for (long b = 0; b < B; b++) {
        const float *g = gates + b * G, *dhb = dh + b * H, *cb = c + b * H, *cpb = cprev + b * H;
        float *d = dpre + b * G, *dcb = dc + b * H;
        for (long j = 0; j < H; j += 8) {
            long n = H - j;
            v8f i = LD(g + j, n), f = LD(g + H + j, n), gg = LD(g + 2 * H + j, n), o = LD(g + 3 * H + j, n);
            // tanh(c) again, bit for bit what the forward step computed, rather than a stored copy.
            v8f dhv = LD(dhb + j, n), cv = LD(cb + j, n), tc = F(vtanh)(cv), cpv = LD(cpb + j, n);
            v8f dao = dhv * tc * o * (1.0f - o);
            v8f dcv = LD(dcb + j, n) + dhv * o * (1.0f - tc * tc);
            if (po) dcv += dao * LD(po + j, n);
            v8f dai = dcv * gg * i * (1.0f - i);
            v8f daf = dcv * cpv * f * (1.0f - f);
            v8f dag = dcv * i * (1.0f - gg * gg);
            v8f dcp = dcv * f;
            if (pi) dcp += dai * LD(pi + j, n) + daf * LD(pf + j, n);
            if (gi) {
                ST(LD(gi + j, n) + dai * cpv, gi + j, n);
                ST(LD(gf + j, n) + daf * cpv, gf + j, n);
                ST(LD(go + j, n) + dao * cv, go + j, n);
            }
            ST(dai, d + j, n); ST(daf, d + H + j, n); ST(dag, d + 2 * H + j, n); ST(dao, d + 3 * H + j, n);
            ST(dcp, dcb + j, n);
        }
    }
}

static ATTR void F(gru_forward)(float *xp, const float *hp, const float *hprev, float *hn, float *h, long B,
                                long H, long lo, long hi) {
    long G = 3 * H;
    for (long b = 0; b < B; b++) {
        float *x = xp + b * G, *hnb = hn + b * H, *ho = h + b * H;
        const float *hh = hp + b * G, *hpb = hprev + b * H;
        for (long j = lo; j < hi; j += 8) {
            long k = hi - j;
            v8f r = F(vsigmoid)(LD(x + j, k) + LD(hh + j, k));
            v8f z = F(vsigmoid)(LD(x + H + j, k) + LD(hh + H + j, k));
            v8f hnv = LD(hh + 2 * H + j, k);
            v8f nv = F(vtanh)(LD(x + 2 * H + j, k) + r * hnv);
            v8f hv = (1.0f - z) * nv + z * LD(hpb + j, k);
            ST(r, x + j, k); ST(z, x + H + j, k); ST(nv, x + 2 * H + j, k);
            ST(hnv, hnb + j, k); ST(hv, ho + j, k);
        }
    }
}

static ATTR void F(gru_backward)(const float *dh, const float *gates, const float *hn, const float *hprev,
                                 float *dx, float *dhn, float *dhprev, long B, long H) {
    long G = 3 * H;
    for (long b = 0; b < B; b++) {
        const float *g = gates + b * G, *dhb = dh + b * H, *hnb = hn + b * H, *hpb = hprev + b * H;
        float *dxb = dx + b * G, *dnb = dhn + b * H, *dpb = dhprev + b * H;
        for (long j = 0; j < H; j += 8) {
            long k = H - j;
            v8f r = LD(g + j, k), z = LD(g + H + j, k), nv = LD(g + 2 * H + j, k);
            v8f dhv = LD(dhb + j, k), hpv = LD(hpb + j, k), hnv = LD(hnb + j, k);
            v8f dan = dhv * (1.0f - z) * (1.0f - nv * nv);
            v8f daz = dhv * (hpv - nv) * z * (1.0f - z);
            v8f dar = dan * hnv * r * (1.0f - r);
            ST(dar, dxb + j, k); ST(daz, dxb + H + j, k); ST(dan, dxb + 2 * H + j, k);
            ST(dan * r, dnb + j, k);
            ST(dhv * z, dpb + j, k);
        }
    }
}

#undef LD
#undef ST
#undef AI
