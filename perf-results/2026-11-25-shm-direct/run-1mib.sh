#!/usr/bin/env bash
# 1 MiB float32 SUM only: ring, direct (private float[] staged), direct with the vector from Communicator.allocate,
# alternated round by round. From the repository root:
#   flock -x /tmp/ringsync-bench.lock perf-results/2026-11-25-shm-direct/run-1mib.sh 3 > raw-1mib.csv
set -euo pipefail
rounds="${1:-3}"
echo "round,mode,bytes,type,np,transport,algorithm,iters,p50_us,p99_us,mean_us,algbw_GBps,busbw_GBps"
for round in $(seq 1 "$rounds"); do
    for np in 2 4; do
        for mode in ring direct shared; do
            case "$mode" in
                ring) min=-1; extra=() ;;
                direct) min=0; extra=() ;;
                shared) min=0; extra=(--shared) ;;
            esac
            RINGSYNC_SHM_DIRECT_MIN_BYTES=$min bin/ringsync bench --np "$np" --transport shm --sizes 1MiB \
                "${extra[@]}" 2>/dev/null | tail -n +2 | sed "s/^/$round,$mode,/"
        done
    done
done
