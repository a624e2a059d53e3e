#!/usr/bin/env bash
# `bantop jails --json` against `fail2ban-client -d` on Debian's stock configuration with every
# jail enabled (91 jails): both read the same files; each time is the best of 10 runs, taken
# in turn on a shared machine. Needs fail2ban (apt-get install fail2ban) and a release build.
# Usage: benches/jails_vs_fail2ban_client.sh
set -euo pipefail
cd "$(dirname "$0")/.."
conf=$(mktemp -d)
trap 'rm -rf "$conf"' EXIT
cp -r /etc/fail2ban/. "$conf"
printf '[DEFAULT]\nenabled = true\n' > "$conf/jail.local"
cargo build --release --quiet
seconds() { local start end; start=$(date +%s.%N); "$@" >/dev/null 2>&1 || true; end=$(date +%s.%N); echo "$end - $start" | bc; }
best_b=9; best_f=9
for _ in $(seq 10); do
    t=$(seconds ./target/release/bantop --fail2ban-dir "$conf" jails --json)
    best_b=$(echo "if ($t < $best_b) $t else $best_b" | bc)
    t=$(seconds fail2ban-client -c "$conf" -d)
    best_f=$(echo "if ($t < $best_f) $t else $best_f" | bc)
done
jails=$(./target/release/bantop --fail2ban-dir "$conf" jails --json | grep -c '"enabled": true')
echo "$jails jails: bantop jails --json ${best_b}s (target under 0.05 s), fail2ban-client -d ${best_f}s: $(echo "scale=1; $best_f / $best_b" | bc)x"
