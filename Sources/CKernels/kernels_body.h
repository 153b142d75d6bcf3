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

// Four rows at a time, 16 columns per iteration (two accumulators per row), each block of four
// weight rows reused from L1 for every stream.
static ATTR void F(row_dots)(const float *w, long ld, long rows, long cols, long vectors, const float *x,
                             long xs, const float *base, long bs, float *y, long ys) {
    long full = cols & ~15L, i = 0;
    for (; i + 4 <= rows; i += 4) {
        const float *r0 = w + i * ld, *r1 = r0 + ld, *r2 = r1 + ld, *r3 = r2 + ld;
        for (long b = 0; b < vectors; b++) {
            const float *xb = x + b * xs;
            v8f z = F(splat)(0.0f), a0 = z, a1 = z, a2 = z, a3 = z, c0 = z, c1 = z, c2 = z, c3 = z;
            long k = 0;
            for (; k < full; k += 16) {
                v8f x0 = LD(xb + k, 8), x1 = LD(xb + k + 8, 8);
                a0 = LD(r0 + k, 8) * x0 + a0; c0 = LD(r0 + k + 8, 8) * x1 + c0;
                a1 = LD(r1 + k, 8) * x0 + a1; c1 = LD(r1 + k + 8, 8) * x1 + c1;
                a2 = LD(r2 + k, 8) * x0 + a2; c2 = LD(r2 + k + 8, 8) * x1 + c2;
                a3 = LD(r3 + k, 8) * x0 + a3; c3 = LD(r3 + k + 8, 8) * x1 + c3;
            }
            float s0 = F(hsum)(a0 + c0), s1 = F(hsum)(a1 + c1), s2 = F(hsum)(a2 + c2), s3 = F(hsum)(a3 + c3);
            for (; k < cols; k++) {
                float xk = xb[k];
                s0 += r0[k] * xk; s1 += r1[k] * xk; s2 += r2[k] * xk; s3 += r3[k] * xk;
            }
            if (base) {
                const float *bb = base + b * bs + i;
                s0 += bb[0]; s1 += bb[1]; s2 += bb[2]; s3 += bb[3];
            }
            float *yb = y + b * ys + i;
            yb[0] = s0; yb[1] = s1; yb[2] = s2; yb[3] = s3;
        }
    }
    for (; i < rows; i++) {
        const float *r = w + i * ld;
        for (long b = 0; b < vectors; b++) {
            const float *xb = x + b * xs;
            v8f a = F(splat)(0.0f), c = a;
            long k = 0;
            for (; k < full; k += 16) {
                a = LD(r + k, 8) * LD(xb + k, 8) + a;
                c = LD(r + k + 8, 8) * LD(xb + k + 8, 8) + c;
            }
            float s = F(hsum)(a + c);
            for (; k < cols; k++) s += r[k] * xb[k];
            y[b * ys + i] = s + (base ? base[b * bs + i] : 0.0f);
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
