#!/usr/bin/env bash
# rounds of: the floor probe (bench/peers/floor_probe.c, both schedules), ringsync with a float[] and with --shared,
# Open MPI; np 2, one host; the starting system rotates; the state probe before and after each run.
# Needs: JAR (cli/target/ringsync.jar or a copy), FLOOR (built floor_probe), STATE_PROBE (built state_probe).
cd "$(dirname "$0")/../.."  # the repository root
J="java --add-exports java.base/jdk.internal.misc=ALL-UNNAMED -jar $JAR"
sizes=${SIZES:-4KiB,64KiB,1MiB,16MiB}
for round in $(seq ${FIRST:-1} ${LAST:-3}); do
  systems=(floor ringsync shared openmpi)
  for k in $(seq 1 $((round % 4))); do systems=("${systems[@]:1}" "${systems[0]}"); done
  for s in "${systems[@]}"; do
    probe=$(flock -x /tmp/ringsync-bench.lock "${STATE_PROBE:-/tmp/state_probe}" | tail -1)
    case $s in
      floor) out=$(flock -x /tmp/ringsync-bench.lock "${FLOOR:-/tmp/floor_probe}" -s $sizes | tail -n +2) ;;
      ringsync) out=$(flock -x /tmp/ringsync-bench.lock $J bench --np 2 --sizes $sizes --columns contract \
        2>/dev/null | tail -n +2) ;;
      shared) out=$(flock -x /tmp/ringsync-bench.lock $J bench --np 2 --shared --sizes $sizes --columns contract \
        2>/dev/null | tail -n +2) ;;
      openmpi) out=$(flock -x /tmp/ringsync-bench.lock bench/peers/run-openmpi.sh --np 2 --sizes $sizes --budget 1 \
        2>/dev/null | grep -v "^bytes\|^mpirun\|Open MPI") ;;
    esac
    probe2=$(flock -x /tmp/ringsync-bench.lock "${STATE_PROBE:-/tmp/state_probe}" | tail -1)
    while read -r line; do echo "$round,$s,$probe,$probe2,$line"; done <<< "$out"
  done
done
