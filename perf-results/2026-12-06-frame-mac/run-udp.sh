#!/bin/bash
# End-to-end cost of the udp message tag: np 2 allReduce(SUM, float32) over loopback udp through the launcher
# (`ringsync bench --transport udp`), with and without tags, alternated, REPEATS rounds. Without: no secret set,
# the launcher draws one and sets RINGSYNC_FRAME_MAC=off (messages untagged). With: RINGSYNC_JOB_SECRET set
# here (RINGSYNC_FRAME_MAC unset: hmac-sha256, every message tagged).
# Usage: run-udp.sh [REPEATS] [SIZES]   (run it under flock -x /tmp/ringsync-bench.lock)
set -euo pipefail
cd "$(dirname "$0")/../.."
repeats=${1:-3}
sizes=${2:-4KiB,1MiB,16MiB}
echo "cpu: $(lscpu | grep 'Model name' | sed 's/  */ /g'), $(nproc) cores"
echo "java: $(java -version 2>&1 | head -1)"
echo "commit: $(git rev-parse --short HEAD)"
echo "load before: $(uptime)"
echo "variant,round,bytes,type,np,transport,algorithm,iters,p50_us,p99_us,mean_us,algbw_GBps,busbw_GBps,rank_cpu_us"
for r in $(seq 1 "$repeats"); do
  env -u RINGSYNC_JOB_SECRET -u RINGSYNC_FRAME_MAC bin/ringsync bench --np 2 --transport udp --sizes "$sizes" \
    --format csv 2>/dev/null | grep -v '^bytes' | cut -d, -f1-11,15 | sed "s/^/udp-nomac,$r,/"
  env -u RINGSYNC_FRAME_MAC RINGSYNC_JOB_SECRET=perf-results-udp-frame-mac-secret-0123456789 bin/ringsync bench \
    --np 2 --transport udp --sizes "$sizes" --format csv 2>/dev/null | grep -v '^bytes' | cut -d, -f1-11,15 | \
    sed "s/^/udp-mac,$r,/"
done
echo "load after: $(uptime)"
