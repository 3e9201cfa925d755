#!/bin/sh
# Wall time, CPU time and peak memory of `refmatch stats`, `refmatch match` (one prospect) and
# `refmatch validate usage.csv` on a large generated program (1M references, 100k prospects,
# 4.76M usage events, 320 MB of CSV), for each binary given, side by side.
#
#   benchmarks/load_large.sh [-d DIR] [-r RUNS] BINARY [BINARY...]
#
# The program is generated into DIR (default /tmp/refmatch-big1m) by the first binary when it is
# not there yet. Each command runs RUNS times (default 1) per binary, binaries alternating, so a
# change in the machine's load touches all of them alike. Needs GNU time (/usr/bin/time).
set -eu

dir=/tmp/refmatch-big1m
runs=1
while getopts d:r: opt; do
  case $opt in
    d) dir=$OPTARG ;;
    r) runs=$OPTARG ;;
    *) echo "usage: $0 [-d DIR] [-r RUNS] BINARY [BINARY...]" >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || { echo "usage: $0 [-d DIR] [-r RUNS] BINARY [BINARY...]" >&2; exit 2; }

if [ ! -f "$dir/usage.csv" ]; then
  echo "generating $dir ..." >&2
  "$1" generate --seed 1 --references 1000000 --prospects 100000 --out "$dir" >/dev/null
fi

out=$(mktemp)
trap 'rm -f "$out"' EXIT
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-10s %-34s %8s %8s %8s %9s\n' command binary "wall s" "user s" "sys s" "max MB"
for cmd in stats match validate; do
  case $cmd in
    stats) args="stats --program $dir" ;;
    match) args="match --program $dir --prospect P-000001" ;;
    validate) args="validate $dir/usage.csv" ;;
  esac
  i=0
  while [ $i -lt "$runs" ]; do
    for bin; do
      /usr/bin/time -o "$out" -f '%e %U %S %M' "$bin" $args >/dev/null
      read -r wall user sys kb <"$out"
      printf '%-10s %-34s %8s %8s %8s %9d\n' "$cmd" "$bin" "$wall" "$user" "$sys" $((kb / 1024))
    done
    i=$((i + 1))
  done
done
echo "load average after:  $(cut -d' ' -f1-3 /proc/loadavg)"
