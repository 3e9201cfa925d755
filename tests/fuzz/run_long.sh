#!/bin/sh
# Runs fuzz targets of the `fuzz` preset for SECONDS of CPU each (default 1800), one at a time on
# one core at low priority, and appends one line per target to RESULTS (default
# build/fuzz/fuzz-results.tsv): date, target, wall seconds, CPU seconds, executions, corpus size,
# findings. A long campaign can be spread over several sittings: name the targets still to run.
# The corpus each run grows is kept in build/fuzz/tests/fuzz/corpus/<target>/ and seeds the next.
# Findings (crash-*, leak-*, timeout-*, oom-*) are left in build/fuzz/findings/<target>/.
#   [FUZZ_NICE=10] tests/fuzz/run_long.sh [SECONDS] [RESULTS] [TARGET...]   (default: all ten)
set -eu
cd "$(dirname "$0")/../.."
seconds=${1:-1800}
results=${2:-build/fuzz/fuzz-results.tsv}
[ $# -ge 2 ] && shift 2 || shift $#
build=build/fuzz
[ -x "$build/tests/fuzz/fuzz_usage_json" ] || { cmake --preset fuzz && cmake --build --preset fuzz; }
if [ $# -eq 0 ]; then
    set -- $(cd "$build/tests/fuzz" && ls -d fuzz_*_csv fuzz_*_json)
fi
mkdir -p "$(dirname "$results")"
[ -s "$results" ] || printf 'date\ttarget\twall_s\tcpu_s\texecutions\tcorpus\tfindings\n' > "$results"
for target in "$@"; do
    exe="$build/tests/fuzz/$target"
    work="$build/tests/fuzz/corpus/$target"
    findings="$build/findings/$target"
    mkdir -p "$work" "$findings"
    log="$findings/run.log"
    : > "$log"
    # The budget is CPU time on one core, so a run that shares the machine still gets its full
    # share: libFuzzer runs in slices of at most 10 minutes wall, resuming from the corpus it
    # grew, until the slices' CPU seconds (user + system, from GNU time) reach SECONDS.
    start=$(date +%s)
    cpu=0   # hundredths of a second
    execs=0
    while [ "$cpu" -lt $(( seconds * 100 )) ]; do
        left=$(( seconds - cpu / 100 ))
        slice=$(( left < 600 ? left : 600 ))
        ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
            /usr/bin/time -f 'cpu_seconds: %U %S' nice -n "${FUZZ_NICE:-10}" "$exe" -max_total_time="$slice" \
            -timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
            -artifact_prefix="$findings/" "$work" "tests/fuzz/corpus/$target" > "$log.slice" 2>&1 || true
        cat "$log.slice" >> "$log"
        used=$(sed -n 's/^cpu_seconds: *//p' "$log.slice" | awk '{ printf "%d", ($1 + $2) * 100 }')
        ran=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log.slice" | tail -n 1)
        cpu=$(( cpu + ${used:-0} ))
        execs=$(( execs + ${ran:-0} ))
        # A finding stops libFuzzer; stop this target too, so that it is looked at.
        ls "$findings" | grep -q -E '^(crash|leak|timeout|oom)-' && break
        [ "${used:-0}" -gt 0 ] || break
    done
    rm -f "$log.slice"
    elapsed=$(( $(date +%s) - start ))
    corpus=$(ls "$work" | wc -l)
    found=$(ls "$findings" | grep -c -E '^(crash|leak|timeout|oom)-' || true)
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%F)" "$target" "$elapsed" $(( cpu / 100 )) \
        "$execs" "$corpus" "$found" >> "$results"
done
cat "$results"
