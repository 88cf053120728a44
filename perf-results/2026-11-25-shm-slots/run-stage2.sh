#!/usr/bin/env bash
# Stage 2: the injection reserve (RINGSYNC_RING_RESERVE: 0 = one slot, 0.25, 0.5, 0.75 of the link kept for
# forwards) on the slot shapes that led stage 1, np 2 and 4, two rounds in alternating order, each round under
# the exclusive bench lock.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
configs=()
for shape in 32:16 32:32 32:64 64:16 64:32 16:64; do
    for reserve in 0 0.25 0.5 0.75; do configs+=("$shape:$reserve"); done
done
for round in ${ROUNDS:-1 2}; do
    for np in ${NPS:-2 4}; do
        if (( round % 2 == 0 )); then order=($(printf '%s\n' "${configs[@]}" | tac)); else order=("${configs[@]}"); fi
        flock -x /tmp/ringsync-bench.lock "$here/sweep.sh" "$np" "$round" "$here/stage2.csv" "${order[@]}"
    done
done
