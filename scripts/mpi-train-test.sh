#!/usr/bin/env bash
# `charnn train` under mpirun (run by scripts/mpi-test.sh, i.e. make mpi-test):
#  1. equivalence: N ranks with global batch B reproduce one process with batch B (≤ 1e-4 relative
#     training and validation loss after 100 steps), every cell, 1 vs 2 vs 3 ranks, dropout for lstm/gru;
#  2. a run trained on 2 ranks resumes on 1, and one trained on 1 resumes on 3;
#  3. faults, each under a timeout (a hang fails): SIGTERM and SIGINT to mpirun, one rank killed with -9,
#     bad corpus / option / batch / run directory: one `error:` line, exit 1.
# Usage: scripts/mpi-train-test.sh CHARNN_BINARY (an MPI build: make mpi-test builds .build/mpi/debug/charnn)
#        MPI_TRAIN_TESTS="equivalence resume errors faults" (the default) picks the parts to run.
set -uo pipefail
cd "$(dirname "$0")/.."
charnn=${1:?usage: scripts/mpi-train-test.sh CHARNN_BINARY}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/charnn-mpi-train.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
failures=0
parts=" ${MPI_TRAIN_TESTS:-equivalence resume errors faults} "
want() { [[ $parts == *" $1 "* ]]; }
pass() { echo "ok: $*"; }
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# A corpus that every clone has (the repository's own prose), about 100 KB.
cat README.md docs/*.md | head -c 120000 >"$tmp/corpus.txt"
corpus=$tmp/corpus.txt
small=(--layers 2 --hidden 32 --batch 12 --seq 32 --threads 1 --lr 3e-3)

# train N DIR ARGS…: one process (N = 1, no launcher) or mpirun -np N; 300 s at most.
train() {
  local n=$1 dir=$2; shift 2
  if [ "$n" = 1 ]; then timeout 300 "$charnn" train "$corpus" --out "$dir" "$@"
  else timeout 300 mpirun -np "$n" "$charnn" train "$corpus" --out "$dir" "$@"; fi
}

# compare A B: step-100 training loss and validation loss of two runs' metrics, relative difference.
compare() { python3 scripts/mpi-compare-runs.py "$1/metrics.jsonl" "$2/metrics.jsonl"; }

start=$SECONDS
want equivalence && for cell in rnn lstm peephole gru; do
  extra=()
  case $cell in lstm|gru) extra=(--dropout 0.2);; esac
  for n in 1 2 3; do
    train "$n" "$tmp/eq-$cell-$n" --cell "$cell" "${small[@]}" "${extra[@]}" --steps 100 --eval-every 100 \
      >"$tmp/eq-$cell-$n.log" 2>&1 || { cat "$tmp/eq-$cell-$n.log"; fail "equivalence $cell: $n ranks exit $?"; }
  done
  for n in 2 3; do
    if line=$(compare "$tmp/eq-$cell-$n" "$tmp/eq-$cell-1"); then pass "equivalence $cell, $n ranks vs 1: $line"
    else fail "equivalence $cell, $n ranks vs 1: $line"; fi
  done
done
want equivalence && echo "(equivalence runs: $((SECONDS - start)) s)"

# Resuming across rank counts: 2 ranks to step 40 then 1 to 100; 1 to 40 then 3 to 100; both as one run
# (a constant learning rate: the default cosine schedule follows each invocation's budget).
args=(--cell lstm "${small[@]}" --dropout 0.2 --eval-every 20 --schedule constant)
want resume && {
train 2 "$tmp/r21" "${args[@]}" --steps 40 >/dev/null 2>&1 && train 1 "$tmp/r21" --resume "$tmp/r21" --steps 100 \
  "${small[@]}" --eval-every 20 >/dev/null 2>&1 || fail "resume 2 → 1 ranks: exit $?"
train 1 "$tmp/r13" "${args[@]}" --steps 40 >/dev/null 2>&1 && train 3 "$tmp/r13" --resume "$tmp/r13" --steps 100 \
  "${small[@]}" --eval-every 20 >/dev/null 2>&1 || fail "resume 1 → 3 ranks: exit $?"
train 1 "$tmp/r11" "${args[@]}" --steps 100 >/dev/null 2>&1 || fail "straight run: exit $?"
for pair in "r21:2 ranks then 1" "r13:1 rank then 3"; do
  if line=$(compare "$tmp/${pair%%:*}" "$tmp/r11"); then pass "resume ${pair#*:}: $line"
  else fail "resume ${pair#*:}: $line"; fi
done
}

# expect_error NAME STATUS PATTERN COMMAND…: ends (no hang) with STATUS and exactly one `error:` line.
expect_error() {
  local name=$1 status=$2 pattern=$3; shift 3
  local t0=$SECONDS out rc lines
  out=$(timeout 60 "$@" 2>&1); rc=$?
  lines=$(grep -c '^error:' <<<"$out")
  if [ "$rc" = "$status" ] && [ "$lines" = 1 ] && grep -q "^error: .*$pattern" <<<"$out"; then
    pass "$name: exit $rc after $((SECONDS - t0)) s, one error line: $(grep '^error:' <<<"$out")"
  else
    echo "$out"; fail "$name: exit $rc (want $status), $lines error lines"
  fi
}
want errors && {
expect_error "missing corpus, 2 ranks" 1 "no-such-corpus" \
  mpirun -np 2 "$charnn" train "$tmp/no-such-corpus.txt" --out "$tmp/bad1" --steps 5
expect_error "bad option on every rank, 3 ranks" 1 "batch" \
  mpirun -np 3 "$charnn" train "$corpus" --out "$tmp/bad2" --batch 0
expect_error "batch smaller than the ranks" 1 "smaller than the 3 ranks" \
  mpirun -np 3 "$charnn" train "$corpus" --out "$tmp/bad3" --batch 2 --steps 5 --threads 1
touch "$tmp/a-file"
expect_error "run directory only rank 0 opens is a file" 1 "a-file" \
  mpirun -np 2 "$charnn" train "$corpus" --out "$tmp/a-file" "${small[@]}" --steps 5
}

# Signals and a killed rank: a long 2-rank run that checkpoints every 10 steps. Background jobs of a
# non-interactive shell ignore SIGINT: job control (set -m) gives mpirun the default disposition.
# fault NAME ACTION: starts the run, waits for its first checkpoint, does ACTION (sig:TERM, sig:INT,
# kill9), and requires the job to end within 30 s with latest/ loadable and resumable.
fault() {
  local name=$1 action=$2 dir=$tmp/fault-$1
  set -m
  mpirun -np 2 "$charnn" train "$corpus" --out "$dir" --cell gru "${small[@]}" --steps 1000000 --eval-every 10 \
    >"$dir.log" 2>&1 &
  local pid=$!
  set +m
  local waited=0
  until [ -f "$dir/latest/trainer_state.json" ] || [ $waited -ge 120 ]; do sleep 0.5; waited=$((waited + 1)); done
  sleep 1
  local t0=$SECONDS
  case $action in
    sig:*) kill -"${action#sig:}" "$pid";;
    kill9) local victim; victim=$(pgrep -P "$pid" | tail -1); kill -9 "$victim";;
  esac
  local i=0
  while kill -0 "$pid" 2>/dev/null && [ $i -lt 60 ]; do sleep 0.5; i=$((i + 1)); done
  if kill -0 "$pid" 2>/dev/null; then
    kill -9 "$pid"; wait "$pid"; cat "$dir.log"; fail "$name: still running 30 s after $action"; return
  fi
  wait "$pid"; local rc=$?
  local took=$((SECONDS - t0))
  local step
  if ! step=$(timeout 60 "$charnn" info "$dir/latest" 2>&1 | awk '/^state/ {sub(",", "", $3); print $3; exit}') || [ -z "$step" ]; then
    cat "$dir.log"; fail "$name: latest/ does not load after $action (exit $rc)"; return
  fi
  if ! train 1 "$dir" --resume "$dir" --steps $((step + 5)) --threads 1 --eval-every 10 >"$dir.resume.log" 2>&1; then
    cat "$dir.resume.log"; fail "$name: resuming from step $step failed"; return
  fi
  pass "$name: mpirun exit $rc after $took s; latest/ at step $step loads and resumes" \
    "($(grep -m1 -E 'interrupted|signal|error' "$dir.log" | cut -c1-100))"
}
if want faults; then
  fault sigterm sig:TERM
  fault sigint sig:INT
  fault kill9 kill9
fi

if [ "$failures" -gt 0 ]; then echo "mpi-train-test: $failures failure(s)"; exit 1; fi
echo "mpi-train-test: all passed"
