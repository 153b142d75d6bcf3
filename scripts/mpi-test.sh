#!/usr/bin/env bash
# The MPI build's multi-rank tests (make mpi-test): charnn-mpi-check under mpirun with 2 and 3 ranks
# (every collective, checked exactly), the abort path, and the cases that must end with one `error:` line;
# then `charnn train` under mpirun (scripts/mpi-train-test.sh): equivalence with one process, resuming
# across rank counts, faults.
# Usage: scripts/mpi-test.sh [CHECK_BINARY [CHARNN_BINARY]]
#        (default .build/mpi/debug/charnn-mpi-check and .build/mpi/debug/charnn)
# Works with Open MPI and MPICH: the Open MPI settings below go through the environment, which MPICH ignores.
set -uo pipefail
cd "$(dirname "$0")/.."
check=${1:-.build/mpi/debug/charnn-mpi-check}
charnn=${2:-$(dirname "$check")/charnn}
[ -x "$check" ] || { echo "error: $check not found (make mpi-test builds it)" >&2; exit 1; }
command -v mpirun >/dev/null || { echo "error: mpirun not found (apt-get install openmpi-bin)" >&2; exit 1; }
# Root in a container, and more ranks than cores: Open MPI refuses both unless told.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
failures=0
pass() { echo "ok: $*"; }
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

for n in 2 3; do
  out=$(timeout 120 mpirun -np "$n" "$check" 2>&1); rc=$?
  if [ "$rc" = 0 ]; then pass "$n ranks: ${out##*$'\n'}"; else echo "$out"; fail "$n ranks: exit $rc"; fi
done

# Without a launcher the MPI build runs as one process and never initializes MPI.
out=$(timeout 60 "$check" 2>&1)
if grep -q "1 rank (single process): every check passed" <<<"$out"; then pass "no launcher: single process"
else echo "$out"; fail "no launcher"; fi

# expect_error NAME STATUS PATTERN COMMAND…: the command must end (no hang) with STATUS and exactly one
# `error:` line matching PATTERN.
expect_error() {
  local name=$1 status=$2 pattern=$3; shift 3
  local start=$SECONDS out rc
  out=$(timeout 60 "$@" 2>&1); rc=$?
  local lines; lines=$(grep -c '^error:' <<<"$out")
  if [ "$rc" = "$status" ] && [ "$lines" = 1 ] && grep -q "^error: .*$pattern" <<<"$out"; then
    pass "$name: exit $rc after $((SECONDS - start)) s, one error line"
  else
    echo "$out"; fail "$name: exit $rc (want $status), $lines error lines"
  fi
}
expect_error "one rank aborts, 3 ranks" 1 "failing on purpose" mpirun -np 3 "$check" --fail-on-rank 1
expect_error "rank 0 aborts, 2 ranks" 1 "failing on purpose" mpirun -np 2 "$check" --fail-on-rank 0
expect_error "bad flag on every rank" 1 "unknown argument '--bogus'" mpirun -np 2 "$check" --bogus
expect_error "launcher variables without a launcher" 1 "launcher started 2 processes but MPI sees 1" \
  env OMPI_COMM_WORLD_SIZE=2 OMPI_COMM_WORLD_RANK=0 "$check"

if [ -x "$charnn" ]; then
  ./scripts/mpi-train-test.sh "$charnn" || failures=$((failures + 1))
else
  fail "$charnn not found: the training tests did not run (make mpi-test builds it)"
fi

if [ "$failures" -gt 0 ]; then echo "mpi-test: $failures failure(s)"; exit 1; fi
echo "mpi-test: all passed"
