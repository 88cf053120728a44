#!/usr/bin/env bash
# Ring vs shm direct mode (and direct with the vector placed by Communicator.allocate), alternated round by
# round in one session. Run from the repository root under the exclusive bench lock:
#   flock -x /tmp/ringsync-bench.lock perf-results/2026-11-25-shm-direct/run.sh 2 > raw.csv
set -euo pipefail
rounds="${1:-2}"
sizes="${SIZES:-64KiB,256KiB,1MiB,4MiB,16MiB}"
echo "round,mode,bytes,type,np,transport,algorithm,iters,p50_us,p99_us,mean_us,algbw_GBps,busbw_GBps"
for round in $(seq 1 "$rounds"); do
    for np in 2 4; do
        for mode in ring direct shared; do
            case "$mode" in
                ring) min=-1; extra=(); s="$sizes" ;;
                direct) min=0; extra=(); s="$sizes" ;;
                shared) min=0; extra=(--shared); s="1MiB" ;;
            esac
            RINGSYNC_SHM_DIRECT_MIN_BYTES=$min bin/ringsync bench --np "$np" --transport shm --sizes "$s" \
                "${extra[@]}" 2>/dev/null | tail -n +2 | sed "s/^/$round,$mode,/"
        done
    done
done
