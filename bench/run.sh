#!/usr/bin/env bash
# The benchmark: end-to-end `vbrief run` (ingest + indicators + briefing) on a generated city
# (300,000 volunteers, 5,000,000 service records), three runs, medians of wall time, user time
# and peak RSS (/usr/bin/time -v); a re-run on unchanged input, with and without the result
# cache; a report for a quarter nobody reported before (2025-Q3: the period, its previous
# quarter, the same quarter a year earlier and the year to date, none cached); and, in the
# same invocation, the baseline: bench/baseline.sql in the DuckDB CLI over the clean ground
# truth. Prints the ratio vbrief / baseline and checks that both give the same figures,
# community by community.
#
#   bench/run.sh                      # the city benchmark (3 runs)
#   bench/run.sh --runs 5             # more runs
#   bench/run.sh --province           # also the province set (5M volunteers, 100M records, csv),
#                                     # once, under VBRIEF_MEMORY_LIMIT (default 6GB)
#   bench/run.sh --province-only      # the province set alone
#
# Data sets are generated once into ${VBRIEF_BENCH_DIR:-$HOME/.cache/vbrief-bench} and reused.
# It builds vbrief with `cargo build --release` in $CARGO_TARGET_DIR (default
# ~/.cache/vbrief-target; the first build compiles DuckDB: ~45 min); VBRIEF_BIN=path/to/vbrief
# uses a binary built otherwise. Per-file throughput is printed for files of 10 MB or more.
# Needs: /usr/bin/time (Debian: apt-get install time), python3 -m pip (for duckdb-cli).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUNS=3
PROVINCE=0
CITY=1
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) RUNS=$2; shift 2 ;;
        --province) PROVINCE=1; shift ;;
        --province-only) PROVINCE=1; CITY=0; shift ;;
        -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
        *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done

export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/vbrief-target}
BENCH=${VBRIEF_BENCH_DIR:-$HOME/.cache/vbrief-bench}
DUCKDB_CLI_VERSION=1.5.6
mkdir -p "$BENCH"

[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
if ! command -v duckdb >/dev/null || ! duckdb --version | grep -q "v$DUCKDB_CLI_VERSION"; then
    python3 -m pip install --quiet "duckdb-cli==$DUCKDB_CLI_VERSION"
fi
DUCKDB=$(command -v duckdb)

. "$ROOT/bench/lib.sh"   # timed, median, vbrief_binary
vbrief_binary "$ROOT"

# generate NAME VOLUNTEERS RECORDS [EXTRA...]: the data set, once.
generate() {
    local name=$1 volunteers=$2 records=$3; shift 3
    local dir=$BENCH/$name stamp="$volunteers $records $* $(git -C "$ROOT" log -1 --format=%h -- sample-gen)"
    if [ -f "$dir/stamp" ] && [ "$(cat "$dir/stamp")" = "$stamp" ]; then
        return
    fi
    rm -rf "$dir"
    mkdir -p "$dir/work"
    echo "== generating $name ($volunteers volunteers, $records records)"
    /usr/bin/time -f "   gen: %e s, peak %M KiB" \
        "$VBRIEF" gen --out "$dir/work/inbox" --truth "$dir/truth" \
        --volunteers "$volunteers" --records "$records" "$@"
    mv "$dir/work/inbox/vbrief.toml" "$dir/work/"
    echo "$stamp" > "$dir/stamp"
}

# phases LOG WALL: the run's phases (VBRIEF_TIMINGS lines on LOG), seconds and share of WALL;
# the load summed over files. The report's progress toward the year's targets runs on a thread
# of its own beside its indicators and checks (the star list is computed with the indicators),
# and the star list's workbook is written beside the CSV/JSON and the briefing: those are shown
# marked "(beside)" and not counted in "the rest".
phases() {
    awk -v wall="$2" '
        /^\[timing\] ingest\.plan / { plan = $NF; next }
        /^\[timing\] ingest\.load / { load += $NF; next }
        /^\[timing\] report\.(progress|star_list_file) / {
            name[++n] = $2 " (beside)"; secs[n] = $NF; beside[n] = 1; next }
        /^\[timing\] (ingest\.(merge|commit|settle_counts)|checks\.after_ingest|report\.[a-z_]+) / {
            name[++n] = $2; secs[n] = $NF }
        END {
            row("ingest.plan (files, 2 threads)", plan); row("ingest.load (all files)", load)
            rest = wall - plan - load
            for (i = 1; i <= n; i++) { row(name[i], secs[i]); if (!beside[i]) rest -= secs[i] }
            row("the rest (start, waits)", rest)
        }
        function row(what, s) { printf "     %-32s %8.2f s %5.1f%%\n", what, s, 100 * s / wall }' "$1"
}

# compare VBRIEF_CSV BASELINE_CSV: the figures both compute, community by community.
compare() {
    "$DUCKDB" -noheader -list <<SQL
WITH v AS (SELECT district, street, community, registered, hours, per_capita_hours
             FROM read_csv('$1', header = true, all_varchar = true)),
     b AS (SELECT * FROM read_csv('$2', header = true, all_varchar = true)),
     j AS (SELECT b.community IS NOT NULL AS in_baseline, v.community IS NOT NULL AS in_vbrief,
                  CAST(v.registered AS BIGINT) IS NOT DISTINCT FROM CAST(b.registered AS BIGINT)
                  AND abs(CAST(v.hours AS DOUBLE) - CAST(b.hours AS DOUBLE)) < 0.005
                  AND abs(coalesce(CAST(v.per_capita_hours AS DOUBLE), -1)
                          - coalesce(CAST(b.per_capita_hours AS DOUBLE), -1)) < 0.005 AS same
             FROM v FULL JOIN b USING (district, street, community))
SELECT count(*) || ' communities, ' || count(*) FILTER (WHERE in_baseline AND in_vbrief AND same)
       || ' identical, ' || count(*) FILTER (WHERE NOT (in_baseline AND in_vbrief AND same)) || ' differ'
  FROM j;
SQL
}

bench_city() {
    local name=city dir=$BENCH/city
    generate city 300000 5000000
    local work=$dir/work results=$dir/results
    mkdir -p "$results"
    local inbox_bytes inbox_rows
    inbox_bytes=$(du -cb "$work"/inbox/*.csv "$work"/inbox/*.xlsx | tail -1 | cut -f1)
    echo "== city: $(ls "$work/inbox" | grep -c -E 'csv|xlsx') files, $((inbox_bytes / 1000000)) MB"
    : > "$results/vbrief.txt"; : > "$results/rerun.txt"; : > "$results/rerun_nocache.txt"
    : > "$results/other_period.txt"
    : > "$results/baseline.txt"
    for i in $(seq 1 "$RUNS"); do
        rm -rf "$work/warehouse.duckdb" "$work/warehouse.duckdb.wal" "$work/vbrief.key" "$work/out" \
            "$work/.vbrief-cache"
        sync
        local t
        t=$(VBRIEF_TIMINGS=1 timed "$results/run$i.log" "$VBRIEF" run --workdir "$work" --period 2025 --out "$work/out")
        echo "$t" >> "$results/vbrief.txt"
        echo "   run $i: vbrief run        wall ${t%% *} s  (user, peak KiB: ${t#* })"
        t=$(timed "$results/rerun$i.log" "$VBRIEF" run --workdir "$work" --period 2025 --out "$work/out")
        echo "$t" >> "$results/rerun.txt"
        echo "   run $i: vbrief run again  wall ${t%% *} s  (user, peak KiB: ${t#* })"
        rm -rf "$work/.vbrief-cache"
        t=$(timed "$results/rerun_nocache$i.log" "$VBRIEF" run --workdir "$work" --period 2025 --out "$work/out")
        echo "$t" >> "$results/rerun_nocache.txt"
        echo "   run $i: again, no cache   wall ${t%% *} s  (user, peak KiB: ${t#* })"
        # The cache now holds 2025 only: the quarter and its comparison periods are computed.
        rm -rf "$work/out_q3"
        t=$(VBRIEF_TIMINGS=1 timed "$results/other_period$i.log" "$VBRIEF" report --workdir "$work" \
            --period 2025-Q3 --out "$work/out_q3")
        echo "$t" >> "$results/other_period.txt"
        echo "   run $i: report 2025-Q3    wall ${t%% *} s  (user, peak KiB: ${t#* })"
        t=$(cd "$dir/truth" && timed "$results/baseline$i.csv" "$DUCKDB" -csv -c ".read $ROOT/bench/baseline.sql")
        echo "$t" >> "$results/baseline.txt"
        echo "   run $i: baseline (DuckDB) wall ${t%% *} s  (user, peak KiB: ${t#* })"
    done
    local v_wall v_user v_rss r_wall r_rss b_wall b_user b_rss
    v_wall=$(cut -d' ' -f1 "$results/vbrief.txt" | median)
    v_user=$(cut -d' ' -f2 "$results/vbrief.txt" | median)
    v_rss=$(cut -d' ' -f3 "$results/vbrief.txt" | median)
    r_wall=$(cut -d' ' -f1 "$results/rerun.txt" | median)
    r_rss=$(cut -d' ' -f3 "$results/rerun.txt" | median)
    local n_wall n_rss
    n_wall=$(cut -d' ' -f1 "$results/rerun_nocache.txt" | median)
    n_rss=$(cut -d' ' -f3 "$results/rerun_nocache.txt" | median)
    local o_wall o_user o_rss
    o_wall=$(cut -d' ' -f1 "$results/other_period.txt" | median)
    o_user=$(cut -d' ' -f2 "$results/other_period.txt" | median)
    o_rss=$(cut -d' ' -f3 "$results/other_period.txt" | median)
    b_wall=$(cut -d' ' -f1 "$results/baseline.txt" | median)
    b_user=$(cut -d' ' -f2 "$results/baseline.txt" | median)
    b_rss=$(cut -d' ' -f3 "$results/baseline.txt" | median)
    local records_rows
    records_rows=$(grep -o '"record_rows": [0-9]*' "$work/inbox/manifest.json" | grep -o '[0-9]*$')
    echo
    echo "== city results (median of $RUNS runs)"
    printf '   %-34s %8s %8s %10s\n' "" "wall s" "user s" "peak MiB"
    printf '   %-34s %8.2f %8.2f %10d\n' "vbrief run (messy exports)" "$v_wall" "$v_user" $((v_rss / 1024))
    printf '   %-34s %8.2f %8s %10d\n' "vbrief run, nothing new" "$r_wall" "" $((r_rss / 1024))
    printf '   %-34s %8.2f %8s %10d\n' "  the same without .vbrief-cache" "$n_wall" "" $((n_rss / 1024))
    printf '   %-34s %8.2f %8.2f %10d\n' "report, another period (2025-Q3)" "$o_wall" "$o_user" $((o_rss / 1024))
    printf '   %-34s %8.2f %8.2f %10d\n' "baseline: DuckDB on ground truth" "$b_wall" "$b_user" $((b_rss / 1024))
    awk -v v="$v_wall" -v b="$b_wall" 'BEGIN { printf "   ratio vbrief / baseline: %.1fx\n", v / b }'
    awk -v bytes="$inbox_bytes" -v rows="$records_rows" -v w="$v_wall" \
        'BEGIN { printf "   end to end: %.1f MB/s, %.0f record rows/s\n", bytes / 1e6 / w, rows / w }'
    echo "   per file (the first run's load phase: read, parse, validate, pseudonymize, stage):"
    awk '/\[timing\] ingest.load / { print $NF, $3 }' "$results/run1.log.err" | while read -r secs file; do
        local bytes rows
        bytes=$(stat -c %s "$work/$file")
        rows=$(grep -F -- "$file" "$results/run1.log" | head -1 | awk '{ print $1 }')
        awk -v f="$file" -v b="$bytes" -v r="$rows" -v s="$secs" \
            'BEGIN { if (b >= 1e7) printf "     %-44s %7.1f MB %9d rows %6.2f s %7.1f MB/s %9.0f rows/s\n", f, b / 1e6, r, s, b / 1e6 / s, r / s }'
    done
    echo "   phases of the first run:"
    phases "$results/run1.log.err" "$(head -1 "$results/vbrief.txt" | cut -d" " -f1)"
    echo "   correctness: $(compare "$work/out/indicators/community.csv" "$results/baseline1.csv")"
}

bench_province() {
    local dir=$BENCH/province
    generate province 5000000 100000000 --csv
    local work=$dir/work results=$dir/results
    mkdir -p "$results"
    rm -rf "$work/warehouse.duckdb" "$work/warehouse.duckdb.wal" "$work/vbrief.key" "$work/out" \
        "$work/.vbrief-cache"
    local inbox_bytes
    inbox_bytes=$(du -cb "$work"/inbox/*.csv | tail -1 | cut -f1)
    echo "== province: $((inbox_bytes / 1000000)) MB of csv, memory limit ${VBRIEF_MEMORY_LIMIT:-6GB}"
    local t
    t=$(VBRIEF_TIMINGS=1 VBRIEF_MEMORY_LIMIT=${VBRIEF_MEMORY_LIMIT:-6GB} \
        timed "$results/run.log" "$VBRIEF" run --workdir "$work" --period 2025 --out "$work/out")
    echo "   vbrief run: wall ${t%% *} s, user $(echo "$t" | cut -d' ' -f2) s, peak $(( $(echo "$t" | cut -d' ' -f3) / 1024 )) MiB"
    local v_wall=${t%% *}
    t=$(cd "$dir/truth" && timed "$results/baseline.csv" "$DUCKDB" -csv -c ".read $ROOT/bench/baseline.sql")
    echo "   baseline:   wall ${t%% *} s, user $(echo "$t" | cut -d' ' -f2) s, peak $(( $(echo "$t" | cut -d' ' -f3) / 1024 )) MiB"
    awk -v v="$v_wall" -v b="${t%% *}" 'BEGIN { printf "   ratio vbrief / baseline: %.1fx\n", v / b }'
    echo "   phases:"
    phases "$results/run.log.err" "$v_wall"
    echo "   correctness: $(compare "$work/out/indicators/community.csv" "$results/baseline.csv")"
}

echo "== machine: $(nproc) cores, $(free -g | awk '/Mem:/ { print $2 }') GiB, $(uname -sr), $(date -I)"
if [ "$CITY" = 1 ]; then
    bench_city
fi
if [ "$PROVINCE" = 1 ]; then
    bench_province
fi
