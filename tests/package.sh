#!/usr/bin/env bash
# The Debian package end to end, as root on Debian: builds it (packaging/build-deb.sh), checks
# it with lintian (no error; warnings are listed), installs it with apt-get, runs the installed
# bantop (--version, check --json), finds its man page and bash completions, removes it and
# checks that nothing of it is left but its state directory /var/lib/bantop. Fails on any step.
# Run by tests/run.sh as root unless BANTOP_PACKAGE_TEST=0; extra arguments go to cargo build.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
    echo "tests/package.sh installs a package: run it as root" >&2
    exit 1
fi
step() { echo "package: $*" >&2; }
start=$SECONDS

tests/install-packages.sh lintian man-db
step "build"
deb=$(packaging/build-deb.sh "$@" | tail -n 1)
[ -f "$deb" ] || { echo "no package at '$deb'" >&2; exit 1; }

step "lintian $deb"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The one warning expected, the changelog closing no Debian bug (bantop is not in Debian), is
# still listed: every warning is.
status=0
lintian --fail-on error "$deb" >"$work/lintian" 2>&1 || status=$?
grep -v 'running with root privileges' "$work/lintian" >&2 || true
if [ "$status" -ne 0 ] || grep -q '^E: ' "$work/lintian"; then
    echo "lintian reports errors (exit status $status)" >&2
    exit 1
fi
echo "lintian: no error, $(grep -c '^W: ' "$work/lintian" || true) warning(s)" >&2

step "install"
if dpkg-query -W -f='${Status}' bantop 2>/dev/null | grep -q "install ok installed"; then
    echo "bantop is installed already: remove it first (apt-get remove bantop)" >&2
    exit 1
fi
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$(realpath "$deb")" >/dev/null

step "run"
/usr/bin/bantop --version | grep -E '^bantop [0-9]+\.[0-9]+\.[0-9]+ \(git ([0-9a-f]+|unknown)\)$'
man -w bantop
man -w bantop-acl-check
status=0
/usr/bin/bantop check --json >"$work/check.json" || status=$?
[ "$status" -le 1 ] || { echo "bantop check exited $status" >&2; exit 1; }
python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$work/check.json"
[ "$(stat -c %a /var/lib/bantop)" = 750 ] || { echo "/var/lib/bantop is not mode 0750" >&2; exit 1; }

step "bash completions"
completion=/usr/share/bash-completion/completions/bantop
for subcommand in $(/usr/bin/bantop --help | awk '/^Commands:/ {on=1; next} /^$/ {on=0} on {print $1}'); do
    [ "$subcommand" = help ] && continue
    grep -qw -- "$subcommand" "$completion" || { echo "$completion lacks $subcommand" >&2; exit 1; }
done
bash -c "source $completion && complete -p bantop" >/dev/null

step "remove"
files=$(dpkg-query -L bantop | grep -v '^/\.$')
DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq bantop >/dev/null
left=()
for path in $files; do
    # Directories shared with other packages (/usr/share/man/man1, ...) stay; bantop's own go.
    if [ ! -d "$path" ] || [[ "$path" == */bantop || "$path" == */bantop/* ]]; then
        [ -e "$path" ] && left+=("$path")
    fi
done
[ -e /etc/bantop ] && left+=(/etc/bantop)
if ((${#left[@]})); then
    echo "left after purge: ${left[*]}" >&2
    exit 1
fi
echo "package: built, checked, installed, run and removed in $((SECONDS - start)) s" >&2
