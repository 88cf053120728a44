#!/bin/bash
# End-to-end cost of the tcp frame MAC: np 2 allReduce(SUM, float32) over loopback tcp with NetBench, three
# variants interleaved in one run, each repeated: the jar before frame authentication (base, no secret), this
# branch without a secret (must cost nothing) and this branch with RINGSYNC_JOB_SECRET (every frame tagged).
# Usage: run-tcp.sh BASE_JAR NEW_JAR [REPEATS] [SIZES]   (timings serialized with flock on /tmp/ringsync-bench.lock)
set -euo pipefail
base_jar=$1
new_jar=$2
repeats=${3:-2}
sizes=${4:-4KiB,1MiB,16MiB}
echo "cpu: $(lscpu | grep 'Model name' | sed 's/  */ /g'), $(nproc) cores"
echo "java: $(java -version 2>&1 | head -1)"
echo "load before: $(uptime)"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
one() {
  local label=$1 jar=$2 secret=$3
  local p0 p1
  p0=$(free_port); p1=$(free_port)
  local eps="127.0.0.1:$p0,127.0.0.1:$p1"
  local java=(java --add-exports java.base/jdk.internal.misc=ALL-UNNAMED --add-modules jdk.incubator.vector -Xmx1g
    -XX:+UseParallelGC -cp "$jar" io.ringsync.bench.NetBench --transport tcp --np 2 --endpoints "$eps"
    --sizes "$sizes" --budget 2)
  local env=(env -u RINGSYNC_JOB_SECRET)
  if [ -n "$secret" ]; then env=(env RINGSYNC_JOB_SECRET="$secret"); fi
  "${env[@]}" "${java[@]}" --rank 1 > /dev/null 2> /tmp/netbench-r1.$$ &
  local r1=$!
  "${env[@]}" "${java[@]}" --rank 0 2> /tmp/netbench-r0.$$ | grep -v '^bytes' | sed "s/^/$label,/"
  wait $r1
  rm -f /tmp/netbench-r0.$$ /tmp/netbench-r1.$$
}
echo "variant,bytes,type,np,transport,algorithm,iters,p50_us,p99_us,mean_us,algbw_GBps,busbw_GBps,cpu_us"
for r in $(seq 1 "$repeats"); do
  one base-nosecret "$base_jar" ""
  one new-nosecret "$new_jar" ""
  one new-secret "$new_jar" "perf-results frame mac secret"
done
echo "load after: $(uptime)"
