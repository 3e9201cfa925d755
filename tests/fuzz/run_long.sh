#!/bin/sh
# Runs every fuzz target of the `fuzz` preset for SECONDS each (default 1800), one at a time on
# one core at the lowest priority, and writes one line per target to RESULTS (default
# build/fuzz/fuzz-results.tsv): target, seconds, executions, corpus size, crash files.
# Findings (crash-*, leak-*, timeout-*) are left in build/fuzz/findings/<target>/.
#   tests/fuzz/run_long.sh [SECONDS] [RESULTS]
set -eu
cd "$(dirname "$0")/../.."
seconds=${1:-1800}
results=${2:-build/fuzz/fuzz-results.tsv}
build=build/fuzz
[ -x "$build/tests/fuzz/fuzz_usage_json" ] || { cmake --preset fuzz && cmake --build --preset fuzz; }
mkdir -p "$(dirname "$results")"
printf 'target\tseconds\texecutions\tcorpus\tfindings\n' > "$results"
for exe in "$build"/tests/fuzz/fuzz_*_csv "$build"/tests/fuzz/fuzz_*_json; do
    target=$(basename "$exe")
    work="$build/tests/fuzz/corpus/$target"
    findings="$build/findings/$target"
    mkdir -p "$work" "$findings"
    log="$findings/run.log"
    start=$(date +%s)
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        nice -n 19 "$exe" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -max_len=65536 -print_final_stats=1 -artifact_prefix="$findings/" \
        "$work" "tests/fuzz/corpus/$target" > "$log" 2>&1 || true
    elapsed=$(( $(date +%s) - start ))
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    corpus=$(ls "$work" | wc -l)
    found=$(ls "$findings" | grep -c -E '^(crash|leak|timeout|oom)-' || true)
    printf '%s\t%s\t%s\t%s\t%s\n' "$target" "$elapsed" "${execs:-?}" "$corpus" "$found" >> "$results"
done
cat "$results"
