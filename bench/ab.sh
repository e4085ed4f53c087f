#!/usr/bin/env bash
# Same-run A/B: two vbrief binaries (say, the last release and this change) on the same
# generated city, runs interleaved (A B A B …) so that the machine's drift hits both alike;
# medians of wall time and peak RSS of `vbrief run` from nothing, the ratio B / A, and every
# output file compared (xlsx and docx by their contents but for the creation time, PDFs by
# their text).
#
#   bench/ab.sh OLD_BIN NEW_BIN              # 3 runs each
#   bench/ab.sh OLD_BIN NEW_BIN --runs 5
#
# The city (300,000 volunteers, 5,000,000 records) is generated once by OLD_BIN into
# ${VBRIEF_BENCH_DIR:-$HOME/.cache/vbrief-bench}/ab and reused. Both runs use one key
# (VBRIEF_KEY), so that pseudonymized outputs can be compared. Needs /usr/bin/time, unzip and
# pdftotext (poppler-utils).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
[ $# -ge 2 ] || { sed -n '2,14p' "$0"; exit 2; }
A=$(realpath "$1"); B=$(realpath "$2"); shift 2
RUNS=3
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) RUNS=$2; shift 2 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
BENCH=${VBRIEF_BENCH_DIR:-$HOME/.cache/vbrief-bench}/ab
. "$ROOT/bench/lib.sh"
export VBRIEF_KEY=${VBRIEF_KEY:-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef}

if [ ! -f "$BENCH/work/vbrief.toml" ]; then
    echo "== generating the city with $A"
    rm -rf "$BENCH"; mkdir -p "$BENCH/work"
    "$A" gen --out "$BENCH/work/inbox" --truth "$BENCH/truth" --volunteers 300000 --records 5000000
    mv "$BENCH/work/inbox/vbrief.toml" "$BENCH/work/"
fi

echo "== machine: $(nproc) cores, $(free -g | awk '/Mem:/ { print $2 }') GiB, $(date -Is)"
echo "== A: $A"
echo "== B: $B"
results=$BENCH/results
rm -rf "$results"; mkdir -p "$results"
for side in a b; do
    rm -rf "$BENCH/$side"; mkdir -p "$BENCH/$side"
    ln -s "$BENCH/work/inbox" "$BENCH/$side/inbox"
    cp "$BENCH/work/vbrief.toml" "$BENCH/$side/"
done
for i in $(seq 1 "$RUNS"); do
    for side in a b; do
        bin=$A; [ "$side" = b ] && bin=$B
        work=$BENCH/$side
        rm -rf "$work/warehouse.duckdb" "$work/warehouse.duckdb.wal" "$work/out" "$work/.vbrief-cache"
        sync
        t=$(timed "$results/$side$i.log" "$bin" run --workdir "$work" --period 2025 \
            --date 2026-01-15 --out "$work/out")
        echo "$t" >> "$results/$side.txt"
        echo "   run $i $side: wall ${t%% *} s  (user, peak KiB: ${t#* })"
    done
done
a_wall=$(cut -d' ' -f1 "$results/a.txt" | median); b_wall=$(cut -d' ' -f1 "$results/b.txt" | median)
a_rss=$(cut -d' ' -f3 "$results/a.txt" | median); b_rss=$(cut -d' ' -f3 "$results/b.txt" | median)
echo
echo "== medians of $RUNS runs"
printf '   A  wall %7.2f s  peak %6d MiB\n' "$a_wall" $((a_rss / 1024))
printf '   B  wall %7.2f s  peak %6d MiB\n' "$b_wall" $((b_rss / 1024))
awk -v a="$a_wall" -v b="$b_wall" 'BEGIN { printf "   B / A wall: %.2f\n", b / a }'

echo "== outputs of the last run"
same=0; differ=0
cd "$BENCH"
while IFS= read -r rel; do
    if [ ! -e "b/out/$rel" ]; then echo "   only in A: $rel"; differ=$((differ + 1)); continue; fi
    if cmp -s "a/out/$rel" "b/out/$rel"; then same=$((same + 1)); continue; fi
    case "$rel" in
        *.xlsx|*.docx)
            ua=$(mktemp -d); ub=$(mktemp -d)
            (cd "$ua" && unzip -q "$BENCH/a/out/$rel"); (cd "$ub" && unzip -q "$BENCH/b/out/$rel")
            if diff -rq -x core.xml "$ua" "$ub" > /dev/null; then same=$((same + 1))
            else echo "   differs: $rel"; differ=$((differ + 1)); fi
            rm -rf "$ua" "$ub" ;;
        *.pdf)
            if cmp -s <(pdftotext "a/out/$rel" -) <(pdftotext "b/out/$rel" -); then same=$((same + 1))
            else echo "   differs: $rel"; differ=$((differ + 1)); fi ;;
        *) echo "   differs: $rel"; differ=$((differ + 1)) ;;
    esac
done < <(cd a/out && find . -type f | sed 's|^\./||' | sort)
(cd b/out && find . -type f | sed 's|^\./||' | sort) | while IFS= read -r rel; do
    [ -e "a/out/$rel" ] || echo "   only in B: $rel"
done
echo "   $same files the same, $differ differ"
