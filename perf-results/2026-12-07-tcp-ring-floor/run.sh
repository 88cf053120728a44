#!/usr/bin/env bash
# The C ring (ring.c) at several pipeline grains against Open MPI (btl tcp) and ringsync's tcp, 1 MiB float32 SUM
# between simulated hosts (one rank per host), alternated over ROUNDS rounds. Needs root, gcc, and what
# bench/cluster/probe.sh needs (benchmarks.jar, the Open MPI program of bench/peers).
#   perf-results/2026-12-07-tcp-ring-floor/run.sh [ROUNDS] [HOSTS...] > ring.csv
# c-halving (halving.c) runs beside them: recursive halving, then doubling, one message per step.
# Env: BLOCKS (grains, bytes; "seg" = a whole segment), WAITS (spin: sched_yield when idle; poll: sleep in
# poll(2)), AGREES (0: halving as is; 1: with a 64-byte header swapped before each step), JAR (benchmarks.jar to
# run), READINGS (eager: the ring reads what is there; blocks: only once a block's rest is queued), CALLS (per C
# run).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
rounds=${1:-2}; shift || true
hosts=${*:-2 4}
blocks=${BLOCKS:-32768 131072 seg}
calls=${CALLS:-2000}
waits=${WAITS:-spin poll}
agrees=${AGREES:-0}
readings=${READINGS:-eager}
jar=${JAR:-$root/bench/target/benchmarks.jar}
export RINGSYNC_NETNS_PREFIX=ringsync-ring-
bin=$(mktemp -d)
cleanup() { "$root/bench/cluster/cluster.sh" down >/dev/null 2>&1 || true; rm -rf "$bin"; }
trap cleanup EXIT
gcc -O2 -Wall -o "$bin/ring" "$here/ring.c"
gcc -O2 -Wall -o "$bin/halving" "$here/halving.c"
count=262144
c_run() {  # program, hosts, block (ring only)
  local program=$1 n=$2 block=$3 port=$((46000 + RANDOM % 1000)) pids=() line
  [ "$block" = seg ] && block=$((count / n * 4))
  [ "$program" = ring ] || block=""
  for r in $(seq 1 $((n - 1))); do
    ip netns exec "${RINGSYNC_NETNS_PREFIX}h$((r + 1))" timeout 300 "$bin/$program" "$r" "$n" "$port" 10.77.0. \
      "$count" "$calls" $block >/dev/null &
    pids+=($!)
  done
  line=$(ip netns exec "${RINGSYNC_NETNS_PREFIX}h1" timeout 300 "$bin/$program" 0 "$n" "$port" 10.77.0. "$count" \
    "$calls" $block)
  for p in "${pids[@]}"; do wait "$p"; done
  echo "$line"
}
locked() {  # one C run under the bench lock
  flock -x "${RINGSYNC_BENCH_LOCK:-/tmp/ringsync-bench.lock}" bash -c "$(declare -f c_run); bin=$bin count=$count \
    calls=$calls RINGSYNC_NETNS_PREFIX=$RINGSYNC_NETNS_PREFIX c_run $*"
}
echo "round,hosts,system,block,p50_us,mean_us,writes_per_call,reads_per_call,yields_per_call"
for round in $(seq 1 "$rounds"); do
  for n in $hosts; do
    "$root/bench/cluster/cluster.sh" up "$n" >/dev/null
    for wait in $waits; do
      export RING_WAIT=$wait
      for block in $blocks; do
        for reading in $readings; do
          export RING_READ=$reading
          line=$(locked ring "$n" "$block")
          IFS=, read -r _ _ b _ p50 mean w rd y <<<"$line"
          echo "$round,$n,c-ring-$([ "$reading" = blocks ] && echo whole-reads-)$wait,$b,$p50,$mean,$w,$rd,$y"
        done
      done
      for agree in $agrees; do
        export RING_AGREE=$agree
        line=$(locked halving "$n" -)
        IFS=, read -r _ _ p50 mean w rd y <<<"$line"
        echo "$round,$n,c-halving-$([ "$agree" = 1 ] && echo agreed-)$wait,-,$p50,$mean,$w,$rd,$y"
      done
    done
    "$root/bench/cluster/cluster.sh" down >/dev/null
    for system in openmpi tcp; do
      echo "$round,$n,$system,-,$("$root/bench/cluster/probe-p50.sh" "$system" "${n}x1" "$jar"),,,"
    done
  done
done
