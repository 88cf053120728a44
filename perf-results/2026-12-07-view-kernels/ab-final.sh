#!/usr/bin/env bash
# rounds of: old / new2 (float[]), old / new2 (--shared), Open MPI; np 2; the starting system rotates
cd "$(dirname "$0")/../.."  # the repository root
J="java --add-exports java.base/jdk.internal.misc=ALL-UNNAMED -jar"
sizes=${SIZES:-4KiB,64KiB,1MiB,16MiB}
for round in $(seq ${FIRST:-1} ${LAST:-3}); do
  systems=(old new old-shared new-shared openmpi)
  for k in $(seq 1 $((round % 5))); do systems=("${systems[@]:1}" "${systems[0]}"); done
  for s in "${systems[@]}"; do
    probe=$(flock -x /tmp/ringsync-bench.lock "${STATE_PROBE:-/tmp/state_probe}" | tail -1)
    case $s in
      old) out=$(flock -x /tmp/ringsync-bench.lock $J "$OLD_JAR" bench --np 2 --sizes $sizes --columns contract 2>/dev/null | tail -n +2) ;;
      new) out=$(flock -x /tmp/ringsync-bench.lock $J "$NEW_JAR" bench --np 2 --sizes $sizes --columns contract 2>/dev/null | tail -n +2) ;;
      old-shared) out=$(flock -x /tmp/ringsync-bench.lock $J "$OLD_JAR" bench --np 2 --shared --sizes $sizes --columns contract 2>/dev/null | tail -n +2) ;;
      new-shared) out=$(flock -x /tmp/ringsync-bench.lock $J "$NEW_JAR" bench --np 2 --shared --sizes $sizes --columns contract 2>/dev/null | tail -n +2) ;;
      openmpi) out=$(flock -x /tmp/ringsync-bench.lock bench/peers/run-openmpi.sh --np 2 --sizes $sizes --budget 1 2>/dev/null | grep -v "^bytes\|^mpirun\|Open MPI") ;;
    esac
    probe2=$(flock -x /tmp/ringsync-bench.lock "${STATE_PROBE:-/tmp/state_probe}" | tail -1)
    while read -r line; do echo "$round,$s,$probe,$probe2,$line"; done <<< "$out"
  done
done
