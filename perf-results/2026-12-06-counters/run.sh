#!/usr/bin/env bash
# Counters, histogram, flight recorder and JFR hooks against the jar without them, alternated round by round:
#   bin/ringsync bench --np 2 --transport shm --sizes 4KiB,1MiB --columns all with each jar, ROUNDS times, each run under the
#   bench lock; which jar goes first alternates. OLD is the cli jar of main before this branch (built from
#   `git archive <commit>` with `mvn -B -o -q -DskipTests package -pl cli -am`), NEW the branch's cli/target/ringsync.jar.
# Usage: run.sh OLD_JAR NEW_JAR [ROUNDS] > raw.csv
set -euo pipefail
old="$1"; new="$2"; rounds="${3:-6}"
java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
lock=/tmp/ringsync-bench.lock
echo "round,jar,bytes,type,np,transport,algorithm,iters,p50_us,p99_us,mean_us,algbw_GBps,busbw_GBps,p90_us,p999_us,max_us,rank_cpu_us,driver_cpu_us,cpu_util,rss_kib,shm_bytes,cpu_model,jdk"
for round in $(seq 1 "$rounds"); do
  if [ $((round % 2)) -eq 1 ]; then order="old new"; else order="new old"; fi
  for which in $order; do
    if [ "$which" = old ]; then jar="$old"; else jar="$new"; fi
    flock -x "$lock" timeout 600 "$java" --add-exports java.base/jdk.internal.misc=ALL-UNNAMED -jar "$jar" \
      bench --np 2 --transport shm --sizes 4KiB,1MiB --columns all --format csv 2>/dev/null \
      | tail -n +2 | sed "s/^/$round,$which,/"
  done
done
