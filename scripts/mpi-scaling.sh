#!/usr/bin/env bash
# 1 rank × 2 threads against 2 ranks × 1 thread (docs/distributed.md, scaling): `charnn train` for a few
# steps per model, the two layouts interleaved (A B B A) because the machine's load drifts.
# Prints chars/s (training steps only, from metrics.jsonl) and, for 2 ranks, the gradient allreduce's
# time per step and share of the training time (waiting for the slower rank included).
# Usage: scripts/mpi-scaling.sh CHARNN CORPUS [MODELS]   MODELS like "lstm:128:40 gru:256:30" (cell:hidden:steps ≥ 20)
set -uo pipefail
charnn=${1:?usage: scripts/mpi-scaling.sh CHARNN CORPUS [MODELS]}
corpus=${2:?usage: scripts/mpi-scaling.sh CHARNN CORPUS [MODELS]}
models=${3:-lstm:128:40 gru:128:40 lstm:256:30 gru:256:30}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/charnn-scaling.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# rate DIR: chars/s between the first and the last `train` metrics line (B·S chars per step).
rate() {
  python3 - "$1/metrics.jsonl" "$2" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if '"train"' in l]
a, b = lines[0], lines[-1]
if len(lines) < 2: sys.exit("fewer than 20 steps: no rate")
print(f"{int(sys.argv[2]) * (b['step'] - a['step']) / (b['seconds'] - a['seconds']):.0f}")
PY
}

printf '%-10s %-16s %10s %14s %8s %6s\n' model layout chars/s "allreduce ms" share load
for model in $models; do
  IFS=: read -r cell hidden steps <<<"$model"
  common=(--cell "$cell" --layers 2 --hidden "$hidden" --batch 50 --seq 50 --steps "$steps" --eval-every 100000
          --schedule constant)
  for layout in A B B A; do
    dir=$tmp/$cell-$hidden-$layout-$RANDOM
    load=$(cut -d' ' -f1 /proc/loadavg)
    if [ "$layout" = A ]; then
      "$charnn" train "$corpus" --out "$dir" --threads 2 "${common[@]}" >"$dir.log" 2>&1
      printf '%-10s %-16s %10s %14s %8s %6s\n' "2×$hidden $cell" "1 rank × 2 thr" "$(rate "$dir" 2500)" - - "$load"
    else
      mpirun -np 2 --bind-to none "$charnn" train "$corpus" --out "$dir" --threads 1 "${common[@]}" >"$dir.log" 2>&1
      line=$(grep 'gradient allreduce' "$dir.log")
      ms=$(sed -E 's/.*allreduce ([0-9.]+) ms.*/\1/' <<<"$line"); share=$(sed -E 's/.*, ([0-9.]+%) of.*/\1/' <<<"$line")
      printf '%-10s %-16s %10s %14s %8s %6s\n' "2×$hidden $cell" "2 ranks × 1 thr" "$(rate "$dir" 2500)" "$ms" "$share" "$load"
    fi
  done
done
