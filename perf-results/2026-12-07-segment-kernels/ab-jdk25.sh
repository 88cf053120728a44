#!/usr/bin/env bash
# rounds of: the jar before (OLD_JAR) and after (NEW_JAR) on JDK 25 (JAVA25), the new jar on the default java (JDK 17),
# Open MPI; np 2 over shm, float[] vectors; the starting system rotates; the state probe before and after each run
cd "$(dirname "$0")/../.."  # the repository root
flags="--add-exports java.base/jdk.internal.misc=ALL-UNNAMED"
java25=${JAVA25:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}
sizes=${SIZES:-4KiB,64KiB,1MiB,16MiB}
for round in $(seq ${FIRST:-1} ${LAST:-3}); do
  systems=(old25 new25 new17 openmpi)
  for k in $(seq 1 $((round % 4))); do systems=("${systems[@]:1}" "${systems[0]}"); done
  for s in "${systems[@]}"; do
    probe=$(flock -x /tmp/ringsync-bench.lock "${STATE_PROBE:-/tmp/state_probe}" | tail -1)
    case $s in
      old25) out=$(flock -x /tmp/ringsync-bench.lock "$java25" $flags -jar "$OLD_JAR" bench --np 2 --sizes $sizes \
        --columns contract 2>/dev/null | tail -n +2) ;;
      new25) out=$(flock -x /tmp/ringsync-bench.lock "$java25" $flags -jar "$NEW_JAR" bench --np 2 --sizes $sizes \
        --columns contract 2>/dev/null | tail -n +2) ;;
      new17) out=$(flock -x /tmp/ringsync-bench.lock java $flags -jar "$NEW_JAR" bench --np 2 --sizes $sizes \
        --columns contract 2>/dev/null | tail -n +2) ;;
      openmpi) out=$(flock -x /tmp/ringsync-bench.lock bench/peers/run-openmpi.sh --np 2 --sizes $sizes --budget 1 \
        2>/dev/null | grep -v "^bytes\|^mpirun\|Open MPI") ;;
    esac
    probe2=$(flock -x /tmp/ringsync-bench.lock "${STATE_PROBE:-/tmp/state_probe}" | tail -1)
    while read -r line; do echo "$round,$s,$probe,$probe2,$line"; done <<< "$out"
  done
done
