#!/usr/bin/env bash
# Builds the Debian package target/debian/bantop_<version>-1_<arch>.deb: the release binary,
# the man pages and shell completions written from the clap definitions, and the assets listed
# under [package.metadata.deb] in Cargo.toml. Installs cargo-deb (cargo install --locked, about
# a minute and a half on 2 cores) and the build libraries when they are missing. Extra
# arguments go to cargo build (for example -j1). Prints the package's path last.
set -euo pipefail
cd "$(dirname "$0")/.."

tests/install-packages.sh pkg-config libnftnl-dev libmnl-dev dpkg-dev
if ! cargo deb --version >/dev/null 2>&1; then
    cargo install cargo-deb --locked
fi

cargo build --release --bins "$@"
rm -rf target/package-files
target/release/bantop-package-files target/package-files >/dev/null
# cargo-deb prints the path of the package it wrote.
cargo deb --no-build
