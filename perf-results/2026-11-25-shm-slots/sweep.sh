#!/usr/bin/env bash
# One round of the shm slot sweep: every configuration given runs `bin/ringsync bench --transport shm` once,
# in the order given, and its CSV rows are appended to the output with the configuration in front.
#   sweep.sh NP ROUND OUT.csv "CHUNK_KIB:SLOTS:RESERVE" ...
# CHUNK_KIB is the chunk payload (slot length = payload + 128 bytes of headers), SLOTS the slots per link,
# RESERVE the share of a link the ring keeps for forwards (RINGSYNC_RING_RESERVE).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# RINGSYNC_JAR: a copy of cli/target/ringsync.jar to run instead of bin/ringsync (which rebuilds the jar when
# the sources changed: a sweep must not pick up edits half-way)
if [ -n "${RINGSYNC_JAR:-}" ]; then
    ringsync=(java --add-exports java.base/jdk.internal.misc=ALL-UNNAMED -jar "$RINGSYNC_JAR")
else
    ringsync=("$here/../../bin/ringsync")
fi
np="$1"; round="$2"; out="$3"; shift 3
sizes="${SIZES:-64KiB,1MiB,16MiB}"
[ -s "$out" ] || echo "round,chunk_kib,slots,reserve,bytes,type,np,transport,algorithm,iters,p50_us,p99_us,mean_us,algbw_GBps,busbw_GBps" > "$out"
for config in "$@"; do
    IFS=: read -r chunk slots reserve <<< "$config"
    RINGSYNC_CHUNK_BYTES="${chunk}KiB" RINGSYNC_SHM_SLOT_COUNT="$slots" RINGSYNC_RING_RESERVE="$reserve" \
        "${ringsync[@]}" bench --np "$np" --transport shm --sizes "$sizes" --type float32 --format csv 2>/dev/null \
        | { grep -v '^bytes' || echo "failed"; } | sed "s/^/$round,$chunk,$slots,$reserve,/" >> "$out" || true
done
