#!/bin/sh
# Browser tests of the wallet page and the explorer page: headless Debian Chromium driven by
# playwright-core (from npm, installed into build/browser/ on first use;
# playwright's own browser downloads are never used). The test starts its
# own regtest network (tracker, non-mining nodes, wallets; the explorer's
# also an adversary) and mines with the node's `generate` query through
# pickaxe-cli.
# Screenshots of each step: build/browser-artifacts/.
# Ends with "N passed, N failed"; exits non-zero on any failure.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
PW_DIR=$BUILD/browser
PW_VERSION=${PW_VERSION:-1.65.1}

fail_setup() {
    echo "browser: $1" >&2
    echo "0 passed, 1 failed"
    exit 1
}

[ -x /usr/bin/chromium ] ||
    fail_setup "no /usr/bin/chromium (install it with: scripts/deps.sh test)"
command -v node >/dev/null 2>&1 ||
    fail_setup "no node (install it with: scripts/deps.sh test)"
for b in pickaxe-tracker pickaxe-node pickaxe-wallet pickaxe-adversary; do
    [ -x "$BUILD/$b" ] || fail_setup "$BUILD/$b is not built (run make)"
done

# pickaxe-cli mines the regtest blocks ("generate N --to ADDR"). A local,
# uncommitted stand-in may take its place until the cli is built.
CLI=${PICKAXE_CLI:-}
if [ -z "$CLI" ]; then
    if [ -x "$BUILD/pickaxe-cli" ]; then
        CLI=$BUILD/pickaxe-cli
    elif [ -x "$BUILD/pickaxe-cli-standin" ]; then
        CLI=$BUILD/pickaxe-cli-standin
    else
        fail_setup "$BUILD/pickaxe-cli is not built: the browser tests mine with it"
    fi
fi

if [ ! -f "$PW_DIR/node_modules/playwright-core/package.json" ]; then
    mkdir -p "$PW_DIR"
    npm install --prefix "$PW_DIR" --no-audit --no-fund --loglevel=error \
        "playwright-core@$PW_VERSION" >"$PW_DIR/npm.log" 2>&1 || {
        cat "$PW_DIR/npm.log" >&2
        fail_setup "npm install playwright-core failed"
    }
fi

export PW_DIR BUILD CLI
# The wallet page's tests first (they empty build/browser-artifacts/), then
# the explorer's; one "N passed, N failed" line for both.
total_passed=0
total_failed=0
for t in wallet explorer; do
    out=$(node "tests/browser/$t.test.mjs" 2>&1)
    echo "$out" | sed '$d'
    last=$(echo "$out" | tail -n 1)
    p=$(echo "$last" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
    f=$(echo "$last" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
    if [ -z "$p" ]; then
        echo "$last"
        p=0
        f=1
    fi
    total_passed=$((total_passed + p))
    total_failed=$((total_failed + f))
done
echo "$total_passed passed, $total_failed failed"
[ "$total_failed" -eq 0 ]
