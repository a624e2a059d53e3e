#!/usr/bin/env bash
# Side by side on one generated log: `bantop regex` and `fail2ban-regex` with Debian's stock
# `asterisk` filter, and `grep -cE` as the floor. Prints the times, the ratios and both match
# counts (they must be equal). bantop runs with its default threads (one per core) and with
# `--jobs 1`; the ratios are for the default. bantop and grep take well under a second, so on
# a shared machine one run says little: their times are the best of 5 runs (fail2ban-regex runs
# once). Needs fail2ban (apt-get install fail2ban) and a release build.
# Usage: benches/regex_vs_fail2ban.sh [LINES]   (default 1,000,000)
set -euo pipefail
cd "$(dirname "$0")/.."
lines=${1:-1000000}
log=$(mktemp --suffix=.log)
trap 'rm -f "$log"' EXIT
python3 benches/asterisk_log.py "$log" "$lines"
cargo build --release --quiet
seconds() { local start end; start=$(date +%s.%N); "$@" >/tmp/bantop-bench.out 2>/dev/null || true; end=$(date +%s.%N); echo "$end - $start" | bc; }
best_of_5() { local best t; best=$(seconds "$@"); for _ in 2 3 4 5; do t=$(seconds "$@"); best=$(echo "if ($t < $best) $t else $best" | bc); done; echo "$best"; }
t_one=$(best_of_5 ./target/release/bantop --fail2ban-dir /etc/fail2ban regex --jobs 1 "$log" asterisk)
n_one=$(grep -oP 'Lines: \d+ lines, \d+ ignored, \K\d+' /tmp/bantop-bench.out)
t_bantop=$(best_of_5 ./target/release/bantop --fail2ban-dir /etc/fail2ban regex "$log" asterisk)
n_bantop=$(grep -oP 'Lines: \d+ lines, \d+ ignored, \K\d+' /tmp/bantop-bench.out)
t_f2b=$(seconds fail2ban-regex --no-check-all "$log" asterisk)
n_f2b=$(grep -oP 'Lines: \d+ lines, \d+ ignored, \K\d+' /tmp/bantop-bench.out)
t_grep=$(best_of_5 grep -cE 'failed for|SecurityEvent' "$log")
echo "$lines lines on $(nproc) cores: bantop regex ${t_bantop}s ($n_bantop matched; --jobs 1: ${t_one}s, $n_one matched), fail2ban-regex ${t_f2b}s ($n_f2b matched), grep -cE ${t_grep}s"
echo "fail2ban-regex / bantop: $(echo "scale=1; $t_f2b / $t_bantop" | bc)x faster (target 100x); bantop / grep: $(echo "scale=1; $t_bantop / $t_grep" | bc)x (target within 2x)"
echo "fail2ban-regex / bantop --jobs 1: $(echo "scale=1; $t_f2b / $t_one" | bc)x"
[ "$n_bantop" = "$n_f2b" ] && [ "$n_one" = "$n_f2b" ] || { echo "MATCH COUNTS DIFFER"; exit 1; }
