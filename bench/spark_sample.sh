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

if [ -n "${VBRIEF_BIN:-}" ]; then
    VBRIEF=$VBRIEF_BIN
else
    export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/vbrief-target}
    echo "== building vbrief (release)"
    (cd "$ROOT" && cargo build --release --locked --quiet)
    VBRIEF=$CARGO_TARGET_DIR/release/vbrief
fi
export VBRIEF_SPARK_WORKERS=$WORKERS
PORT=${VBRIEF_SPARK_PORT:-15002}
REMOTE=sc://127.0.0.1:$PORT
OUT=$(mktemp -d "${TMPDIR:-/tmp}/vbrief-spark-sample.XXXXXX")
trap '"$ROOT/scripts/spark" stop >/dev/null 2>&1 || true; rm -rf "$OUT"' EXIT

. "$ROOT/bench/lib.sh"   # timed, median

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
python3 - "$OUT" <<'PY'
import csv, pathlib, sys
out = pathlib.Path(sys.argv[1])
def cells(d):
    res = {}
    for p in sorted(d.rglob("*.csv")):
        with open(p, encoding="utf-8-sig") as f:
            res[str(p.relative_to(d))] = list(csv.reader(f))
    return res
def same(a, b):
    if a == b: return True
    try: x, y = float(a), float(b)
    except ValueError: return False
    return abs(x - y) <= 1e-9 * max(abs(x), abs(y))
ref = cells(out / "duckdb-1")
others = [d for d in sorted(out.iterdir()) if d.is_dir() and ("-cold-" in d.name or "-warm-" in d.name)]
for other in others:
    o = cells(other)
    assert o.keys() == ref.keys(), (other.name, o.keys() ^ ref.keys())
    for name, rows in ref.items():
        assert len(rows) == len(o[name]), (other.name, name)
        for r, s in zip(rows, o[name]):
            assert len(r) == len(s) and all(same(a, b) for a, b in zip(r, s)), (other.name, name, r, s)
print(f"   identical figures: {len(ref)} CSV files, DuckDB and {len(others)} Spark reports")
PY
