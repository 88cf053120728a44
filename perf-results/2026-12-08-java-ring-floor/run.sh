#!/usr/bin/env bash
# JavaRing.java (the C ring of ../2026-12-07-tcp-ring-floor in Java, JDK NIO) against that C ring, Open MPI (btl tcp)
# and ringsync's tcp, 1 MiB float32 SUM between simulated hosts (one rank per host), alternated over ROUNDS rounds.
# Needs root, gcc, a JDK, and what bench/cluster/probe.sh needs (benchmarks.jar, the Open MPI program of bench/peers).
#   perf-results/2026-12-08-java-ring-floor/run.sh [ROUNDS] [HOSTS...] > java-ring.csv
# Env: BLOCKS (pipeline grains in bytes, "seg" = a whole segment; default "seg 32768"), CALLS (per C or Java run),
# JAR (the benchmarks.jar ringsync runs from), JAVA (the java binary). With a whole segment as the grain, the Java
# ring also runs as each of VARIANTS, "name:SETTING=value,..." (default: "agreed:RING_AGREE=1" and
# "agreed-staged:RING_AGREE=1,RING_STAGE=1", step by step with a 64-byte header swapped before each step, and so
# again writing each step from a send buffer it was copied into; JavaRing.java tells the settings).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
floor=$root/perf-results/2026-12-07-tcp-ring-floor
rounds=${1:-2}; shift || true
hosts=${*:-2}
blocks=${BLOCKS:-seg 32768}
calls=${CALLS:-2000}
jar=${JAR:-$root/bench/target/benchmarks.jar}
java=${JAVA:-java}
variants=${VARIANTS:-agreed:RING_AGREE=1 agreed-staged:RING_AGREE=1,RING_STAGE=1}
export RINGSYNC_NETNS_PREFIX=ringsync-jring-
bin=$(mktemp -d)
cleanup() { "$root/bench/cluster/cluster.sh" down >/dev/null 2>&1 || true; rm -rf "$bin"; }
trap cleanup EXIT
gcc -O2 -Wall -o "$bin/ring" "$floor/ring.c"
javac --add-modules jdk.incubator.vector -d "$bin" "$here/JavaRing.java" 2>/dev/null
count=262144
# n, then a rank's command (RANK N PORT PREFIX COUNT CALLS BLOCK appended): prints rank 0's line
run_ranks() {
  local n=$1 port=$((47000 + RANDOM % 1000)) pids=() line; shift
  for r in $(seq 1 $((n - 1))); do
    ip netns exec "${RINGSYNC_NETNS_PREFIX}h$((r + 1))" timeout 300 "$@" "$r" "$n" "$port" 10.77.0. "$count" \
      "$calls" "$BLOCK" >/dev/null &
    pids+=($!)
  done
  line=$(ip netns exec "${RINGSYNC_NETNS_PREFIX}h1" timeout 300 "$@" 0 "$n" "$port" 10.77.0. "$count" "$calls" \
    "$BLOCK")
  for p in "${pids[@]}"; do wait "$p"; done
  echo "$line"
}
locked() { flock -x "${RINGSYNC_BENCH_LOCK:-/tmp/ringsync-bench.lock}" "$@"; }
export -f run_ranks
export count calls
echo "round,hosts,system,block,p50_us,mean_us,writes_per_call,reads_per_call,yields_per_call,reduce_us_per_call"
for round in $(seq 1 "$rounds"); do
  for n in $hosts; do
    "$root/bench/cluster/cluster.sh" up "$n" >/dev/null
    for block in $blocks; do
      b=$block; [ "$b" = seg ] && b=$((count / n * 4))
      line=$(BLOCK=$b locked bash -c 'run_ranks "$@"' _ "$n" "$bin/ring")
      IFS=, read -r _ _ _ _ p50 mean w rd y <<<"$line"
      echo "$round,$n,c-ring,$b,$p50,$mean,$w,$rd,$y"
      line=$(BLOCK=$block locked bash -c 'run_ranks "$@"' _ "$n" "$java" --add-modules jdk.incubator.vector \
        -cp "$bin" JavaRing 2>/dev/null)
      IFS=, read -r _ _ _ p50 mean w rd y red <<<"$line"
      echo "$round,$n,java-ring,$b,$p50,$mean,$w,$rd,$y,$red"
      if [ "$block" = seg ]; then
        for variant in $variants; do
          settings=${variant#*:}
          line=$(locked env ${settings//,/ } BLOCK=$block bash -c 'run_ranks "$@"' _ "$n" "$java" --add-modules \
            jdk.incubator.vector -cp "$bin" JavaRing 2>/dev/null)
          IFS=, read -r _ _ _ p50 mean w rd y red <<<"$line"
          echo "$round,$n,java-ring-${variant%%:*},$b,$p50,$mean,$w,$rd,$y,$red"
        done
      fi
    done
    "$root/bench/cluster/cluster.sh" down >/dev/null
    for system in openmpi tcp; do
      echo "$round,$n,$system,-,$("$root/bench/cluster/probe-p50.sh" "$system" "${n}x1" "$jar"),,,"
    done
  done
done
