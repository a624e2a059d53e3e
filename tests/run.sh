#!/usr/bin/env bash
# Runs bantop's whole test suite on Debian/Ubuntu. The system packages it needs are installed
# with apt-get (as root or through sudo) when missing. Extra arguments go to `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."

# Build libraries (nftables over netlink), then what the tests run for real: tmux (the TUI in
# a real terminal), fail2ban (the reference matcher and real servers), systemd-journal-remote
# (real journal files), nftables, iptables (iptables-nft, as Wazo's actions use it) and
# iproute2 in network namespaces, python3 (a client socket bound to a banned address),
# tor-geoipdb (real GeoIP files), openssh (real sshd on loopback for the fleet).
tests/install-packages.sh pkg-config libnftnl-dev libmnl-dev tmux fail2ban \
    systemd-journal-remote nftables iptables iproute2 util-linux python3 tor-geoipdb \
    openssh-client openssh-server

# The benchmarks once each (criterion's test mode), then every test; the last line totals them.
cargo test --benches "$@"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
cargo test --lib --bins --tests "$@" 2>&1 | tee "$log"
# The Debian package end to end (build, lintian, install, run, purge), before the totals: as
# root only, since it installs it; BANTOP_PACKAGE_TEST=0 skips it.
if [ "$(id -u)" -eq 0 ] && [ "${BANTOP_PACKAGE_TEST:-1}" != 0 ]; then
    tests/package.sh
fi
awk '/^test result:/ { passed += $4; failed += $6 } END { printf "tests: %d passed, %d failed\n", passed, failed }' "$log"
