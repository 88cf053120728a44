#!/usr/bin/env bash
# The engine split into parts against the jar before it, alternated round by round on one machine:
#   bin/ringsync bench --np 2 --transport shm --sizes 4KiB,1MiB with each jar, ROUNDS times, each run under
#   the bench lock. OLD and NEW are two ringsync.jar files (build the old one from its commit with
#   `git worktree add /tmp/old <commit> && (cd /tmp/old && mvn -B -q -DskipTests package)`).
# Usage: run.sh OLD_JAR NEW_JAR [ROUNDS] > raw.csv
set -euo pipefail
old="$1"; new="$2"; rounds="${3:-4}"
java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
lock=/tmp/ringsync-bench.lock
echo "round,jar,bytes,type,np,transport,algorithm,iters,p50_us,p99_us,mean_us,algbw_GBps,busbw_GBps"
for round in $(seq 1 "$rounds"); do
  # alternate which jar goes first, so neither always gets the warmer machine
  if [ $((round % 2)) -eq 1 ]; then order="old new"; else order="new old"; fi
  for which in $order; do
    if [ "$which" = old ]; then jar="$old"; else jar="$new"; fi
    flock -x "$lock" timeout 600 "$java" --add-exports java.base/jdk.internal.misc=ALL-UNNAMED -jar "$jar" \
      bench --np 2 --transport shm --sizes 4KiB,1MiB --columns contract --format csv 2>/dev/null \
      | tail -n +2 | sed "s/^/$round,$which,/"
  done
done
