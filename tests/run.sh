#!/usr/bin/env bash
# Runs bantop's whole test suite on Debian/Ubuntu. The tests use real tools: tmux (the TUI in a
# real terminal), fail2ban (the reference matcher and real servers) and systemd-journal-remote
# (real journal files). Missing ones are
# installed with apt-get, as root or through sudo. Extra arguments go to `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v tmux >/dev/null 2>&1 || missing+=(tmux)
command -v fail2ban-regex >/dev/null 2>&1 || missing+=(fail2ban)
[ -x /lib/systemd/systemd-journal-remote ] || [ -x /usr/lib/systemd/systemd-journal-remote ] || missing+=(systemd-journal-remote)
if ((${#missing[@]})); then
    if [ "$(id -u)" -eq 0 ]; then
        sudo=()
    elif command -v sudo >/dev/null 2>&1; then
        sudo=(sudo)
    else
        echo "tests/run.sh: the tests need ${missing[*]}; install them (apt-get install ${missing[*]}) or run as root" >&2
        exit 1
    fi
    echo "tests/run.sh: installing ${missing[*]}" >&2
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The benchmarks once each (criterion's test mode), then every test; the last line totals them.
cargo test --benches "$@"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
cargo test --lib --bins --tests "$@" 2>&1 | tee "$log"
awk '/^test result:/ { passed += $4; failed += $6 } END { printf "tests: %d passed, %d failed\n", passed, failed }' "$log"
