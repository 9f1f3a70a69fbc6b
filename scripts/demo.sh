#!/bin/sh
# Starts a local pickaxe network on the demo network and two wallet pages:
#   a tracker (127.0.0.1:18320), three mining nodes (18330, 18340, 18350),
#   Alice's wallet (http://127.0.0.1:8080/, on node 1, which mines to her),
#   Bob's wallet (http://127.0.0.1:8081/, on node 2), and pickaxe-adversary
#   throwing invalid blocks and transactions at the nodes (the wallet page's
#   network card shows them refused, by reason; the explorer page,
#   http://127.0.0.1:8080/explorer, draws them beside the block tree, live).
# Mining threads are shared out over the machine's cores. Everything lives
# in build/demo/ (chains, keystores, logs) and is reused by the next run;
# --reset (or `make demo RESET=1`) starts from nothing. Ctrl-C stops every
# process this script started.
#
# Usage: scripts/demo.sh [--reset]
# Environment: ALICE_PORT, BOB_PORT (8080, 8081), DEMO_DIR (build/demo),
#   ADVERSARY_RATE (attacks a second, default 2; ADVERSARY=0: no adversary).
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
DIR=${DEMO_DIR:-$BUILD/demo}
ALICE_PORT=${ALICE_PORT:-8080}
BOB_PORT=${BOB_PORT:-8081}
ADVERSARY=${ADVERSARY:-1}
ADVERSARY_RATE=${ADVERSARY_RATE:-2}
TRACKER=127.0.0.1:18320

reset=0
for arg in "$@"; do
    case $arg in
    --reset) reset=1 ;;
    -h | --help)
        sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    *)
        echo "demo: unknown argument: $arg (try --help)" >&2
        exit 2
        ;;
    esac
done

for b in pickaxe-tracker pickaxe-node pickaxe-wallet pickaxe-adversary; do
    if [ ! -x "$BUILD/$b" ]; then
        echo "demo: building (make)..." >&2
        make --no-print-directory all >&2
        break
    fi
done

if [ "$reset" = 1 ] && [ -d "$DIR" ]; then
    echo "demo: --reset: removing $DIR"
    rm -rf "$DIR"
fi
mkdir -p "$DIR/logs"
chmod 700 "$DIR"

# Refuse to start a second copy on the same ports.
port_busy() {
    python3 - "$1" <<'EOF'
import socket, sys
s = socket.socket()
# Like the services themselves: connections of a previous run lingering in
# TIME_WAIT do not make a port busy, a listener does.
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(0)
sys.exit(1)
EOF
}
for p in 18320 18321 18330 18331 18340 18341 18350 18351 "$ALICE_PORT" "$BOB_PORT"; do
    if port_busy "$p"; then
        echo "demo: port $p is in use (another demo running? stop it with Ctrl-C there)" >&2
        exit 1
    fi
done

cores=$(nproc 2>/dev/null || echo 1)
threads=$((cores / 3))
[ "$threads" -ge 1 ] || threads=1

pids=""
names=""
cleanup() { # exit status
    rc=$1
    trap - INT TERM EXIT
    echo
    echo "demo: stopping..."
    for pid in $pids; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    # Each process leaves cleanly on SIGTERM; one that has not within 15 s
    # is killed.
    n=0
    while [ "$n" -lt 30 ]; do
        alive=""
        for pid in $pids; do
            kill -0 "$pid" 2>/dev/null && alive="$alive $pid"
        done
        [ -z "$alive" ] && break
        sleep 0.5
        n=$((n + 1))
    done
    for pid in $alive; do
        echo "demo: process $pid did not stop in time; killing it" >&2
        kill -KILL "$pid" 2>/dev/null || true
    done
    for pid in $pids; do
        wait "$pid" 2>/dev/null || true
    done
    echo "demo: stopped; its data stays in $DIR (scripts/demo.sh --reset starts afresh)"
    exit "$rc"
}
trap 'cleanup 0' INT TERM
trap 'cleanup $?' EXIT

start() { # name command...
    name=$1
    shift
    "$@" >>"$DIR/logs/$name.log" 2>&1 &
    pids="$pids $!"
    names="$names $name:$!"
}

alice=$("$BUILD/pickaxe-wallet" --network demo --keystore "$DIR/alice.keystore" --print-address)
bob=$("$BUILD/pickaxe-wallet" --network demo --keystore "$DIR/bob.keystore" --print-address)

start tracker "$BUILD/pickaxe-tracker" --network demo --listen "$TRACKER"
i=1
for port in 18330 18340 18350; do
    miner=""
    [ "$i" = 1 ] && miner="--miner-address $alice"
    # shellcheck disable=SC2086 # $miner is two words or none
    start "node$i" "$BUILD/pickaxe-node" --network demo --tracker "tcp://$TRACKER" \
        --listen "127.0.0.1:$port" --data-dir "$DIR/node$i" --threads "$threads" $miner
    i=$((i + 1))
done
if [ "$ADVERSARY" != 0 ]; then
    # Ports of its own, new ones each time the nodes ban it; ten silent
    # peers (silent-sybils) show as unresponsive without crowding the
    # wallet's peer list.
    start adversary "$BUILD/pickaxe-adversary" --network demo --tracker "tcp://$TRACKER" \
        --rate "$ADVERSARY_RATE" --sybils 10 --stats "$DIR/adversary.json"
fi
start alice "$BUILD/pickaxe-wallet" --network demo --node tcp://127.0.0.1:18330 \
    --tracker "tcp://$TRACKER" --http "127.0.0.1:$ALICE_PORT" --keystore "$DIR/alice.keystore"
start bob "$BUILD/pickaxe-wallet" --network demo --node tcp://127.0.0.1:18340 \
    --tracker "tcp://$TRACKER" --http "127.0.0.1:$BOB_PORT" --keystore "$DIR/bob.keystore"

# Wait until both pages answer (or something died).
python3 - "$ALICE_PORT" "$BOB_PORT" <<'EOF' || { echo "demo: the wallets did not come up; see $DIR/logs/" >&2; exit 1; }
import sys, time, urllib.request
deadline = time.time() + 20
for port in sys.argv[1:]:
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/wallet/address", timeout=2).read()
            break
        except Exception:
            if time.time() > deadline:
                sys.exit(1)
            time.sleep(0.3)
EOF

cat <<EOF

  pickaxe demo network is running ($cores cores: 3 nodes x $threads mining thread(s))

    Alice's wallet   http://127.0.0.1:$ALICE_PORT/   ($alice)
                     node 1 mines to her: her balance grows with each block it finds
    Bob's wallet     http://127.0.0.1:$BOB_PORT/   ($bob)
    Explorer         http://127.0.0.1:$ALICE_PORT/explorer
                     node 1's block tree, forks, reorgs and every attack refused, live

    tracker tcp://$TRACKER; nodes tcp://127.0.0.1:18330, :18340, :18350
    adversary        $( [ "$ADVERSARY" != 0 ] && echo "$ADVERSARY_RATE attacks a second (log: $DIR/logs/adversary.log); see the explorer" || echo "off (ADVERSARY=0)")
    logs and data    $DIR/  (kept for the next run; --reset or make demo RESET=1 starts afresh)

  Press Ctrl-C to stop everything.

EOF

# Keep running; report a process that died.
while :; do
    sleep 1
    for entry in $names; do
        pid=${entry#*:}
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "demo: ${entry%%:*} stopped unexpectedly; its log: $DIR/logs/${entry%%:*}.log" >&2
            names=$(echo "$names" | sed "s/ $entry//")
        fi
    done
done
