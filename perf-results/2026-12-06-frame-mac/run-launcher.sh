#!/bin/bash
# ringsync bench --transport tcp (the launcher: rendezvous on 127.0.0.1, a fresh job secret per job) with the jar
# before frame authentication (base: the secret guards the rendezvous only) and this branch's (every frame
# tagged), alternating. Usage: run-launcher.sh BASE_RINGSYNC_JAR NEW_RINGSYNC_JAR [REPEATS]
set -euo pipefail
base=$1; new=$2; repeats=${3:-2}
echo "cpu: $(lscpu | grep 'Model name' | sed 's/  */ /g'), $(nproc) cores; load before: $(uptime)"
for r in $(seq 1 "$repeats"); do
  for v in base new; do
    jar=$base; [ "$v" = new ] && jar=$new
    java --add-exports java.base/jdk.internal.misc=ALL-UNNAMED -jar "$jar" bench --np 2 --transport tcp \
      --sizes 4KiB,1MiB,16MiB --columns contract --format csv 2>/dev/null | grep -v '^bytes' | sed "s/^/$v,/"
  done
done
echo "load after: $(uptime)"
