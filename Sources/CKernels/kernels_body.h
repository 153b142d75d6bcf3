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

// Row dots on panels (ck_pack_panels): panel p holds rows 8p..8p+7, column after column, so one
// vector load gives column k of eight rows. A tile of R panels × S streams keeps R·S vector
// accumulators; per column it loads R weight vectors and broadcasts one float of each stream's
// x, then runs R·S multiply–adds (an sgemm micro-kernel, with the weights already packed). Each
// (row, stream) is one fixed chain: acc = 0, acc = w[k]·x[k] + acc for k = 0, 1, …, then
// acc + base (or + 0.0f). No lane of a vector ever meets another, so the tile's shape and the
// streams beside it change nothing: a seeded stream writes the same text alone or batched.
AI void F(panel_tile)(const float *p, long cols, long R, long S, const float *x, long xs, const float *base,
                      long bs, float *y, long ys, long rows) {
    v8f acc[4][6];
#pragma clang loop unroll(full)
    for (int r = 0; r < 4; r++)
#pragma clang loop unroll(full)
        for (int s = 0; s < 6; s++) acc[r][s] = F(splat)(0.0f);
    for (long k = 0; k < cols; k++) {
        v8f w[4];
#pragma clang loop unroll(full)
        for (int r = 0; r < 4; r++)
            if (r < R) w[r] = LD(p + (r * cols + k) * 8, 8);
#pragma clang loop unroll(full)
        for (int s = 0; s < 6; s++) {
            if (s >= S) continue;
            v8f xv = F(splat)(x[s * xs + k]);
#pragma clang loop unroll(full)
            for (int r = 0; r < 4; r++)
                if (r < R) acc[r][s] = w[r] * xv + acc[r][s];
        }
    }
#pragma clang loop unroll(full)
    for (int r = 0; r < 4; r++) {
        long n = rows - r * 8;
        if (r >= R || n <= 0) continue;
#pragma clang loop unroll(full)
        for (int s = 0; s < 6; s++) {
            if (s >= S) continue;
            v8f b = base ? LD(base + s * bs + r * 8, n) : F(splat)(0.0f);
            ST(acc[r][s] + b, y + s * ys + r * 8, n);
        }
    }
}

#define PANEL_TILE(R, S)                                                                                   \
    case (R) * 8 + (S):                                                                                    \
        F(panel_tile)(p, cols, R, S, x, xs, base, bs, y, ys, rows);                                        \
        break;

static ATTR void F(panel_tile_any)(const float *p, long cols, long R, long S, const float *x, long xs,
                                   const float *base, long bs, float *y, long ys, long rows) {
    switch (R * 8 + S) {
        CK_PANEL_TILES(PANEL_TILE)
        default: break;
    }
}
#undef PANEL_TILE

// Blocks of panels and groups of streams as dispatch.h's ck_panel_block and ck_stream_group say.
static ATTR void F(panel_dots)(const float *p, long rows, long cols, long vectors, const float *x, long xs,
                               const float *base, long bs, float *y, long ys) {
    long panels = (rows + 7) / 8;
    long block = ck_panel_block(vectors);
    for (long p0 = 0; p0 < panels; p0 += block) {
        long R = panels - p0 < block ? panels - p0 : block, i = p0 * 8;
        for (long b = 0; b < vectors;) {
            long S = ck_stream_group(vectors - b, block);
            F(panel_tile_any)(p + i * cols, cols, R, S, x + b * xs, xs, base ? base + b * bs + i : 0, bs,
                              y + b * ys + i, ys, rows - i);
            b += S;
        }
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
