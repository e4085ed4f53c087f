#!/usr/bin/env bash
# The Spark benchmark: one warehouse's figures for a year computed three ways, in one run,
# with the same vbrief binary:
#   duckdb-warehouse  `vbrief report` on the warehouse (the result cache emptied first)
#   duckdb-parquet    `vbrief report --engine duckdb --data EXPORT`
#   spark             `vbrief report --engine spark --data EXPORT` on a local Spark Connect
#                     server (scripts/spark: local[2], driver memory $VBRIEF_SPARK_DRIVER_MEMORY;
#                     with VBRIEF_SPARK_WORKERS=N on a standalone cluster of N workers)
# and the export itself (`vbrief export --format parquet`): wall time, peak RSS and size.
# Spark's peak memory is the server JVM's (VmHWM, the server restarted before each run), the
# executor JVMs' on a cluster, plus the vbrief client's. The three reports' CSVs are compared
# cell by cell (1e-9 relative).
#
#   bench/spark.sh                    # the city set of bench/run.sh (generated there)
#   bench/spark.sh --workdir DIR      # any working folder with a warehouse (e.g. the province)
#   bench/spark.sh --runs 3           # medians of 3 runs of each (default 1)
#   VBRIEF_BIN=path/to/vbrief bench/spark.sh    # a binary built otherwise
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=${VBRIEF_BENCH_DIR:-$HOME/.cache/vbrief-bench}/city/work
RUNS=1
PERIOD=2025
while [ $# -gt 0 ]; do
    case "$1" in
        --workdir) WORK=$2; shift 2 ;;
        --runs) RUNS=$2; shift 2 ;;
        --period) PERIOD=$2; shift 2 ;;
        -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
        *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
[ -f "$WORK/warehouse.duckdb" ] || { echo "no warehouse in $WORK (bench/run.sh makes the city's)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 1; }

. "$ROOT/bench/lib.sh"   # timed, median, vbrief_binary, same_figures
vbrief_binary "$ROOT"
export VBRIEF_SPARK_DRIVER_MEMORY=${VBRIEF_SPARK_DRIVER_MEMORY:-8g}
PORT=${VBRIEF_SPARK_PORT:-15002}
REMOTE=sc://127.0.0.1:$PORT
OUT=$(mktemp -d "${TMPDIR:-/tmp}/vbrief-spark-bench.XXXXXX")
trap '"$ROOT/scripts/spark" stop >/dev/null 2>&1 || true' EXIT


echo "== export ($WORK)"
read -r wall _ rss < <(timed "$OUT/export.log" "$VBRIEF" export --workdir "$WORK" --format parquet --out "$OUT/parquet")
bytes=$(du -sb "$OUT/parquet" | cut -f1)
printf "   export: %.1f s, peak %.0f MiB, %.1f MiB of Parquet (warehouse %.1f MiB)\n" \
    "$wall" "$((rss / 1024))" "$(echo "$bytes / 1048576" | bc -l)" \
    "$(echo "$(stat -c %s "$WORK/warehouse.duckdb") / 1048576" | bc -l)"

declare -A WALL RSS
for run in $(seq 1 "$RUNS"); do
    rm -rf "$WORK/.vbrief-cache"
    read -r w _ r < <(timed "$OUT/w$run.log" "$VBRIEF" report --workdir "$WORK" --period "$PERIOD" --out "$OUT/duckdb-warehouse-$run")
    WALL[duckdb-warehouse]+="$w "; RSS[duckdb-warehouse]+="$r "; w_base=$w
    read -r w _ r < <(timed "$OUT/p$run.log" "$VBRIEF" report --workdir "$WORK" --period "$PERIOD" \
        --engine duckdb --data "$OUT/parquet" --out "$OUT/duckdb-parquet-$run")
    WALL[duckdb-parquet]+="$w "; RSS[duckdb-parquet]+="$r "
    "$ROOT/scripts/spark" stop >/dev/null
    "$ROOT/scripts/spark" start >/dev/null
    read -r w _ r < <(timed "$OUT/s$run.log" "$VBRIEF" report --workdir "$WORK" --period "$PERIOD" \
        --engine spark --remote "$REMOTE" --data "$OUT/parquet" --out "$OUT/spark-$run")
    jvm=$(awk '/VmHWM/ { print $2 }' "/proc/$(cat "${VBRIEF_SPARK_LOG:-/tmp/vbrief-spark}/server.pid")/status")
    # On a cluster (VBRIEF_SPARK_WORKERS), the executors' JVMs too.
    for pid in $(pgrep -f CoarseGrainedExecutorBackend || true); do
        jvm=$((jvm + $(awk '/VmHWM/ { print $2 }' "/proc/$pid/status")))
    done
    WALL[spark]+="$w "; RSS[spark]+="$((r + jvm)) "
    echo "   run $run: duckdb-warehouse $w_base s … spark $w s (JVM peak $((jvm / 1024)) MiB)"
done

base=$(echo "${WALL[duckdb-warehouse]}" | tr ' ' '\n' | grep . | median)
echo "== $PERIOD on $(basename "$(dirname "$WORK")"), median of $RUNS run(s)"
for engine in duckdb-warehouse duckdb-parquet spark; do
    w=$(echo "${WALL[$engine]}" | tr ' ' '\n' | grep . | median)
    r=$(echo "${RSS[$engine]}" | tr ' ' '\n' | grep . | median)
    printf "   %-17s wall %8.1f s  (%5.2f× duckdb-warehouse)  peak %7.0f MiB\n" \
        "$engine" "$w" "$(echo "$w / $base" | bc -l)" "$(echo "$r / 1024" | bc -l)"
done

# The same figures, cell by cell.
same_figures "$OUT/duckdb-warehouse-1" "$OUT/duckdb-parquet-1" "$OUT/spark-1"
rm -rf "$OUT"
