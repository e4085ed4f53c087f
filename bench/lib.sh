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
