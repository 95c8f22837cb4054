#!/bin/sh
# Installs what is missing (ZooKeeper from Debian, as root), builds zklock, and shows a real
# lock against a throwaway ZooKeeper on a free loopback port, which it stops afterwards.
set -eu
cd "$(dirname "$0")/.."

dpkg -s zookeeper >/dev/null 2>&1 || {
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq zookeeper
}
# ZKLOCK_DEMO_BINARY: a zklock built already (tests/readme.rs runs the demo with the tests' own).
zklock=${ZKLOCK_DEMO_BINARY:-}
if [ -z "$zklock" ]; then
    command -v cargo >/dev/null 2>&1 || { echo "tests/demo.sh: needs a Rust toolchain (https://rustup.rs)" >&2; exit 1; }
    cargo build --release --quiet
    zklock=target/release/zklock
fi

dir=$(mktemp -d)
port=$((20000 + $$ % 20000))
cat > "$dir/zoo.cfg" <<CFG
tickTime=500
dataDir=$dir
clientPort=$port
clientPortAddress=127.0.0.1
admin.enableServer=false
4lw.commands.whitelist=srvr
CFG
java -cp /usr/share/java/zookeeper.jar:/usr/share/java/slf4j-nop.jar \
    org.apache.zookeeper.server.quorum.QuorumPeerMain "$dir/zoo.cfg" >"$dir/zk.log" 2>&1 &
zk=$!
# The server dies of the TERM sent here, so `wait` says 143: not the demo's status (set -e).
trap 'kill $zk 2>/dev/null; wait $zk 2>/dev/null || true; rm -rf "$dir"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
export ZKLOCK_SERVERS=127.0.0.1:$port

echo "== ZooKeeper (pid $zk) on $ZKLOCK_SERVERS; two jobs contend for /demo/backup"
$zklock --connect-timeout 30s /demo/backup -- sh -c 'echo "job A holds the lock (token $ZKLOCK_FENCING_TOKEN)"; sleep 2; echo "job A done"' &
a=$!
# Until A holds it (a loaded machine may take a while to start A).
tries=0
until $zklock ls --holder /demo/backup 2>/dev/null | grep -q .; do
    tries=$((tries + 1)); [ $tries -lt 300 ] || { echo "job A never took the lock" >&2; exit 1; }
    sleep 0.1
done
echo "== job B with -n while A holds it (exits 75):"
$zklock -n /demo/backup -- echo "job B ran" || echo "job B: exit $?"
echo "== job C waits its turn:"
$zklock -v /demo/backup -- sh -c 'echo "job C holds the lock (token $ZKLOCK_FENCING_TOKEN)"'
wait $a
echo "== exit status passes through:"
$zklock /demo/backup -- sh -c 'exit 3' || echo "exit $?"
echo "== done; stopping ZooKeeper"
