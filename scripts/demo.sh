#!/bin/sh
# Starts a local pickaxe network on the demo network and two wallet pages:
#   a tracker (127.0.0.1:18320), three mining nodes (18330, 18340, 18350),
#   Alice's wallet (http://127.0.0.1:8080/, on node 1, which mines to her),
#   Bob's wallet (http://127.0.0.1:8081/, on node 2), and pickaxe-adversary
#   throwing invalid blocks and transactions at the nodes (the wallet page's
#   network card shows them refused, by reason; the explorer page,
#   http://127.0.0.1:8080/explorer, draws them beside the block tree, live).
#   Node 1 also serves Stratum v1 on 127.0.0.1:3333 (STRATUM_PORT): any
#   sha256d miner can join (the script prints the command line).
# Mining threads are shared out over the machine's cores. Everything lives
# in build/demo/ (chains, keystores, logs) and is reused by the next run;
# `make demo RESET=1` (scripts/demo.sh --reset) starts from nothing.
# Ctrl-C (SIGINT) or SIGTERM stops every process this script started and
# exits 0. A process that dies is named, with why and its log's last lines;
# when none is left the script exits 1.
#
# Usage: scripts/demo.sh [--reset]
# Environment: ALICE_PORT, BOB_PORT (8080, 8081), STRATUM_PORT (3333),
#   DEMO_DIR (build/demo), DEMO_PORT (18320: the tracker; the nodes on
#   DEMO_PORT+10, +20, +30), ADVERSARY_RATE (attacks a second, default 2;
#   ADVERSARY=0: no adversary).
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
DIR=${DEMO_DIR:-$BUILD/demo}
ALICE_PORT=${ALICE_PORT:-8080}
BOB_PORT=${BOB_PORT:-8081}
STRATUM_PORT=${STRATUM_PORT:-3333}
ADVERSARY=${ADVERSARY:-1}
ADVERSARY_RATE=${ADVERSARY_RATE:-2}
DEMO_PORT=${DEMO_PORT:-18320}
TRACKER=127.0.0.1:$DEMO_PORT
NODE_PORTS="$((DEMO_PORT + 10)) $((DEMO_PORT + 20)) $((DEMO_PORT + 30))"
RESET_HOW="make demo RESET=1 (scripts/demo.sh --reset)"

reset=0
for arg in "$@"; do
    case $arg in
    --reset) reset=1 ;;
    -h | --help)
        sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'
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
# Each service uses PORT (plain: local clients), PORT+1 (gossip) and PORT+2
# (keyed requests).
ports="$DEMO_PORT $((DEMO_PORT + 1)) $((DEMO_PORT + 2))"
for p in $NODE_PORTS; do ports="$ports $p $((p + 1)) $((p + 2))"; done
for p in $ports "$ALICE_PORT" "$BOB_PORT" "$STRATUM_PORT"; do
    if port_busy "$p"; then
        echo "demo: port $p is in use (another demo running? stop it with Ctrl-C there)" >&2
        exit 1
    fi
done

cores=$(nproc 2>/dev/null || echo 1)
threads=$((cores / 3))
[ "$threads" -ge 1 ] || threads=1

pids=""
names=""   # name:pid of each process still running
started="" # name:pid of each process started
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
    for entry in $started; do
        case " $alive " in
        *" ${entry#*:} "*)
            echo "demo: ${entry%%:*} (pid ${entry#*:}) did not stop in time; killing it" >&2
            kill -KILL "${entry#*:}" 2>/dev/null || true
            ;;
        esac
    done
    for pid in $pids; do
        wait "$pid" 2>/dev/null || true
    done
    echo "demo: stopped; its data stays in $DIR ($RESET_HOW starts afresh)"
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
    started="$started $name:$!"
}

# Names each started process that is gone, with how it ended and the last
# lines of its log, and forgets it. (The shell reaps its children while it
# waits for `sleep`, so a dead one fails kill -0; `wait` then gives its
# status.)
check_children() {
    for entry in $names; do
        name=${entry%%:*}
        pid=${entry#*:}
        kill -0 "$pid" 2>/dev/null && continue
        st=0
        wait "$pid" 2>/dev/null || st=$?
        if [ "$st" -gt 128 ]; then
            why="killed by signal $((st - 128))"
        else
            why="exited with status $st"
        fi
        echo "demo: $name (pid $pid) stopped unexpectedly: $why; the last lines of $DIR/logs/$name.log:" >&2
        if [ -s "$DIR/logs/$name.log" ]; then
            tail -n 5 "$DIR/logs/$name.log" | sed 's/^/demo:   | /' >&2
        else
            echo "demo:   | (its log is empty)" >&2
        fi
        names=$(echo " $names " | sed "s| $entry | |; s|^ *||; s| *$||")
    done
}

alice=$("$BUILD/pickaxe-wallet" --network demo --keystore "$DIR/alice.keystore" --print-address)
bob=$("$BUILD/pickaxe-wallet" --network demo --keystore "$DIR/bob.keystore" --print-address)

start tracker "$BUILD/pickaxe-tracker" --network demo --listen "$TRACKER" --data-dir "$DIR/tracker"
i=1
for port in $NODE_PORTS; do
    miner=""
    [ "$i" = 1 ] && miner="--miner-address $alice --stratum 127.0.0.1:$STRATUM_PORT"
    # shellcheck disable=SC2086 # $miner is four words or none
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
# shellcheck disable=SC2086 # three words
set -- $NODE_PORTS
start alice "$BUILD/pickaxe-wallet" --network demo --node "tcp://127.0.0.1:$1" \
    --tracker "tcp://$TRACKER" --http "127.0.0.1:$ALICE_PORT" --keystore "$DIR/alice.keystore"
start bob "$BUILD/pickaxe-wallet" --network demo --node "tcp://127.0.0.1:$2" \
    --tracker "tcp://$TRACKER" --http "127.0.0.1:$BOB_PORT" --keystore "$DIR/bob.keystore"

# Wait until both pages answer (or something died).
python3 - "$ALICE_PORT" "$BOB_PORT" <<'EOF' || { check_children; echo "demo: the wallets did not come up; see $DIR/logs/" >&2; exit 1; }
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

    tracker tcp://$TRACKER; nodes tcp://127.0.0.1:$1, :$2, :$3
    Stratum          node 1 serves outside miners on stratum+tcp://127.0.0.1:$STRATUM_PORT
                     cpuminer -a sha256d -o stratum+tcp://127.0.0.1:$STRATUM_PORT -u $bob.rig1 -p x
                     (blocks it finds pay Bob; watch: $BUILD/pickaxe-cli --node tcp://127.0.0.1:$1 stratum)
    adversary        $( [ "$ADVERSARY" != 0 ] && echo "$ADVERSARY_RATE attacks a second (log: $DIR/logs/adversary.log); see the explorer" || echo "off (ADVERSARY=0)")
    logs and data    $DIR/  (kept for the next run; $RESET_HOW starts afresh)

  Press Ctrl-C to stop everything.

EOF

# Keep running while anything runs; name each process that dies.
while :; do
    sleep 1
    check_children
    if [ -z "$names" ]; then
        echo "demo: every process has stopped; exiting (logs in $DIR/logs/)" >&2
        exit 1
    fi
done
