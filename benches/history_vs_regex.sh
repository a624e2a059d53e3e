#!/usr/bin/env bash
# History at the batch engine's speed, measured in one run on one machine:
#  1. `bantop events --json --from-start --no-follow` against `bantop regex --json` on the same
#     1M-line Asterisk log and the stock `asterisk` filter (the target: within 2x), with the
#     failures of both compared (they must be the same multiset of address and time);
#  2. `bantop inspect ADDR --json` over DAYS days of that log as logrotate leaves it (the
#     current file, `.1`, then `.2.gz` ... gzip'd), one day a file: time and peak RSS.
# Times are the best of 3 (these machines are noisy); peak RSS from /usr/bin/time.
# Needs fail2ban (its filter.d) and a release build.
# Usage: benches/history_vs_regex.sh [LINES_PER_DAY] [DAYS]   (default 1,000,000 and 30)
set -euo pipefail
cd "$(dirname "$0")/.."
lines=${1:-1000000}
days=${2:-30}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo build --release --quiet
bantop=$PWD/target/release/bantop
python3 benches/asterisk_log.py "$work/day.log" "$lines"
mkdir -p "$work/f2b"
cp -r /etc/fail2ban/. "$work/f2b/"
rm -f "$work/f2b/jail.d/"*
cat > "$work/f2b/jail.local" <<JAILS
[DEFAULT]
enabled = false
[asterisk]
enabled = true
logpath = $work/asterisk.log
maxretry = 5
findtime = 10m
bantime = 1h
JAILS
cp "$work/day.log" "$work/asterisk.log"
best_of_3() {
    local best=999999 start end t
    for _ in 1 2 3; do
        start=$(date +%s.%N); "$@" >"$work/out" 2>/dev/null; end=$(date +%s.%N)
        t=$(echo "$end - $start" | bc); best=$(echo "if ($t < $best) $t else $best" | bc)
    done
    echo "$best"
}
t_events=$(best_of_3 "$bantop" --fail2ban-dir "$work/f2b" events --json --from-start --no-follow)
python3 - "$work/out" "$work/events.keys" <<'PY'
import json, sys
with open(sys.argv[2], "w") as out:
    for line in open(sys.argv[1]):
        event = json.loads(line)
        if event["type"] == "failure":
            out.write(f"{event['ip']} {event['time']}\n")
PY
t_regex=$(best_of_3 "$bantop" --fail2ban-dir "$work/f2b" regex --json "$work/asterisk.log" asterisk)
python3 - "$work/out" "$work/regex.keys" <<'PY'
import json, sys
with open(sys.argv[2], "w") as out:
    for line in open(sys.argv[1]):
        found = json.loads(line)
        out.write(f"{found['host']} {found['time']}\n")
PY
sort -o "$work/events.keys" "$work/events.keys"; sort -o "$work/regex.keys" "$work/regex.keys"
same=$(cmp -s "$work/events.keys" "$work/regex.keys" && echo "same" || echo "DIFFERENT")
echo "$lines lines on $(nproc) cores: events --json --from-start --no-follow ${t_events}s, regex --json ${t_regex}s: $(echo "scale=2; $t_events / $t_regex" | bc)x (target within 2x); failures: $(wc -l <"$work/events.keys") and $(wc -l <"$work/regex.keys"), $same"

# DAYS days as logrotate leaves them, newest is the current file; one address appears in each.
address=203.0.113.250
for ((day = 0; day < days; day++)); do
    date=$(date -u -d "2026-01-19 - $day days" +%Y-%m-%d)
    case $day in 0) name=asterisk.log ;; 1) name=asterisk.log.1 ;; *) name=asterisk.log.$day ;; esac
    { sed "s/2026-01-19/$date/g" "$work/day.log"
      echo "[$date 23:59:59] NOTICE[1] res_pjsip/pjsip_distributor.c: Request 'REGISTER' from '\"1001\" <sip:1001@x>' failed for '$address:5060' (callid: bench) - Failed to authenticate"
    } >"$work/$name"
    if ((day >= 2)); then gzip -1 -f "$work/$name"; fi
done
total=$((days * (lines + 1)))
start=$(date +%s.%N)
/usr/bin/time -f "%M" -o "$work/rss" "$bantop" --fail2ban-dir "$work/f2b" --state-dir "$work/state" inspect "$address" --json >"$work/dossier.json" 2>/dev/null
end=$(date +%s.%N)
found=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['failures'])" "$work/dossier.json")
echo "inspect over $days days ($total lines, $((days - 2)) of them gzip'd): $(echo "$end - $start" | bc)s, peak RSS $(($(cat "$work/rss") / 1024)) MB, $found failures of $address found (expected $days)"
