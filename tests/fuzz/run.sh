#!/bin/sh
# Runs libFuzzer targets (built by `make fuzz-bins` into build/fuzz) for a set time each, some at a time, each on
# a fresh copy of its committed seed corpus (tests/fuzz/corpus/<name>), so that the corpus in git never changes.
# Usage: tests/fuzz/run.sh SECONDS JOBS NAME...   Prints each target's executions; exits 1 if any failed.
set -u
seconds=$1 jobs=$2
shift 2
out=build/fuzz/runs
mkdir -p "$out"

run_one() {
    name=$1
    dir=$out/$name
    rm -rf "$dir"
    mkdir -p "$dir/corpus" "$dir/artifacts"
    [ -d "tests/fuzz/corpus/$name" ] && cp -R "tests/fuzz/corpus/$name/." "$dir/corpus/"
    # -rss_limit_mb: no input may make the library take 2 GB; -timeout: nor 10 s
    ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        "build/fuzz/fuzz_$name" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
        -print_final_stats=1 -artifact_prefix="$dir/artifacts/" "$dir/corpus" >"$dir/log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log" | tail -n 1)
    if [ $rc -eq 0 ]; then
        echo "fuzz_$name: ${execs:-?} executions in ${seconds} s, clean"
    else
        echo "fuzz_$name: FAILED (exit $rc) after ${execs:-?} executions; log $dir/log, inputs in $dir/artifacts:"
        grep -m 3 -E 'ERROR|SUMMARY|runtime error|==[0-9]+==' "$dir/log" | sed 's/^/    /'
        echo fail >"$dir/failed"
    fi
}

# a simple job pool: start up to $jobs targets, wait for that batch, go on
names="$*"
while [ $# -gt 0 ]; do
    i=0
    while [ $i -lt "$jobs" ] && [ $# -gt 0 ]; do
        run_one "$1" &
        shift
        i=$((i + 1))
    done
    wait
done
failed=""
for name in $names; do
    [ -e "$out/$name/failed" ] && failed="$failed fuzz_$name"
done
if [ -n "$failed" ]; then
    echo "fuzzing failed:$failed"
    exit 1
fi
echo "fuzzing: every target ran clean"
