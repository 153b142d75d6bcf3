#!/usr/bin/env bash
# The training equivalence of scripts/mpi-train-test.sh over TCP between two simulated hosts
# (scripts/mpi-two-hosts.sh): for every cell, `charnn train` on 2 ranks (one per host, Open MPI over
# TCP on a veth pair) must reproduce one process with the same global batch to ≤ 1e-4 relative
# training and validation loss after 100 steps. Needs root (network namespaces) and an MPI build.
# Usage: sudo scripts/mpi-two-hosts-equivalence.sh CHARNN_BINARY [CELLS]   (CELLS default "rnn lstm peephole gru")
set -uo pipefail
cd "$(dirname "$0")/.."
charnn=$(realpath "${1:?usage: scripts/mpi-two-hosts-equivalence.sh CHARNN_BINARY [CELLS]}")
cells=${2:-rnn lstm peephole gru}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/charnn-two-hosts.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
failures=0

# The same corpus and model as mpi-train-test.sh: the repository's own prose, 2×32, B 12, S 32.
cat README.md docs/*.md | head -c 120000 >"$tmp/corpus.txt"
small=(--layers 2 --hidden 32 --batch 12 --seq 32 --threads 1 --lr 3e-3 --steps 100 --eval-every 100)

for cell in $cells; do
    extra=()
    case $cell in lstm|gru) extra=(--dropout 0.2);; esac
    args=(train "$tmp/corpus.txt" --cell "$cell" "${small[@]}" "${extra[@]}")
    timeout 300 "$charnn" "${args[@]}" --out "$tmp/$cell-1" >"$tmp/$cell-1.log" 2>&1 \
        || { cat "$tmp/$cell-1.log"; echo "FAIL: $cell, one process: exit $?"; failures=$((failures + 1)); continue; }
    timeout 300 scripts/mpi-two-hosts.sh -- "$charnn" "${args[@]}" --out "$tmp/$cell-tcp" >"$tmp/$cell-tcp.log" 2>&1 \
        || { cat "$tmp/$cell-tcp.log"; echo "FAIL: $cell, two hosts: exit $?"; failures=$((failures + 1)); continue; }
    if line=$(python3 scripts/mpi-compare-runs.py "$tmp/$cell-tcp/metrics.jsonl" "$tmp/$cell-1/metrics.jsonl"); then
        echo "ok: $cell, 2 ranks on two hosts over TCP vs 1 process: $line"
    else echo "FAIL: $cell, two hosts vs 1 process: $line"; failures=$((failures + 1)); fi
    grep -h "gradient allreduce" "$tmp/$cell-tcp.log" | sed 's/^/    /'
done
[ "$failures" -eq 0 ] && echo "two-hosts equivalence: all passed" || { echo "two-hosts equivalence: $failures failed"; exit 1; }
