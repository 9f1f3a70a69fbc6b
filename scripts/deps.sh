#!/bin/sh
# Install the Debian packages pickaxe builds and tests with, when missing.
# As root it runs apt-get itself; otherwise it prints the exact command and
# fails, so nothing is half-installed behind the user's back.
# Usage: scripts/deps.sh [build|test|demo]
set -eu
what=${1:-build}
pkgs="build-essential pkg-config libssl-dev libzmq3-dev libczmq-dev \
libhwloc-dev libcriterion-dev libsecp256k1-dev libmicrohttpd-dev \
libjansson-dev libsqlite3-dev"
case "$what" in
# The browser tests drive Debian's Chromium with playwright-core from npm;
# the fuzz harnesses need clang and its libFuzzer/sanitizer runtimes.
test) pkgs="$pkgs python3 chromium nodejs clang libclang-rt-dev clang-format" ;;
demo) pkgs="$pkgs python3" ;;
esac
# npm may come with nodejs (NodeSource's package bundles it) or separately
# (Debian's): ask for Debian's only when no npm is there.
if [ "$what" = test ] && ! command -v npm >/dev/null 2>&1; then
    pkgs="$pkgs npm"
fi
missing=""
for p in $pkgs; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
    echo "pickaxe: missing Debian packages:$missing" >&2
    echo "pickaxe: install them with: sudo apt-get install -y$missing" >&2
    exit 1
fi
echo "pickaxe: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends$missing
