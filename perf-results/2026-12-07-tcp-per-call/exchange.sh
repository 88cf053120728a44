#!/usr/bin/env bash
# Bare TCP exchanges between two simulated hosts (exchange.c): 512 KiB each way per call, three ways of moving them,
# 32 KiB or 512 KiB per write, alternated over ROUNDS rounds under the bench lock. Needs root and gcc.
#   perf-results/2026-12-07-tcp-per-call/exchange.sh [ROUNDS] > exchange.csv
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cluster=$here/../../bench/cluster/cluster.sh
rounds=${1:-3}
export RINGSYNC_NETNS_PREFIX=ringsync-exch-
bin=$(mktemp -d)
cleanup() { "$cluster" down >/dev/null 2>&1 || true; rm -rf "$bin"; }
trap cleanup EXIT
gcc -O2 -Wall -o "$bin/exchange" "$here/exchange.c"
"$cluster" up 2 >/dev/null
exec 9>>"${RINGSYNC_BENCH_LOCK:-/tmp/ringsync-bench.lock}"
flock -x 9
echo "round,mode,bytes,write,p50_us,mean_us,writes_per_call,reads_per_call"
for round in $(seq 1 "$rounds"); do
  for mode in ${MODES:-duplex split turns whole agreed}; do
    for write in 32768 524288; do
      port=$((47000 + RANDOM % 1000))
      ip netns exec ${RINGSYNC_NETNS_PREFIX}h2 \
        timeout 120 "$bin/exchange" client 10.77.0.1 "$port" 524288 "$write" 3000 "$mode" &
      client=$!
      line=$(ip netns exec ${RINGSYNC_NETNS_PREFIX}h1 \
        timeout 120 "$bin/exchange" server "$port" 524288 "$write" 3000 "$mode")
      wait "$client"
      echo "$round,$line"
    done
  done
done
