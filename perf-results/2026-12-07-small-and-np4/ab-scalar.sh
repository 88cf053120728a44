#!/usr/bin/env bash
# Rounds of: the jar before the scalar cut-over for a few elements (BEFORE) and after it (AFTER), and Open MPI
# (vader); np 2 and 4 over shm; the starting system rotates; the state probe (bench/peers/state_probe.c) before and
# after each run.
# Output CSV: round,system,np,probe before (copy_GBps,pingpong_ns,lost_pct),probe after (same),bench columns
cd "$(dirname "$0")/../.."  # the repository root
sizes=${SIZES:-4,64,68,88,128,256,1KiB}
probe() { flock -x /tmp/ringsync-bench.lock "${STATE_PROBE:-/tmp/state_probe}" | tail -1; }
for round in $(seq ${FIRST:-1} ${LAST:-3}); do
  for np in ${NPS:-2 4}; do
    systems=(before after openmpi)
    for k in $(seq 1 $((round % 3))); do systems=("${systems[@]:1}" "${systems[0]}"); done
    for s in "${systems[@]}"; do
      before=$(probe)
      if [ $s = openmpi ]; then
        out=$(flock -x /tmp/ringsync-bench.lock bench/peers/run-openmpi.sh --np $np --sizes $sizes --budget 1 \
          2>/dev/null | grep -v "^bytes\|^mpirun\|Open MPI")
      else
        jar=$BEFORE
        [ $s = after ] && jar=$AFTER
        out=$(flock -x /tmp/ringsync-bench.lock java --add-exports java.base/jdk.internal.misc=ALL-UNNAMED -jar "$jar" \
          bench --np $np --sizes $sizes --columns contract 2>/dev/null | tail -n +2)
      fi
      after=$(probe)
      while read -r line; do echo "$round,$s,$np,$before,$after,$line"; done <<< "$out"
    done
  done
done
