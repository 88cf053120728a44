#!/usr/bin/env bash
# The small-vector path against the ring, alternated run by run inside ONE exclusive hold of the bench lock:
#   perf-results/2026-11-25-small-vector/run.sh NP TRANSPORT ROUNDS [IDLE...]
# Each round runs `bin/ringsync bench` once per variant: RINGSYNC_SMALL_MAX_BYTES=64KiB (every size below takes
# the small-vector path) and =0 (every size takes the ring), each with every idle strategy named (default:
# backoff). Rows go to raw-npNP-TRANSPORT.csv with the round, switch setting and idle strategy prepended.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
np=$1 transport=$2 rounds=$3; shift 3
idles=("${@:-backoff}")
[ ${#idles[@]} -gt 0 ] || idles=(backoff)
sizes=4,64,1KiB,4KiB,8KiB,16KiB,64KiB
out="$here/raw-np$np-$transport.csv"
[ -f "$out" ] || echo "round,small_max,idle,bytes,type,np,transport,algorithm,iters,p50_us,p99_us,mean_us,algbw_GBps,busbw_GBps" > "$out"
for round in $(seq 1 "$rounds"); do
  for idle in "${idles[@]}"; do
    for small in 64KiB 0; do
      RINGSYNC_SMALL_MAX_BYTES=$small RINGSYNC_IDLE=$idle timeout 300 "$root/bin/ringsync" bench --np "$np" \
        --transport "$transport" --sizes "$sizes" --type float32 --format csv | tail -n +2 | \
        sed "s/^/$round,$small,$idle,/" >> "$out"
    done
  done
done
