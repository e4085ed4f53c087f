# Shared by the benchmark scripts (sourced): timing a command and taking medians.

# timed LOG CMD...: runs CMD under /usr/bin/time -v, its output in LOG (LOG.err, LOG.time);
# prints "wall user rss_kib". Stops the script when CMD fails.
timed() {
    local log=$1; shift
    /usr/bin/time -v -o "$log.time" "$@" > "$log" 2> "$log.err" || {
        echo "failed: $* (see $log.err)" >&2; tail -5 "$log.err" >&2; exit 1; }
    awk -F': ' '
        /Elapsed \(wall clock\)/ { n = split($2, p, ":"); w = 0; for (i = 1; i <= n; i++) w = w * 60 + p[i] }
        /User time/ { u = $2 }
        /Maximum resident/ { m = $2 }
        END { printf "%.2f %.2f %d\n", w, u, m }' "$log.time"
}

# median: the median of the numbers on stdin, one per line.
median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2) }'; }

# vbrief_binary ROOT: sets VBRIEF to $VBRIEF_BIN when given (a binary built otherwise), else
# builds the release binary (in $CARGO_TARGET_DIR, default ~/.cache/vbrief-target).
vbrief_binary() {
    if [ -n "${VBRIEF_BIN:-}" ]; then
        VBRIEF=$VBRIEF_BIN
        return
    fi
    export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/vbrief-target}
    echo "== building vbrief (release)"
    (cd "$1" && cargo build --release --locked --quiet)
    VBRIEF=$CARGO_TARGET_DIR/release/vbrief
}

# same_figures REF DIR...: every CSV under each DIR equals REF's, cell by cell (numbers to
# 1e-9 relative); prints how many files were compared, fails on the first difference.
same_figures() {
    python3 - "$@" <<'PY'
import csv, pathlib, sys
def cells(d):
    out = {}
    for p in sorted(pathlib.Path(d).rglob("*.csv")):
        with open(p, encoding="utf-8-sig") as f:
            out[str(p.relative_to(d))] = list(csv.reader(f))
    return out
def same(a, b):
    if a == b: return True
    try: x, y = float(a), float(b)
    except ValueError: return False
    return abs(x - y) <= 1e-9 * max(abs(x), abs(y))
ref = cells(sys.argv[1])
for other in sys.argv[2:]:
    o = cells(other)
    assert o.keys() == ref.keys(), (other, o.keys() ^ ref.keys())
    for name, rows in ref.items():
        assert len(rows) == len(o[name]), (other, name)
        for r, s in zip(rows, o[name]):
            assert len(r) == len(s) and all(same(a, b) for a, b in zip(r, s)), (other, name, r, s)
print(f"   identical figures: {len(ref)} CSV files, {len(sys.argv) - 1} reports")
PY
}
