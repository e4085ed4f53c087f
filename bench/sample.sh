#!/usr/bin/env bash
# Times `vbrief ingest` of the bundled sample data into a fresh working folder, then
# `vbrief report` for the last full year on it, N runs (default 3); prints each run and the
# medians of wall time and peak RSS.
# Usage: bench/sample.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-3}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/vbrief-target}"
cargo build -q --bin vbrief
bin="$CARGO_TARGET_DIR/debug/vbrief"
command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 1; }

rows=$(find sample-data -name '*.csv' -o -name '*.xlsx' | wc -l)
bytes=$(du -cb sample-data/*.csv sample-data/*.xlsx | tail -1 | cut -f1)
echo "sample-data: $rows files, $bytes bytes; machine: $(nproc) cores, $(free -g | awk '/Mem/{print $2}') GiB; $(date -u +%F)"
walls=(); rss=(); report_walls=(); report_rss=()
for i in $(seq "$runs"); do
  dir=$(mktemp -d)
  "$bin" init "$dir" >/dev/null
  cp sample-data/*.csv sample-data/*.xlsx "$dir/inbox/"
  cp sample-data/vbrief.toml "$dir/"
  out=$( { /usr/bin/time -f "%e %M" "$bin" ingest --workdir "$dir" >/dev/null; } 2>&1 | tail -1)
  walls+=("${out% *}"); rss+=("${out#* }")
  rep=$( { /usr/bin/time -f "%e %M" "$bin" report --workdir "$dir" >/dev/null; } 2>&1 | tail -1)
  report_walls+=("${rep% *}"); report_rss+=("${rep#* }")
  echo "run $i: ingest ${out% *} s (peak RSS $(( ${out#* } / 1024 )) MiB); report ${rep% *} s (peak RSS $(( ${rep#* } / 1024 )) MiB)"
  rm -rf "$dir"
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
echo "median ingest: $(median "${walls[@]}") s wall, $(( $(median "${rss[@]}" | cut -d. -f1) / 1024 )) MiB peak RSS"
echo "median report: $(median "${report_walls[@]}") s wall, $(( $(median "${report_rss[@]}" | cut -d. -f1) / 1024 )) MiB peak RSS"
