#!/usr/bin/env bash
# `charnn compare` and `charnn eval` under mpirun (make mpi-test): the same results as one process.
#
#   scripts/mpi-test-commands.sh CHARNN      (an MPI build of charnn: swift build --traits MPI)
#
# compare: 2 cells × 2 seeds on 1, 2 and 3 ranks; every figure of compare.json that does not
# measure time must be equal bit for bit (the runs travel as JSON, Doubles in round-trip form).
# eval --window: the windows split over ranks 1…N−1 and summed must give one process's figure
# to rounding (relative 1e-6); the one-stream figure (rank 0 alone) must be equal. Then faults:
# a missing corpus on every rank → exit 1 and one error line.
set -uo pipefail
charnn=${1:?usage: $0 CHARNN}
charnn=$(realpath "$charnn")
work=$(mktemp -d /tmp/charnn-mpi-commands.XXXXXX)
trap 'rm -rf "$work"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
mpirun_() { timeout 300 mpirun -q --bind-to none -np "$@"; }
failed=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; failed=1; }

# A corpus from the repository's own prose (no file from outside the repository).
cat README.md docs/*.md | head -c 60000 > "$work/corpus.txt"

common=(--cells lstm,gru --seeds 1,2 --match hidden --hidden 16 --layers 1 --batch 8 --seq 16 --steps 12
        --evaluations 2 --threads 1)
"$charnn" compare "$work/corpus.txt" "${common[@]}" --out "$work/c1" >"$work/c1.log" 2>&1 \
    || { bad "compare, one process"; cat "$work/c1.log"; }
for n in 2 3; do
    if mpirun_ "$n" "$charnn" compare "$work/corpus.txt" "${common[@]}" --out "$work/c$n" >"$work/c$n.log" 2>&1; then
        if python3 - "$work/c1/compare.json" "$work/c$n/compare.json" <<'PY'
import json, sys
timed = {"train_seconds", "wall_seconds", "train_chars_per_s", "seconds"}
def strip(x):
    if isinstance(x, dict): return {k: strip(v) for k, v in x.items() if k not in timed}
    if isinstance(x, list): return [strip(v) for v in x]
    return x
a, b = (strip(json.load(open(p))) for p in sys.argv[1:3])
if a != b:
    print("compare.json differs:", json.dumps(a)[:400], json.dumps(b)[:400]); sys.exit(1)
PY
        then
            [[ -s "$work/c$n/compare.svg" ]] && ok "compare on $n ranks: compare.json equal to one process's (timings aside)" \
                || bad "compare on $n ranks: no compare.svg"
        else bad "compare on $n ranks: results differ"; fi
    else bad "compare on $n ranks: exit $?"; cat "$work/c$n.log"; fi
done

# A small checkpoint to score.
"$charnn" train "$work/corpus.txt" --hidden 16 --layers 1 --batch 8 --seq 16 --steps 10 --threads 1 \
    --out "$work/run" >"$work/train.log" 2>&1 || { bad "train for eval"; cat "$work/train.log"; }
"$charnn" eval "$work/run" "$work/corpus.txt" --window 64 --json --threads 1 >"$work/e1.json" 2>"$work/e1.log" \
    || { bad "eval, one process"; cat "$work/e1.log"; }
for n in 2 3; do
    if mpirun_ "$n" "$charnn" eval "$work/run" "$work/corpus.txt" --window 64 --json --threads 1 \
        >"$work/e$n.json" 2>"$work/e$n.log"; then
        if python3 - "$work/e1.json" "$work/e$n.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
wa, wb = a["window_loss_nats"], b["window_loss_nats"]
if a["loss_nats"] != b["loss_nats"] or a["window_chars"] != b["window_chars"] or abs(wa - wb) > 1e-6 * abs(wa):
    print("eval differs:", a, b); sys.exit(1)
print("  one stream %.17g (equal), windows %.17g vs %.17g (relative %.1e)" % (a["loss_nats"], wa, wb, abs(wa - wb) / wa))
PY
        then ok "eval --window 64 on $n ranks: same figures as one process"
        else bad "eval on $n ranks: figures differ"; fi
    else bad "eval on $n ranks: exit $?"; cat "$work/e$n.log"; fi
done

# Faults every rank meets alike: one error line, exit 1, no hang.
start=$(date +%s)
mpirun_ 2 "$charnn" compare "$work/missing.txt" "${common[@]}" --out "$work/cm" >"$work/m.out" 2>"$work/m.err"
status=$?
lines=$(grep -c '^error:' "$work/m.err" || true)
if [[ $status -eq 1 && $lines -eq 1 ]]; then ok "compare, missing corpus, 2 ranks: exit 1 after $(( $(date +%s) - start )) s, one error line"
else bad "compare, missing corpus: exit $status, $lines error lines"; cat "$work/m.err"; fi
mpirun_ 3 "$charnn" eval "$work/run" "$work/missing.txt" --window 8 >"$work/m.out" 2>"$work/m.err"
status=$?
lines=$(grep -c '^error:' "$work/m.err" || true)
if [[ $status -eq 1 && $lines -eq 1 ]]; then ok "eval, missing text, 3 ranks: exit 1, one error line"
else bad "eval, missing text: exit $status, $lines error lines"; cat "$work/m.err"; fi

[[ $failed -eq 0 ]] && echo "mpi-test-commands: all passed" || echo "mpi-test-commands: FAILED"
exit $failed
