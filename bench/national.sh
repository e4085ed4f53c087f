#!/usr/bin/env bash
# The national benchmark: a national-shaped set (`vbrief gen --nation F`, one Parquet export
# per province) reported for a year, in one run, with the same vbrief binary:
#   duckdb      `vbrief report --data SET` on this machine's DuckDB
#   spark-Nw    `vbrief report --engine spark --data SET` on a standalone Spark cluster of N
#               workers on 127.0.0.1 (scripts/spark, VBRIEF_SPARK_WORKERS=N, 1 core and
#               $VBRIEF_SPARK_EXECUTOR_MEMORY each), the cluster restarted before each run
# For each: wall time, peak memory (vbrief's; for Spark plus the server's and every executor's
# JVM, VmHWM), for Spark the bytes written to shuffles (summed from Spark's event log), and
# the slowest phases of each run (VBRIEF_TIMINGS).
# The reports' CSVs, every level from community to nation, are compared cell by cell.
#
#   bench/national.sh --fraction 0.001              # 1/1000 of the nation, 1 and 2 workers
#   bench/national.sh --fraction 0.01 --workers 2   # 1/100, two workers only
#   VBRIEF_BIN=path/to/vbrief bench/national.sh ... # a binary built otherwise
# The set is generated once into ${VBRIEF_BENCH_DIR:-~/.cache/vbrief-bench}/nation-F and kept.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
FRACTION=0.001
WORKERS="1 2"
PERIOD=2025
while [ $# -gt 0 ]; do
    case "$1" in
        --fraction) FRACTION=$2; shift 2 ;;
        --workers) WORKERS=$2; shift 2 ;;
        --period) PERIOD=$2; shift 2 ;;
        -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
        *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
command -v zstd >/dev/null || { echo "needs zstd, to read Spark's event log (apt-get install zstd)" >&2; exit 1; }

. "$ROOT/bench/lib.sh"   # timed, median, vbrief_binary, same_figures
vbrief_binary "$ROOT"
export VBRIEF_SPARK_EXECUTOR_MEMORY=${VBRIEF_SPARK_EXECUTOR_MEMORY:-4g}
export VBRIEF_SPARK_DRIVER_MEMORY=${VBRIEF_SPARK_DRIVER_MEMORY:-4g}
PORT=${VBRIEF_SPARK_PORT:-15002}
REMOTE=sc://127.0.0.1:$PORT
SET=${VBRIEF_BENCH_DIR:-$HOME/.cache/vbrief-bench}/nation-$FRACTION
OUT=$(mktemp -d "${TMPDIR:-/tmp}/vbrief-national-bench.XXXXXX")
trap '"$ROOT/scripts/spark" stop >/dev/null 2>&1 || true' EXIT

if [ ! -d "$SET" ]; then
    echo "== generating 1/$(echo "1 / $FRACTION" | bc) of the nation into $SET"
    read -r wall _ rss < <(timed "$OUT/gen.log" "$VBRIEF" gen --nation "$FRACTION" --out "$SET")
    printf "   gen: %.1f s, peak %.0f MiB\n" "$wall" "$((rss / 1024))"
    tail -2 "$OUT/gen.log" | head -1 | sed 's/^/   /'
fi
printf "== the set: %s, %.1f MiB of Parquet in %s exports\n" "$SET" \
    "$(echo "$(du -sb "$SET" | cut -f1) / 1048576" | bc -l)" "$(ls "$SET" | wc -l)"

# The slowest phases of a run (VBRIEF_TIMINGS lines on stderr).
slowest() { grep '^\[timing\]' "$1" | awk '{ print $NF "\t" $0 }' | sort -g -r | cut -f2- \
    | awk -v n="${2:-6}" 'NR <= n { print "        " $0 }'; }
export VBRIEF_TIMINGS=1

read -r w _ r < <(timed "$OUT/duckdb.log" "$VBRIEF" report --data "$SET" --period "$PERIOD" --out "$OUT/duckdb")
printf "   %-10s wall %8.1f s  peak %7.0f MiB\n" duckdb "$w" "$((r / 1024))"
slowest "$OUT/duckdb.log.err"
RESULTS=("duckdb $w $((r / 1024)) -")
base=$w

for n in $WORKERS; do
    events="$OUT/events-$n"
    "$ROOT/scripts/spark" stop >/dev/null 2>&1 || true
    VBRIEF_SPARK_WORKERS=$n VBRIEF_SPARK_EVENT_LOG=$events "$ROOT/scripts/spark" start >/dev/null
    read -r w _ r < <(timed "$OUT/spark-$n.log" "$VBRIEF" report --engine spark --remote "$REMOTE" \
        --data "$SET" --period "$PERIOD" --out "$OUT/spark-$n")
    jvm=$(awk '/VmHWM/ { print $2 }' "/proc/$(cat "${VBRIEF_SPARK_LOG:-/tmp/vbrief-spark}/server.pid")/status")
    for pid in $(pgrep -f CoarseGrainedExecutorBackend || true); do
        jvm=$((jvm + $(awk '/VmHWM/ { print $2 }' "/proc/$pid/status")))
    done
    "$ROOT/scripts/spark" stop >/dev/null
    # Spark 4 writes the event log as a folder of zstd files.
    shuffle=$(find "$events" -type f -name 'events_*' -exec zstd -dcf {} + | python3 -c '
import json, sys
total = 0
for line in sys.stdin:
    e = json.loads(line)
    if e.get("Event") == "SparkListenerTaskEnd":
        m = (e.get("Task Metrics") or {}).get("Shuffle Write Metrics") or {}
        total += m.get("Shuffle Bytes Written", 0)
print(total)')
    printf "   %-10s wall %8.1f s  (%5.1f× duckdb)  peak %7.0f MiB  shuffle %.0f MiB\n" "spark-${n}w" "$w" \
        "$(echo "$w / $base" | bc -l)" "$(((r + jvm) / 1024))" "$(echo "$shuffle / 1048576" | bc -l)"
    slowest "$OUT/spark-$n.log.err"
    RESULTS+=("spark-${n}w $w $(((r + jvm) / 1024)) $((shuffle / 1048576))")
done

echo "== $PERIOD on 1/$(echo "1 / $FRACTION" | bc) of the nation (engine wall_s peak_MiB shuffle_MiB)"
printf '   %s\n' "${RESULTS[@]}"
reports=("$OUT/duckdb")
for n in $WORKERS; do reports+=("$OUT/spark-$n"); done
same_figures "${reports[@]}"
# The runs' phase timings are kept beside the set (the reports are not).
LOGS="$SET.logs/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$LOGS" && cp "$OUT"/*.err "$LOGS"/
echo "   phase timings kept in $LOGS"
rm -rf "$OUT"
