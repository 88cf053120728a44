#!/usr/bin/env bash
# rounds of: one jar (JAR) with copies through the C library's memmove (the default where the library was built)
# and with -Dringsync.kernels.native=false (given to the ranks through JAVA_TOOL_OPTIONS), each with a float[] and
# with --shared, and Open MPI; np 2 over shm; the starting system rotates; the state probe before and after each run
cd "$(dirname "$0")/../.."  # the repository root
J="java --add-exports java.base/jdk.internal.misc=ALL-UNNAMED -jar $JAR"
sizes=${SIZES:-4KiB,64KiB,1MiB,16MiB}
for round in $(seq ${FIRST:-1} ${LAST:-3}); do
  systems=(native unsafe native-shared unsafe-shared openmpi)
  for k in $(seq 1 $((round % 5))); do systems=("${systems[@]:1}" "${systems[0]}"); done
  for s in "${systems[@]}"; do
    probe=$(flock -x /tmp/ringsync-bench.lock "${STATE_PROBE:-/tmp/state_probe}" | tail -1)
    off=""
    case $s in unsafe*) off="-Dringsync.kernels.native=false" ;; esac
    shared=""
    case $s in *-shared) shared="--shared" ;; esac
    if [ $s = openmpi ]; then
      out=$(flock -x /tmp/ringsync-bench.lock bench/peers/run-openmpi.sh --np 2 --sizes $sizes --budget 1 \
        2>/dev/null | grep -v "^bytes\|^mpirun\|Open MPI")
    else
      out=$(JAVA_TOOL_OPTIONS="$off" flock -x /tmp/ringsync-bench.lock $J bench --np 2 $shared --sizes $sizes \
        --columns contract 2>/dev/null | tail -n +2)
    fi
    probe2=$(flock -x /tmp/ringsync-bench.lock "${STATE_PROBE:-/tmp/state_probe}" | tail -1)
    while read -r line; do echo "$round,$s,$probe,$probe2,$line"; done <<< "$out"
  done
done
