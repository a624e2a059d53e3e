#!/usr/bin/env bash
# Installs the Debian packages given as arguments that are not installed yet, with apt-get, as
# root or through sudo. Used by demo/start (build libraries) and tests/run.sh (build libraries
# and the real tools the tests run).
set -euo pipefail

missing=()
for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
        || missing+=("$package")
done
((${#missing[@]})) || exit 0
if [ "$(id -u)" -eq 0 ]; then
    sudo=()
elif command -v sudo >/dev/null 2>&1; then
    sudo=(sudo)
else
    echo "bantop needs ${missing[*]}: install them (apt-get install ${missing[*]}) or run this as root" >&2
    exit 1
fi
echo "installing ${missing[*]}" >&2
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
