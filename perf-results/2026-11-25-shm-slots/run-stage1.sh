#!/usr/bin/env bash
# Stage 1: slot length (chunk payload 16/32/64 KiB) x slot count (8/16/32/64) at reserve 0.5, np 2 and 4,
# three rounds, the configuration order reversed every other round; each round under the exclusive bench lock.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
configs=()
for chunk in 16 32 64; do for slots in 8 16 32 64; do configs+=("$chunk:$slots:0.5"); done; done
for round in ${ROUNDS:-1 2 3}; do
    for np in ${NPS:-2 4}; do
        if (( round % 2 == 0 )); then order=($(printf '%s\n' "${configs[@]}" | tac)); else order=("${configs[@]}"); fi
        flock -x /tmp/ringsync-bench.lock "$here/sweep.sh" "$np" "$round" "$here/stage1.csv" "${order[@]}"
    done
done
