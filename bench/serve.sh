#!/usr/bin/env bash
# The web app's page times: starts `vbrief serve` on a scratch folder, signs in, uploads the
# exports of DATA (default sample-data/, with its vbrief.toml) through the upload form, times
# the overview and quality pages while the import runs (is the page responsive?), then times
# each page N times with curl and prints the median and the 90th percentile, and the server's
# peak RSS.
#
#   bash bench/serve.sh [N]                 # the sample data, each page N times (default 50)
#   DATA=~/.cache/vbrief-bench/city/work/inbox bash bench/serve.sh   # the city of bench/run.sh
#   VBRIEF_TIMINGS=1 …   # also the server's slowest phases during the import (snapshot, checks.rows…)
#   VBRIEF_BIN=path/to/vbrief …   # a binary built otherwise; else the release build is made
#                                 # in $CARGO_TARGET_DIR (default ~/.cache/vbrief-target)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
vbrief_binary "$(pwd)"
bin=$VBRIEF
n=${1:-50}
data=${DATA:-sample-data}
dir=$(mktemp -d)
jar="$dir/cookies"
mkdir -p "$dir/work"
[ -f "$data/vbrief.toml" ] && cp "$data/vbrief.toml" "$dir/work/"
[ -f "$data/../vbrief.toml" ] && cp "$data/../vbrief.toml" "$dir/work/"
"$bin" serve --workdir "$dir/work" --bind 127.0.0.1:0 > "$dir/log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 50); do grep -q 'token=' "$dir/log" && break; sleep 0.1; done
login=$(grep -o 'http://[^ ]*token=[0-9a-f]*' "$dir/log")
base=${login%%/login*}
curl -s -o /dev/null -c "$jar" "$login"
csrf=$(curl -s -b "$jar" "$base/upload" | grep -o 'name="csrf" value="[0-9a-f]*"' | head -1 | grep -o '[0-9a-f]\{64\}')
files=()
for f in "$data"/*.xlsx "$data"/*.xls "$data"/*.csv; do [ -e "$f" ] && files+=(-F "files=@$f"); done
start=$(date +%s.%N)
job=$(curl -s -o /dev/null -w '%{redirect_url}' -b "$jar" -H "Origin: $base" -F "csrf=$csrf" "${files[@]}" "$base/upload")
uploaded=$(date +%s.%N)
during=()
until curl -s -b "$jar" "$job" | grep -q 'data-finished="true"'; do
  during+=("$(curl -s -o /dev/null -b "$jar" -w '%{time_total}' "$base/")" "$(curl -s -o /dev/null -b "$jar" -w '%{time_total}' "$base/quality")")
  sleep 0.5
done
end=$(date +%s.%N)
echo "upload of $data through the page: $(echo "$uploaded - $start" | bc) s; import after it: $(echo "$end - $uploaded" | bc) s"
if [ ${#during[@]} -gt 0 ]; then
  printf '%s\n' "${during[@]}" | sort -n | awk '{ t[NR] = $1 } END {
    printf "pages during the import: median %.1f ms, max %.1f ms (%d requests)\n", t[int((NR + 1) / 2)] * 1000, t[NR] * 1000, NR }'
fi
for page in / /quality /briefing "/community?q=%E7%A4%BE%E5%8C%BA" /settings; do
  for _ in $(seq "$n"); do curl -s -o /dev/null -b "$jar" -w '%{time_total}\n' "$base$page"; done |
    sort -n | awk -v page="$page" '{ t[NR] = $1 } END {
      printf "%-36s median %6.1f ms   p90 %6.1f ms   (%d requests)\n", page, t[int((NR + 1) / 2)] * 1000, t[int(NR * 0.9)] * 1000, NR }'
done
echo "server peak RSS: $(grep VmHWM /proc/$pid/status | awk '{print $2, $3}')"
if [ -n "${VBRIEF_TIMINGS:-}" ]; then
  echo "the server's slowest phases (VBRIEF_TIMINGS):"
  grep '^\[timing\]' "$dir/log" | awk '{ print $NF "\t" $0 }' | sort -g -r | cut -f2- | head -12 | sed 's/^/   /' || true
fi
