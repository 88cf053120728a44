#!/usr/bin/env bash
# ringsync against Open MPI, alternated round by round in one session (the CPU under a cloud VM changes
# between sessions, and a peer's figures move with it: only runs taken side by side compare).
#
#   bench/peers/compare.sh --np 2 --transport ipc --sizes 4KiB,64KiB,1MiB,16MiB --rounds 3 --out perf-results/DIR
#
# Writes DIR/ringsync-roundK.csv, DIR/openmpi-roundK.csv, DIR/combined.csv (every row, with a round column),
# DIR/summary.md (per size: median over rounds of each side's p50 and p99, and the ratio ringsync / Open MPI)
# and DIR/machine.txt. Each timed run holds /tmp/ringsync-bench.lock so nothing else benchmarks meanwhile.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
np=2 transport=ipc sizes=4KiB,64KiB,1MiB,16MiB rounds=3 type=float32 out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --np) np=$2; shift 2 ;;
    --transport) transport=$2; shift 2 ;;
    --sizes) sizes=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --type) type=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
[ -n "$out" ] || out="$root/perf-results/$(date -u +%Y-%m-%d)-np$np-$transport"
mkdir -p "$out"
lock=/tmp/ringsync-bench.lock

{
  echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "cpu: $(lscpu | sed -n 's/^Model name: *//p' | head -1) ($(nproc) cpus)"
  echo "java: $(java -version 2>&1 | head -1)"
  echo "open mpi: $(mpirun --version 2>/dev/null | head -1 || echo 'installed by run-openmpi.sh')"
  echo "command: bench/peers/compare.sh --np $np --transport $transport --sizes $sizes --rounds $rounds --type $type"
} > "$out/machine.txt"

"$root/bin/ringsync" --help > /dev/null   # builds on first use, outside the timed runs
for round in $(seq 1 "$rounds"); do
  echo "== round $round/$rounds: ringsync" >&2
  flock "$lock" timeout 900 "$root/bin/ringsync" bench --np "$np" --transport "$transport" --sizes "$sizes" \
    --type "$type" --format csv > "$out/ringsync-round$round.csv"
  echo "== round $round/$rounds: Open MPI" >&2
  flock "$lock" timeout 900 "$here/run-openmpi.sh" --np "$np" --sizes "$sizes" --type "$type" \
    > "$out/openmpi-round$round.csv"
done

{
  echo "round,bytes,type,np,transport,algorithm,iters,p50_us,p99_us,mean_us,algbw_GBps,busbw_GBps"
  for f in "$out"/ringsync-round*.csv "$out"/openmpi-round*.csv; do
    r=$(basename "$f" .csv); r=${r##*round}
    tail -n +2 "$f" | sed "s/^/$r,/"
  done
} > "$out/combined.csv"

# median over rounds per (system, bytes) of p50 and p99, then the ratios
awk -F, 'NR > 1 {
    key = $6 "," $2; p50[key] = p50[key] " " $8; p99[key] = p99[key] " " $9; sizes[$2] = 1; sys[$6] = 1
  }
  function median(list,   n, a, i, j, t) {
    n = split(list, a, " ")
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  END {
    n = 0; for (s in sizes) order[++n] = s + 0
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (order[j] < order[i]) { t = order[i]; order[i] = order[j]; order[j] = t }
    print "| bytes | ringsync p50 (us) | Open MPI p50 (us) | p50 ratio | ringsync p99 (us) | Open MPI p99 (us) | p99 ratio |"
    print "|---:|---:|---:|---:|---:|---:|---:|"
    for (i = 1; i <= n; i++) {
      b = order[i]; r = "ring," b; o = "default," b
      rp50 = median(p50[r]); op50 = median(p50[o]); rp99 = median(p99[r]); op99 = median(p99[o])
      printf "| %d | %.1f | %.1f | %.2f | %.1f | %.1f | %.2f |\n", b, rp50, op50, rp50 / op50, rp99, op99, rp99 / op99
    }
  }' "$out/combined.csv" > "$out/summary.md"
cat "$out/machine.txt" "$out/summary.md"
