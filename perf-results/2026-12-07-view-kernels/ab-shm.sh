#!/usr/bin/env bash
# A/B: ringsync jar before (b50777f) and after (ViewKernels), with Open MPI, alternated, np 2 and 4
cd "$(dirname "$0")/../.."  # the repository root
J="java --add-exports java.base/jdk.internal.misc=ALL-UNNAMED -jar"
sizes=4KiB,64KiB,1MiB,16MiB
for round in 1 2 3; do
  for np in 2 4; do
    systems=(old new openmpi); 
    for k in $(seq 0 $((round - 1))); do systems=("${systems[@]:1}" "${systems[0]}"); done
    for s in "${systems[@]}"; do
      probe=$("${STATE_PROBE:-/tmp/state_probe}" | tail -1)
      case $s in
        old) out=$(flock -x /tmp/ringsync-bench.lock $J "$OLD_JAR" bench --np $np --sizes $sizes --columns contract 2>/dev/null | tail -n +2) ;;
        new) out=$(flock -x /tmp/ringsync-bench.lock $J "$NEW_JAR" bench --np $np --sizes $sizes --columns contract 2>/dev/null | tail -n +2) ;;
        openmpi) out=$(flock -x /tmp/ringsync-bench.lock bench/peers/run-openmpi.sh --np $np --sizes $sizes --budget 1 2>/dev/null | grep -v "^bytes\|^mpirun\|Open MPI") ;;
      esac
      probe2=$("${STATE_PROBE:-/tmp/state_probe}" | tail -1)
      while read -r line; do echo "$round,$s,$probe,$probe2,$line"; done <<< "$out"
    done
  done
done
