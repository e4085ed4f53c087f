#!/usr/bin/env bash
# The screening of padded hours on a generated city (2.0 shape) with patterns planted at a rate
# (`vbrief gen --plant-screening`): recall and false positives per rule against the planted
# ground truth (truth/screening.csv), and the screening's time on top of a report (median of
# runs, the report measured in the same run).
#
#   bench/screening.sh                    # 300,000 volunteers, 5,000,000 records, rate 0.01
#   bench/screening.sh --small            # the sample's size (30,000 / 70,000), for a quick look
#   bench/screening.sh --runs 5
#
# Data sets are generated once into ${VBRIEF_BENCH_DIR:-$HOME/.cache/vbrief-bench} and reused.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUNS=3
VOLUNTEERS=300000
RECORDS=5000000
RATE=0.01
NAME=screening-city
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) RUNS=$2; shift 2 ;;
        --small) VOLUNTEERS=30000; RECORDS=70000; NAME=screening-small; shift ;;
        --rate) RATE=$2; shift 2 ;;
        -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
        *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done

export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/vbrief-target}
BENCH=${VBRIEF_BENCH_DIR:-$HOME/.cache/vbrief-bench}
mkdir -p "$BENCH"
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
. "$ROOT/bench/lib.sh"   # timed, median, vbrief_binary
vbrief_binary "$ROOT"

dir=$BENCH/$NAME
stamp="$VOLUNTEERS $RECORDS $RATE $(git -C "$ROOT" log -1 --format=%h -- sample-gen)"
if [ ! -f "$dir/stamp" ] || [ "$(cat "$dir/stamp")" != "$stamp" ]; then
    rm -rf "$dir"
    mkdir -p "$dir/work"
    echo "== generating $NAME ($VOLUNTEERS volunteers, $RECORDS records, 2.0 shape, planted at $RATE)"
    "$VBRIEF" gen --out "$dir/work/inbox" --truth "$dir/truth" --shape 2.0 \
        --volunteers "$VOLUNTEERS" --records "$RECORDS" --plant-screening "$RATE" > /dev/null
    mv "$dir/work/inbox/vbrief.toml" "$dir/work/"
    echo "$stamp" > "$dir/stamp"
fi
work=$dir/work results=$dir/results
mkdir -p "$results"
echo "== machine: $(nproc) cores, $(free -g | awk '/Mem:/ { print $2 }') GiB, $(date -I), $(git -C "$ROOT" log -1 --format=%h)"
rm -rf "$work/warehouse.duckdb" "$work/warehouse.duckdb.wal" "$work/vbrief.key" "$work/out" "$work/.vbrief-cache"
t=$(timed "$results/ingest.log" "$VBRIEF" ingest --workdir "$work")
echo "   ingest: wall ${t%% *} s"
: > "$results/report.txt"; : > "$results/screen.txt"
for i in $(seq 1 "$RUNS"); do
    # Both without the result cache: what a changed warehouse costs.
    rm -rf "$work/.vbrief-cache"
    t=$(timed "$results/report$i.log" "$VBRIEF" report --workdir "$work" --period 2025 --out "$work/out/report")
    echo "$t" >> "$results/report.txt"
    rm -rf "$work/.vbrief-cache"
    t=$(timed "$results/screen$i.json" "$VBRIEF" screen --workdir "$work" --period 2025 --json)
    echo "$t" >> "$results/screen.txt"
    echo "   run $i: report $(head -c 6 <<< "$(tail -1 "$results/report.txt")") s, screen ${t%% *} s"
done
r=$(cut -d' ' -f1 "$results/report.txt" | median)
s=$(cut -d' ' -f1 "$results/screen.txt" | median)
rss=$(cut -d' ' -f3 "$results/screen.txt" | median)
echo "== median of $RUNS: report $r s, screen $s s (peak $((rss / 1024)) MiB), screen / report $(awk -v a="$s" -v b="$r" 'BEGIN { printf "%.2f", a / b }')"

python3 - "$results/screen1.json" "$dir/truth/screening.csv" <<'PY'
import csv, json, sys
from collections import defaultdict

listing = json.load(open(sys.argv[1], encoding="utf-8"))
truth = list(csv.DictReader(open(sys.argv[2], encoding="utf-8")))
names = {c["community_id"]: (c["district"], c["street"], c["community"]) for c in listing["communities"]}
flagged = defaultdict(set)
windows = set()
for r in listing["records"]:
    flagged[r["rule"]].add(r["record_no"])
    if r["rule"] == "spikes":
        windows.add(names[r["community_id"]] + (r["served_on"][:7],))
planted = defaultdict(set)
planted_windows = set()
for t in truth:
    if t["rule"] == "spikes_window":
        planted_windows.add((t["district"], t["street"], t["community"], t["month"]))
    else:
        planted[t["rule"]].add(t["record_no"])
print("   rule                 planted   found  recall   listed, not planted")
for rule in ["long_days", "streaks", "before_registration", "overlaps", "identical_batches",
             "late_entry", "round_repeats"]:
    p, f = planted[rule], flagged[rule]
    found = len(p & f)
    print(f"   {rule:<20} {len(p):>7} {found:>7} {found / max(len(p), 1):>7.1%} {len(f - p):>10}")
found = len(planted_windows & windows)
print(f"   {'spikes (windows)':<20} {len(planted_windows):>7} {found:>7} "
      f"{found / max(len(planted_windows), 1):>7.1%} {len(windows - planted_windows):>10}")
print(f"   spikes (records listed: {len(flagged['spikes'])}, of them planted {len(planted['spikes'] & flagged['spikes'])})")
PY
