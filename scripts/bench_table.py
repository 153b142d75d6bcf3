#!/usr/bin/env python3
"""The Markdown table of `make bench` (scripts/bench.sh) from the raw JSON lines of one run.

Usage: python3 scripts/bench_table.py RAW.jsonl --cpu … --flags … --cores N --kernels … --blas …
           --corpus FILE --threads N --seconds S --load "L1 L5 L15" --commit C [--peer PYTHON]

Each raw line is {"kind", "round", "peak_mib", "result"}: kind is sgemm (charnn bench --sgemm),
train / train-1t (charnn bench, training then sampling f32), peer (peer_pytorch.py, the same),
sample-f32 / sample-f16 / sample-int8 (charnn bench after one training step, sampling only);
result is the program's last JSON line. Every figure in the table is the best over the rounds
(the highest rate; the highest peak memory, for both programs).
"""
import argparse
import json
import sys
from collections import defaultdict

# The speed and memory goals, checked on whichever sizes the run measured.
SAMPLE_GOAL, SAMPLE_SIZES = 10.0, range(128, 513)   # f32 sampling ≥ 10× the peer, 2×128 … 2×512
INT8_GOAL, INT8_SIZES = 1.5, range(384, 1025)       # int8 ≥ 1.5× f32, 2×384 … 2×1024
MEMORY_GOAL = 4.0                                   # training peak memory ≥ 4× below the peer's
FLAGS = ["avx2", "fma", "f16c", "avx512f", "avx512_bf16", "avx512_vnni", "avx_vnni"]


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("raw")
    for name in ("cpu", "flags", "kernels", "blas", "corpus", "load", "commit"):
        p.add_argument("--" + name, default="unknown")
    p.add_argument("--cores", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seconds", type=int, default=0)
    p.add_argument("--peer", default="")
    return p.parse_args(argv)


def load(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as e:
                    sys.exit(f"error: {path}:{n}: not JSON ({e.msg})")
    return rows


def rate(x):
    return "—" if x is None else f"{x:,.0f}"


def ratio(a, b):
    return "—" if a is None or b is None or b == 0 else f"{a / b:.2f}×"


def best(values):
    values = [v for v in values if v is not None]
    return max(values) if values else None


class Row:
    """Every measurement of one model (hidden size, cell), best over the rounds."""

    def __init__(self, runs):
        def of(kind, key):
            return best(r["result"].get(key) for r in runs if r["kind"] == kind)

        def peak(kind):
            return best(r["peak_mib"] if kind != "peer" else r["result"].get("peak_rss_mb")
                        for r in runs if r["kind"] == kind)

        first = next(r["result"] for r in runs if r["kind"] in ("train", "peer"))
        self.params, self.steps = first["params"], first["steps"]
        self.batch, self.seq = first["batch"], first["seq"]
        self.rounds = max(r["round"] for r in runs)
        self.train, self.train1 = of("train", "train_chars_per_s"), of("train-1t", "train_chars_per_s")
        self.peer_train, self.peer_sample = of("peer", "train_chars_per_s"), of("peer", "sample_chars_per_s")
        # f32 sampling: the sampling-only runs and the training runs sample alike (2 threads, batch 1).
        self.f32 = best([of("sample-f32", "sample_chars_per_s"), of("train", "sample_chars_per_s")])
        self.f16, self.int8 = of("sample-f16", "sample_chars_per_s"), of("sample-int8", "sample_chars_per_s")
        self.sample1 = of("train-1t", "sample_chars_per_s")
        self.peak, self.peer_peak = peak("train"), peak("peer")

    def gflops(self, chars):
        return None if chars is None else 6 * self.params * chars / 1e9


def main(argv):
    a = parse_args(argv)
    rows = load(a.raw)
    sgemm = {}   # threads → the better of the probes at the run's start and end
    for r in (r for r in rows if r["kind"] == "sgemm"):
        t = r["result"]["threads"]
        if t not in sgemm or r["result"]["gflops"] > sgemm[t]["gflops"]:
            sgemm[t] = r["result"]
    groups = defaultdict(list)
    for r in rows:
        if r["kind"] != "sgemm":
            groups[(r["result"]["hidden"], r["result"]["cell"])].append(r)
    models = {key: Row(runs) for key, runs in groups.items()}   # in the run's order
    t = a.threads
    threads = f"{t} thread{'s' if t > 1 else ''}"
    out = []
    say = out.append

    flags = set(a.flags.split())
    minutes, seconds = divmod(a.seconds, 60)
    say("# charnn vs PyTorch: `make bench`\n")
    say(f"- CPU: {a.cpu}, {a.cores} logical cores; "
        + ", ".join(f"{f} {'yes' if f in flags else 'no'}" for f in FLAGS))
    say(f"- charnn kernels: {a.kernels}; OpenBLAS kernels: {a.blas}; commit {a.commit}")
    rates = [f"{sgemm[k]['gflops']:,.1f} GFLOP/s at {k} thread{'s' if k > 1 else ''}" for k in sorted(sgemm)]
    n = next(iter(sgemm.values()))["n"] if sgemm else 0
    say(f"- sgemm {n}×{n} (`charnn bench --sgemm {n}` at the run's start and end, the better; charnn's split over "
        "threads): "
        + ("; ".join(rates) if rates else "not measured"))
    say(f"- peer: {'PyTorch via ' + a.peer if a.peer else 'not run (no torch: make peer, or PYTHON=…)'}")
    say(f"- corpus {a.corpus}; 2-layer models, B 50 × S 50, Adam, {threads} unless a column says otherwise; "
        f"every figure is the best of the rounds in the table")
    say(f"- the run took {minutes} min {seconds} s; load average {a.load} "
        "(figures taken under load are low and noisy: compare the ratios)\n")
    if not models:
        print("\n".join(out))
        return

    say(f"## Training ({threads})\n")
    say("Effective GFLOP/s = 6 × parameters × chars/s, the usual rule of thumb (a multiply and an add per "
        "parameter, forward, and twice that backward). It over-counts charnn's layer 0 input product, which "
        "charnn replaces with a lookup in a V × 4H table (PyTorch multiplies the embedding). "
        f"The last column sets charnn's against the sgemm rate at {threads} above. Few steps at large sizes "
        "(the Steps column); the first step's warm-up is timed in both programs.\n")
    say("| model | params | steps × rounds | charnn chars/s | peer chars/s | charnn/peer | charnn GFLOP/s "
        "| peer GFLOP/s | charnn / sgemm |")
    say("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    roof = sgemm.get(t, {}).get("gflops")
    for (h, cell), m in models.items():
        g, pg = m.gflops(m.train), m.gflops(m.peer_train)
        say(f"| 2×{h} {cell} | {m.params:,} | {m.steps} × {m.rounds} | {rate(m.train)} | {rate(m.peer_train)} "
            f"| {ratio(m.train, m.peer_train)} | {'—' if g is None else f'{g:.1f}'} "
            f"| {'—' if pg is None else f'{pg:.1f}'} "
            f"| {'—' if g is None or not roof else f'{100 * g / roof:.0f}%'} |")

    say(f"\n## Sampling at batch 1 (chars/s, {threads})\n")
    say("charnn with float32, half and 8-bit weights; the peer has float32 only, so every ratio to the peer "
        "is against its float32.\n")
    say("| model | charnn f32 | f16 | int8 | peer f32 | f32/peer | f16/peer | int8/peer | int8/f32 |")
    say("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for (h, cell), m in models.items():
        say(f"| 2×{h} {cell} | {rate(m.f32)} | {rate(m.f16)} | {rate(m.int8)} | {rate(m.peer_sample)} "
            f"| {ratio(m.f32, m.peer_sample)} | {ratio(m.f16, m.peer_sample)} | {ratio(m.int8, m.peer_sample)} "
            f"| {ratio(m.int8, m.f32)} |")

    say("\n## Peak resident memory of training (MiB)\n")
    say("The whole process's peak (ru_maxrss): the corpus, the model, its gradients, Adam's state, the "
        "activations of one B × S step, and the short sampling after training.\n")
    say("| model | charnn | peer | peer/charnn |")
    say("|---|---:|---:|---:|")
    for (h, cell), m in models.items():
        say(f"| 2×{h} {cell} | {rate(m.peak)} | {rate(m.peer_peak)} | {ratio(m.peer_peak, m.peak)} |")

    if t != 1:
        say(f"\n## Threads: charnn at 1 and {t} threads (chars/s)\n")
        say(f"| model | train 1 | train {t} | {t}/1 | sample 1 | sample {t} | {t}/1 |")
        say("|---|---:|---:|---:|---:|---:|---:|")
        for (h, cell), m in models.items():
            say(f"| 2×{h} {cell} | {rate(m.train1)} | {rate(m.train)} | {ratio(m.train, m.train1)} "
                f"| {rate(m.sample1)} | {rate(m.f32)} | {ratio(m.f32, m.sample1)} |")

    say("\n## Goals\n")
    for line in goals(models):
        say(line)
    print("\n".join(out))


def goals(models):
    """One line per goal: met, missed (with the cells that miss it), or not measured here."""
    def verdict(title, cells):
        if not cells:
            return f"- {title}: not measured in this run"
        shown = ", ".join(f"{name} {'—' if v is None else f'{v:.1f}×'}{'' if ok else ' (missed)'}"
                          for name, v, ok in cells)
        return f"- {title}: **{'met' if all(ok for _, _, ok in cells) else 'MISSED'}** ({shown})"

    def cell(name, a, b, goal):
        v = None if a is None or b is None or b == 0 else a / b
        return (name, v, v is not None and v >= goal)

    sample = [cell(f"2×{h} {c}", m.f32, m.peer_sample, SAMPLE_GOAL)
              for (h, c), m in models.items() if h in SAMPLE_SIZES]
    int8 = [cell(f"2×{h} {c}", m.int8, m.f32, INT8_GOAL) for (h, c), m in models.items() if h in INT8_SIZES]
    memory = [cell(f"2×{h} {c}", m.peer_peak, m.peak, MEMORY_GOAL) for (h, c), m in models.items()]
    return [verdict(f"f32 sampling ≥ {SAMPLE_GOAL:g}× the peer, 2×128 … 2×512", sample),
            verdict(f"int8 sampling ≥ {INT8_GOAL:g}× f32, 2×384 … 2×1024", int8),
            verdict(f"training peak memory ≥ {MEMORY_GOAL:g}× below the peer's", memory)]


if __name__ == "__main__":
    main(sys.argv[1:])
