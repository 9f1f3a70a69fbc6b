#!/bin/sh
# Fails when a C source or header drifts from .clang-format: the same files
# `make format` rewrites. Prints each file that would change, then one
# "1 passed, 0 failed" or "0 passed, 1 failed" line (the tree is one
# check), which run-tests.sh counts.
set -u
cd "$(dirname "$0")/.."
if ! command -v clang-format >/dev/null 2>&1; then
    echo "format-check: clang-format is missing (apt-get install clang-format)" >&2
    echo "0 passed, 1 failed"
    exit 1
fi
passed=0
failed=0
for f in src/*/*.[ch] miner/*.[ch] net/*.[ch] bench/*.[ch] wallet-web/*.[ch] \
         tests/*.[ch] tests/fuzz/*.[ch]; do
    [ -f "$f" ] || continue
    if clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then
        passed=$((passed + 1))
    else
        echo "format-check: $f is not clang-formatted (make format fixes it)"
        failed=$((failed + 1))
    fi
done
echo "format-check: $passed files formatted, $failed not"
if [ "$failed" -eq 0 ]; then echo "1 passed, 0 failed"; else echo "0 passed, 1 failed"; fi
[ "$failed" -eq 0 ]
