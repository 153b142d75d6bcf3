#!/usr/bin/env bash
# charnn against its PyTorch peer (scripts/peer_pytorch.py) in one run on this machine, same model
# and data protocol.
#
#   scripts/bench.sh [CORPUS]          the full table (make bench): this CPU, its sgemm rate, then per
#                                      model training, sampling (f32/f16/int8), peak memory and 1 vs 2
#                                      threads, each beside the peer; Markdown on stdout and in
#                                      bench-results/bench-DATE.md, the raw JSON lines beside it
#   scripts/bench.sh CORPUS OPTION...  one row: charnn and the peer with these `bench` options, LSTM
#                                      and GRU, both JSON lines and their ratios
#
# CORPUS defaults to corpora/shakespeare.txt (make corpora). PYTHON (default: venv/bin/python, which
# `make peer` creates, else python3) must have torch for the peer; without it only charnn runs.
# The full table reads (defaults in brackets):
#   BENCH_SIZES   hidden sizes of the 2-layer models ["128 256 512 1024"]
#   BENCH_CELLS   ["lstm gru"]
#   BENCH_ROUNDS  rounds, interleaved; every figure is the best of them [2; 1 for 2×1024]
#   BENCH_THREADS the threads of the main columns [2]; the thread table adds 1
#   BENCH_QUICK=1 2×128 and 2×256, one round, half the steps (1–2 minutes on a quiet machine)
#   BENCH_OUT     the results directory [bench-results]
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=${1:-corpora/shakespeare.txt}
shift || true
bin=.build/release/charnn
[ -x "$bin" ] || { echo "error: build first (make build)" >&2; exit 1; }
[ -f "$corpus" ] \
  || { echo "error: corpus $corpus not found (make corpora builds corpora/shakespeare.txt)" >&2; exit 1; }
py=${PYTHON:-}
if [ -z "$py" ]; then
  if [ -x venv/bin/python ]; then py=venv/bin/python; else py=python3; fi
fi
peer=scripts/peer_pytorch.py
have_peer=0
if [ -f "$peer" ] && "$py" -c "import torch" 2>/dev/null; then have_peer=1; fi

# --- One row (the old usage: scripts/bench.sh CORPUS --hidden 256 --steps 100 …) ---------------
if [ $# -gt 0 ]; then
  for cell in lstm gru; do
    ours=$("$bin" bench "$corpus" --cell "$cell" "$@" | tail -n 1)
    echo "charnn : $ours"
    if [ $have_peer = 1 ]; then
      theirs=$("$py" "$peer" "$corpus" --cell "$cell" "$@" | tail -n 1)
      echo "pytorch: $theirs"
      python3 - "$ours" "$theirs" <<'PY'
import json, sys
a, b = json.loads(sys.argv[1]), json.loads(sys.argv[2])
for k in ("train_chars_per_s", "sample_chars_per_s"):
    if a.get(k) and b.get(k): print(f"  {a['cell']} {k}: charnn/pytorch = {a[k] / b[k]:.2f}x")
for k in ("val_loss_nats", "val_stream_loss_nats"):
    if k in a and k in b: print(f"  {a['cell']} {k}: charnn {a[k]} vs pytorch {b[k]}")
PY
    else
      echo "(peer skipped: no torch for $py; make peer creates venv/ with it)"
    fi
  done
  exit 0
fi

# --- The full table ----------------------------------------------------------------------------
quick=${BENCH_QUICK:-0}
[ "$quick" = 1 ] && default_sizes="128 256" || default_sizes="128 256 512 1024"
sizes=${BENCH_SIZES:-$default_sizes}
cells=${BENCH_CELLS:-lstm gru}
threads=${BENCH_THREADS:-2}
outdir=${BENCH_OUT:-bench-results}
for h in $sizes; do
  [[ $h =~ ^[0-9]+$ ]] && [ "$h" -ge 8 ] && [ "$h" -le 4096 ] \
    || { echo "error: BENCH_SIZES: $h is not a hidden size in 8...4096" >&2; exit 1; }
done
[[ $threads =~ ^[0-9]+$ ]] && [ "$threads" -ge 1 ] \
  || { echo "error: BENCH_THREADS must be ≥ 1, got $threads" >&2; exit 1; }
mkdir -p "$outdir"
stamp=$(date -u +%Y%m%d-%H%M%S)
raw=$outdir/bench-$stamp.jsonl
md=$outdir/bench-$stamp.md
tmp=$(mktemp -d "${TMPDIR:-/tmp}/charnn-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
: >"$raw"
start=$(date +%s)
load_start=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo unknown)

# Steps and sampled characters per size: about 5 s of training at 2 threads on a quiet 2-core
# Zen 3, and about 0.3 s of f32 sampling. The first step (page faults, packing buffers) is timed
# with the rest, for both programs; it weighs most at 2×1024.
steps_for() {
  local s=$(( 5120 / $1 )); [ $s -lt 4 ] && s=4
  [ "$quick" = 1 ] && s=$(( (s + 1) / 2 ))
  echo $s
}
sample_for() { local n=$(( 384000 / $1 )); [ $n -lt 200 ] && n=200; echo $n; }
rounds_for() {
  if [ -n "${BENCH_ROUNDS:-}" ]; then echo "$BENCH_ROUNDS"
  elif [ "$quick" = 1 ] || [ "$1" -ge 1024 ]; then echo 1
  else echo 2; fi
}

# record KIND ROUND PEAK_MIB JSON: one raw line (PEAK_MIB "null" when unknown).
record() { printf '{"kind":"%s","round":%s,"peak_mib":%s,"result":%s}\n' "$1" "$2" "$3" "$4" >>"$raw"; }

# charnn KIND ROUND BENCH-ARGS…: one charnn run; its last stdout line and the peak memory it logs.
charnn() {
  local kind=$1 round=$2; shift 2
  if ! "$bin" bench "$@" >"$tmp/out" 2>"$tmp/err"; then
    echo "error: charnn bench $* failed:" >&2; tail -n 5 "$tmp/err" >&2; exit 1
  fi
  local peak
  peak=$(sed -n 's/^bench: peak resident memory \([0-9]*\) MiB$/\1/p' "$tmp/err" | tail -n 1)
  [ -z "$meta_kernels" ] && meta_kernels=$(sed -n 's/^bench: kernels //p' "$tmp/err" | head -n 1)
  [ -z "$meta_blas" ] && meta_blas=$(sed -n 's/^bench: BLAS kernels \([^,]*\),.*/\1/p' "$tmp/err" | head -n 1)
  record "$kind" "$round" "${peak:-null}" "$(tail -n 1 "$tmp/out")"
}

# pytorch KIND ROUND PEER-ARGS…: one peer run (it reports its own peak memory in its JSON).
pytorch() {
  local kind=$1 round=$2; shift 2
  [ $have_peer = 1 ] || return 0
  if ! "$py" "$peer" "$@" >"$tmp/out" 2>"$tmp/err"; then
    echo "error: $py $peer $* failed:" >&2; tail -n 5 "$tmp/err" >&2; exit 1
  fi
  record "$kind" "$round" null "$(tail -n 1 "$tmp/out")"
}

meta_kernels="" meta_blas=""
# The sgemm rate at the start and at the end of the run (the table takes the better): other jobs
# on the machine come and go during a run.
sgemm_probe() {
  echo "bench: sgemm probe (1 and $threads threads)" >&2
  for t in 1 "$threads"; do
    "$bin" bench --sgemm 2048 --threads "$t" >"$tmp/out" 2>"$tmp/err" \
      || { echo "error: charnn bench --sgemm failed:" >&2; tail -n 5 "$tmp/err" >&2; exit 1; }
    record sgemm "$1" null "$(tail -n 1 "$tmp/out")"
    meta_kernels=$(sed -n 's/^bench: kernels //p' "$tmp/err" | head -n 1)
    [ "$t" = "$threads" ] && break
  done
}
sgemm_probe 1

for h in $sizes; do
  steps=$(steps_for "$h") sample=$(sample_for "$h") rounds=$(rounds_for "$h")
  for cell in $cells; do
    common=(--cell "$cell" --hidden "$h" --layers 2 --no-eval)
    train=("${common[@]}" --steps "$steps" --sample "$sample")
    # Sampling-only runs: one training step of one short stream, then batch-1 sampling.
    only=("${common[@]}" --batch 1 --seq 16 --steps 1 --sample "$sample" --threads "$threads")
    for round in $(seq "$rounds"); do
      echo "bench: 2×$h $cell, round $round/$rounds ($steps steps, $sample sampled characters)" >&2
      charnn train "$round" "$corpus" "${train[@]}" --threads "$threads"
      pytorch peer "$round" "$corpus" "${train[@]}" --threads "$threads"
      charnn sample-f32 "$round" "$corpus" "${only[@]}"
      charnn sample-f16 "$round" "$corpus" "${only[@]}" --precision f16
      charnn sample-int8 "$round" "$corpus" "${only[@]}" --precision int8
      if [ "$threads" != 1 ]; then charnn train-1t "$round" "$corpus" "${train[@]}" --threads 1; fi
    done
  done
done
sgemm_probe 2
end=$(date +%s)

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)
flags=$(sed -n 's/^flags[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)
python3 scripts/bench_table.py "$raw" \
  --cpu "${cpu:-unknown}" --flags "$flags" --cores "$(nproc)" \
  --kernels "${meta_kernels:-unknown}" --blas "${meta_blas:-unknown}" \
  --corpus "$corpus" --threads "$threads" --seconds $(( end - start )) \
  --load "$load_start at its start, $(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo unknown) at its end" \
  --commit "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" \
  --peer "$([ $have_peer = 1 ] && echo "$py" || echo "")" >"$md"
cat "$md"
echo "bench: the table is in $md, the raw JSON lines in $raw" >&2
