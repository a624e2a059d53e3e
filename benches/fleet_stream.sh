#!/usr/bin/env bash
# The fleet's merged view under load: HOSTS real sshd on loopback (default 20), each running a
# stand-in remote bantop (benches/fleet_fake_bantop.py) that streams RATE failures a second
# (default 1000) for SECONDS seconds (default 20); `bantop --hosts` in tmux shows them all.
# Prints whether every failure was counted (the header's totals), how long after the last one
# was sent the view had counted them all, bantop's CPU time and its peak RSS.
# Needs root (sshd), openssh-server, tmux, python3, and a release build (cargo build --release).
set -euo pipefail
cd "$(dirname "$0")/.."
HOSTS=${1:-20}
RATE=${2:-1000}
SECS=${3:-20}
BIN=${BANTOP:-$PWD/target/release/bantop}
FAKE=$PWD/benches/fleet_fake_bantop.py
work=$(mktemp -d /tmp/fb.XXXX)
tmux_socket=bantop-fleet-bench-$$
pids=()
cleanup() {
    tmux -L "$tmux_socket" kill-server 2>/dev/null || true
    for pid in "${pids[@]}"; do pkill -9 -P "$pid" 2>/dev/null || true; kill -9 "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    pkill -9 -f "$work" 2>/dev/null || true
    pkill -9 -f "$FAKE" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
mkdir -p /run/sshd "$work/run"
ssh-keygen -q -t ed25519 -N '' -f "$work/client"
: > "$work/known_hosts"
: > "$work/hosts.toml"
version=$("$BIN" --version | awk '{print $2}')
# Every stand-in starts sending at the same moment, once the view has connected to all.
start_at=$(( $(date +%s) + 10 + HOSTS / 2 ))
for i in $(seq 1 "$HOSTS"); do
    dir=$work/h$i
    mkdir -p "$dir"
    ssh-keygen -q -t ed25519 -N '' -f "$dir/host"
    cp "$work/client.pub" "$dir/authorized_keys"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    cat > "$dir/sshd_config" <<CONF
Port $port
ListenAddress 127.0.0.1
HostKey $dir/host
AuthorizedKeysFile $dir/authorized_keys
PidFile $dir/sshd.pid
StrictModes no
UsePAM no
PasswordAuthentication no
PermitRootLogin prohibit-password
LogLevel ERROR
SetEnv SHLVL=5
CONF
    /usr/sbin/sshd -D -e -f "$dir/sshd_config" 2>"$dir/sshd.log" &
    pids+=($!)
    echo "[127.0.0.1]:$port $(cat "$dir/host.pub")" >> "$work/known_hosts"
    cat >> "$work/hosts.toml" <<HOST
[[host]]
name = "pbx$(printf %02d "$i")"
ssh = "root@127.0.0.1"
port = $port
options = ["-F", "/dev/null", "-i", "$work/client", "-o", "IdentitiesOnly=yes", "-o", "UserKnownHostsFile=$work/known_hosts", "-o", "StrictHostKeyChecking=yes"]
command = ["env", "FAKE_START=$start_at", "FAKE_VERSION=$version", "FAKE_RATE=$RATE", "FAKE_SECONDS=$SECS", "python3", "$FAKE"]

HOST
done
sleep 1
expected=$((HOSTS * RATE * SECS))
tmux -L "$tmux_socket" -f /dev/null new-session -d -s bench -x 160 -y 50 \
    "env XDG_RUNTIME_DIR=$work/run HOME=$work '$BIN' --hosts '$work/hosts.toml' --state-dir '$work/state'; sleep 60"
sleep 0.5
pid=$(pgrep -f "$BIN --hosts $work/hosts.toml" | head -1)
ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
hz=$(getconf CLK_TCK)
start_ticks=$(ticks)
start=$start_at
counted() {
    tmux -L "$tmux_socket" capture-pane -p -t bench | python3 -c '
import re, sys
total = 0
for line in sys.stdin:
    m = re.match(r"^ pbx\d+ +fail (\d+)", line)
    if m: total += int(m.group(1))
    m = re.search(r"more hosts.*: fail (\d+)", line)
    if m: total += int(m.group(1))
print(total)'
}
seen=0
deadline=$(( $(date +%s) + SECS + 120 ))
while [ "$seen" -lt "$expected" ] && [ "$(date +%s)" -lt "$deadline" ]; do
    sleep 0.5
    seen=$(counted)
    [ -n "${VERBOSE:-}" ] && echo "$(date +%T) $seen" >&2
done
end=$(date +%s.%N)
end_ticks=$(ticks)
rss=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
[ -n "${VERBOSE:-}" ] && tmux -L "$tmux_socket" capture-pane -p -t bench | head -12 >&2
# Idle afterwards: the streams stay open with nothing to send.
idle_start=$(ticks); sleep 10; idle_end=$(ticks)
python3 - "$expected" "$seen" "$start" "$end" "$start_ticks" "$end_ticks" "$hz" "$rss" "$SECS" "$idle_start" "$idle_end" "$HOSTS" "$RATE" <<'PY'
import sys
expected, seen, start, end, t0, t1, hz, rss, secs, i0, i1, hosts, rate = sys.argv[1:]
wall = float(end) - float(start)
cpu = (int(t1) - int(t0)) / int(hz)
idle = (int(i1) - int(i0)) / int(hz)
print(f"hosts {hosts}, {rate} failures/s each for {secs} s: {seen} of {expected} counted")
print(f"all counted {wall - int(secs):.1f} s after the last was sent")
print(f"bantop CPU {cpu:.1f} s from its start to then ({100 * cpu / wall:.0f}% of one core over the {wall:.0f} s of sending); idle after: {100 * idle / 10:.1f}%")
print(f"bantop peak RSS {int(rss) // 1024} MB")
PY
