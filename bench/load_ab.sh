#!/usr/bin/env bash
# Same-run A/B of one export's load: two vbrief binaries alternated (A B A B …), each ingesting
# a folder of the generated city's population ledger and the chosen exports (default: the
# volunteers' xlsx) into a new warehouse. Prints each run's wall time, planning and load
# phase of the chosen files (VBRIEF_TIMINGS), then the medians, the load's MB/s and B / A.
# The city's end to end is bench/ab.sh; this isolates one reader, where the city's swings hide
# a few tenths of a second.
#
#   bench/load_ab.sh OLD_BIN NEW_BIN                        # the volunteers' xlsx, 5 runs each
#   bench/load_ab.sh OLD_BIN NEW_BIN --runs 8 --files '05_*'   # the 2025 records csv
#
# Reads the city that bench/run.sh (or bench/ab.sh) generated into
# ${VBRIEF_BENCH_DIR:-$HOME/.cache/vbrief-bench}. Needs /usr/bin/time.
set -euo pipefail
. "$(dirname "$0")/lib.sh"   # median

[ $# -ge 2 ] || { sed -n '2,13p' "$0"; exit 2; }
A=$(realpath "$1"); B=$(realpath "$2"); shift 2
RUNS=5
FILES='03_*'
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) RUNS=$2; shift 2 ;;
        --files) FILES=$2; shift 2 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
BENCH=${VBRIEF_BENCH_DIR:-$HOME/.cache/vbrief-bench}
SRC=
for dir in "$BENCH/city/work" "$BENCH/ab/work"; do
    if [ -f "$dir/vbrief.toml" ]; then SRC=$dir; break; fi
done
[ -n "$SRC" ] || { echo "no generated city under $BENCH: run bench/run.sh first" >&2; exit 2; }

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/inbox"
cp "$SRC/vbrief.toml" "$WORK/"
cp "$SRC"/inbox/01_* "$WORK/inbox/"
bytes=0
for pattern in $FILES; do
    for f in "$SRC"/inbox/$pattern; do
        [ -e "$f" ] || { echo "no file $pattern in $SRC/inbox" >&2; exit 2; }
        cp "$f" "$WORK/inbox/"
        bytes=$((bytes + $(stat -c %s "$f")))
    done
done
export VBRIEF_KEY=${VBRIEF_KEY:-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef}

echo "== machine: $(nproc) cores, $(free -g | awk '/Mem:/ { print $2 }') GiB, $(date -Is)"
echo "== files: 01_* (the communities) and $FILES ($((bytes / 1000000)) MB) from $SRC"
echo "== A: $A"
echo "== B: $B"
for i in $(seq "$RUNS"); do
    for side in a b; do
        bin=$A; [ "$side" = b ] && bin=$B
        rm -rf "$WORK"/warehouse.duckdb* "$WORK/.vbrief-cache" "$WORK/quarantine.csv"
        VBRIEF_TIMINGS=1 /usr/bin/time -f '%e %U' -o "$WORK/time" \
            "$bin" ingest --workdir "$WORK" > /dev/null 2> "$WORK/err"
        wall=$(cut -d' ' -f1 "$WORK/time")
        plan=$(awk '/\] ingest.plan / { print $NF }' "$WORK/err")
        # Every chosen file's load phase (not the ledger's), summed.
        load=$(awk '/\] ingest.load / && $3 !~ /\/01_/ { s += $NF } END { printf "%.3f", s }' "$WORK/err")
        echo "   run $i $side: wall $wall s  plan $plan s  load $load s"
        echo "$wall" >> "$WORK/wall.$side"
        echo "$plan" >> "$WORK/plan.$side"
        echo "$load" >> "$WORK/load.$side"
    done
done
echo
echo "== medians of $RUNS runs"
for side in a b; do
    load=$(median < "$WORK/load.$side")
    printf '   %s  wall %6.2f s  plan %6.3f s  load %6.3f s  %6.1f MB/s\n' "${side^^}" \
        "$(median < "$WORK/wall.$side")" "$(median < "$WORK/plan.$side")" "$load" \
        "$(awk -v b="$bytes" -v s="$load" 'BEGIN { print b / 1e6 / s }')"
done
awk -v a="$(median < "$WORK/load.a")" -v b="$(median < "$WORK/load.b")" \
    'BEGIN { printf "   B / A load: %.2f\n", b / a }'
