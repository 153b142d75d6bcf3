#!/usr/bin/env bash
# Coverage-guided fuzzing of charnn's decoders with libFuzzer.
#
#   Fuzz/run.sh                      every target for FUZZ_SECONDS (default 60) each
#   FUZZ_TARGETS="vocabulary corpus" Fuzz/run.sh
#   Fuzz/run.sh --replay             only replay Fuzz/crashes/*/ (the known reproducers)
#
# Targets: safetensors (header parser and data), config (config.json: ModelConfig and
# Checkpoint.loadWithTrainerState), vocabulary (vocab.json), trainer-state (trainer_state.json), optimizer-state
# (optimizer.safetensors through Checkpoint.load and restore), corpus (bytes → ids, every unit).
#
# Seeds: Fuzz/corpus/TARGET (committed, read only); what libFuzzer learns goes to
# .build/fuzz/TARGET (not committed). A crash is written to Fuzz/crashes/TARGET/ and fails the
# run: commit it with the regression test that reproduces it. Known reproducers there are replayed
# first; one that still crashes fails the run too. Prints a table: executions, coverage (libFuzzer's
# `cov:`, instrumented edges reached), features (`ft:`), corpus size, crashes.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
seconds=${FUZZ_SECONDS:-60}
targets=${FUZZ_TARGETS:-"safetensors config vocabulary trainer-state optimizer-state corpus"}
replay_only=0
[ "${1:-}" = "--replay" ] && replay_only=1

flags=(-c release --package-path Fuzz/Harness -Xswiftc -sanitize=fuzzer,address -Xswiftc -enable-testing)
echo "fuzz: building the targets (swift build ${flags[*]})" >&2
swift build "${flags[@]}" >&2 || { echo "error: the fuzz targets do not build" >&2; exit 1; }
bin=$(swift build "${flags[@]}" --show-bin-path)
export FUZZ_BASE_CHECKPOINT=$root/Fuzz/base-checkpoint
# Swift's runtime keeps caches for the life of the process: not leaks of the code under test.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}
# Swift's own crash backtracer and AddressSanitizer fight over a crashing process; libFuzzer reports.
export SWIFT_BACKTRACE=enable=no

executable() {   # trainer-state → FuzzTrainerState
    local name=Fuzz
    local part
    IFS=- read -ra parts <<< "$1"
    for part in "${parts[@]}"; do
        case $part in safetensors) name+=SafeTensors ;; *) name+=${part^} ;; esac
    done
    echo "$bin/$name"
}

failed=0
summary=$(printf '%-16s %12s %8s %8s %7s %8s %s' target executions cov ft corpus crashes seconds)
for target in $targets; do
    exe=$(executable "$target")
    [ -x "$exe" ] || { echo "error: no fuzz target $target ($exe)" >&2; exit 1; }
    crashes=$root/Fuzz/crashes/$target
    mkdir -p "$crashes" ".build/fuzz/$target"
    known=0
    for input in "$crashes"/*; do
        [ -f "$input" ] || continue
        if "$exe" "$input" > ".build/fuzz/$target.replay.log" 2>&1; then
            echo "fuzz: $target: fixed: ${input#$root/}" >&2
        else
            echo "fuzz: $target: STILL CRASHES: ${input#$root/}" >&2
            grep -m3 -E "Fatal error|ERROR: AddressSanitizer|ERROR: libFuzzer" ".build/fuzz/$target.replay.log" >&2
            known=$((known + 1))
        fi
    done
    [ $known -gt 0 ] && failed=1
    if [ $replay_only = 1 ]; then
        summary+=$'\n'$(printf '%-16s %12s %8s %8s %7s %8s %s' "$target" - - - - "$known" replay)
        continue
    fi
    before=$(ls "$crashes" | wc -l)
    log=.build/fuzz/$target.log
    case $target in
        safetensors|optimizer-state) dict=(-dict=Fuzz/dict/safetensors.dict) ;;
        corpus) dict=() ;;
        *) dict=(-dict=Fuzz/dict/json.dict) ;;
    esac
    # Fork mode with -ignore_crashes: a crash is saved and fuzzing goes on, so one run finds
    # several bugs (and a known one does not stop the search for others).
    "$exe" ".build/fuzz/$target" "Fuzz/corpus/$target" -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -max_len=16384 "${dict[@]}" \
        -artifact_prefix="$crashes/" > "$log" 2>&1
    after=$(ls "$crashes" | wc -l)
    # Fork-mode progress lines: "#RUNS: cov: C ft: F corp: N exec/s: E oom/timeout/crash: O/T/X time: …".
    last=$(grep -E '^#[0-9]+: cov:' "$log" | tail -1)
    runs=$(grep -oE '^#[0-9]+' <<< "$last" | tr -d '#')
    cov=$(grep -o 'cov: [0-9]*' <<< "$last" | grep -o '[0-9]*')
    ft=$(grep -o 'ft: [0-9]*' <<< "$last" | grep -o '[0-9]*')
    corp=$(grep -o 'corp: [0-9]*' <<< "$last" | grep -o '[0-9]*')
    new=$((after - before))
    if [ $new -gt 0 ]; then
        failed=1
        echo "fuzz: $target: $new CRASHING INPUTS in Fuzz/crashes/$target/ (log: $log); first messages:" >&2
        grep -m5 -E "Fatal error|ERROR: AddressSanitizer|ERROR: libFuzzer|SUMMARY" "$log" >&2
    fi
    summary+=$'\n'$(printf '%-16s %12s %8s %8s %7s %8s %s' "$target" "${runs:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" \
        "$((new + known))" "$seconds")
done
echo "$summary"
[ $failed = 0 ] || { echo "error: fuzzing found crashes (reproducers in Fuzz/crashes/)" >&2; exit 1; }
