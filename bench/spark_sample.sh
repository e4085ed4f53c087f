#!/usr/bin/env bash
# Spark's fixed cost: the bundled sample data's report for a year (3.6 MB of Parquet), where
# nearly all of Spark's time is per statement, not per row. In one run, alternating:
#   duckdb            `vbrief report --engine duckdb --data EXPORT` (the reference)
#   spark (cold)      the first report after the Spark Connect server started (JVM not warm)
#   spark (warm)      the same report again on that server
# for the candidate binary and, with --baseline, an older one (the server is restarted before
# each binary's pair, so both start cold). Medians per binary; every report's CSVs are
# compared with DuckDB's, cell by cell.
#
#   bench/spark_sample.sh                          # candidate only, local[2], 3 rounds
#   bench/spark_sample.sh --baseline OLD_BIN       # and an older binary, alternated
#   bench/spark_sample.sh --workers 2              # on a standalone cluster of 2 workers
#   bench/spark_sample.sh --runs 5
#   VBRIEF_BIN=path/to/vbrief bench/spark_sample.sh   # a binary built otherwise
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUNS=3
BASELINE=
WORKERS=0
PERIOD=2025
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) RUNS=$2; shift 2 ;;
        --baseline) BASELINE=$2; shift 2 ;;
        --workers) WORKERS=$2; shift 2 ;;
        -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
        *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 1; }

. "$ROOT/bench/lib.sh"   # timed, median, vbrief_binary, same_figures
vbrief_binary "$ROOT"
export VBRIEF_SPARK_WORKERS=$WORKERS
PORT=${VBRIEF_SPARK_PORT:-15002}
REMOTE=sc://127.0.0.1:$PORT
OUT=$(mktemp -d "${TMPDIR:-/tmp}/vbrief-spark-sample.XXXXXX")
trap '"$ROOT/scripts/spark" stop >/dev/null 2>&1 || true; rm -rf "$OUT"' EXIT


echo "== the sample data: ingest and export ($OUT)"
WORK=$OUT/work
"$VBRIEF" init --workdir "$WORK" >/dev/null
cp "$ROOT/sample-data/vbrief.toml" "$WORK/"
cp "$ROOT"/sample-data/*.xlsx "$ROOT"/sample-data/*.csv "$WORK/inbox/"
timed "$OUT/ingest.log" "$VBRIEF" ingest --workdir "$WORK" >/dev/null
timed "$OUT/export.log" "$VBRIEF" export --workdir "$WORK" --format parquet --out "$OUT/parquet" >/dev/null
printf "   %.1f MiB of Parquet\n" "$(echo "$(du -sb "$OUT/parquet" | cut -f1) / 1048576" | bc -l)"

report() {  # report BIN ENGINE OUTDIR LOG → "wall user rss"
    local bin=$1 engine=$2 out=$3 log=$4
    local extra=()
    [ "$engine" = spark ] && extra=(--remote "$REMOTE")
    timed "$log" "$bin" report --workdir "$WORK" --period "$PERIOD" --engine "$engine" \
        --data "$OUT/parquet" --out "$out" "${extra[@]}"
}

declare -A WALL
binaries=(candidate)
[ -n "$BASELINE" ] && binaries=(baseline candidate)
where="local[2]"
[ "$WORKERS" -gt 0 ] && where="a standalone cluster of $WORKERS workers"
echo "== $PERIOD on Spark ($where), $RUNS round(s), alternating"
for run in $(seq 1 "$RUNS"); do
    read -r w _ _ < <(report "$VBRIEF" duckdb "$OUT/duckdb-$run" "$OUT/duckdb-$run.log")
    WALL[duckdb]+="$w "
    line="   round $run: duckdb $w s"
    for which in "${binaries[@]}"; do
        bin=$VBRIEF
        [ "$which" = baseline ] && bin=$BASELINE
        "$ROOT/scripts/spark" stop >/dev/null
        "$ROOT/scripts/spark" start >/dev/null
        read -r cold _ _ < <(report "$bin" spark "$OUT/$which-cold-$run" "$OUT/$which-cold-$run.log")
        read -r warm _ _ < <(report "$bin" spark "$OUT/$which-warm-$run" "$OUT/$which-warm-$run.log")
        WALL[$which-cold]+="$cold "; WALL[$which-warm]+="$warm "
        line+=", $which cold $cold s warm $warm s"
    done
    echo "$line"
done

med() { echo "${WALL[$1]}" | tr ' ' '\n' | grep . | median; }
base=$(med duckdb)
echo "== medians ($where)"
printf "   %-16s %7.1f s\n" duckdb "$base"
for which in "${binaries[@]}"; do
    for phase in cold warm; do
        w=$(med "$which-$phase")
        printf "   %-16s %7.1f s  (%5.1f× duckdb)\n" "$which $phase" "$w" "$(echo "$w / $base" | bc -l)"
    done
done
if [ -n "$BASELINE" ]; then
    for phase in cold warm; do
        printf "   candidate / baseline, %s: %.3f\n" "$phase" \
            "$(echo "$(med "candidate-$phase") / $(med "baseline-$phase")" | bc -l)"
    done
fi

# Every Spark report's figures are DuckDB's, cell by cell.
reports=()
for dir in "$OUT"/*-cold-* "$OUT"/*-warm-*; do
    if [ -d "$dir" ]; then reports+=("$dir"); fi   # not the logs beside them
done
same_figures "$OUT/duckdb-1" "${reports[@]}"
