#!/usr/bin/env bash
# ringsync beside Open MPI and Gloo, alternated round by round in one session, with charts and ratio tables.
#
#   bench/peers/compare.sh [--np 2[,4]] [--transports shm,ipc,udp] [--sizes 4KiB,64KiB,1MiB,16MiB]
#                          [--type float32|float64] [--rounds 3] [--peers openmpi,gloo|none] [--budget 2]
#                          [--name NAME | --out DIR] [--format png|svg|both]
#                          [--state-probe pingpong_ns|pingpong_lost_pct|copy_GBps] [--state-threshold X|auto]
#
# Why alternate: the CPU under a cloud VM changes between sessions and flips between fast and slow states
# within minutes, so a peer's figure only compares with ringsync's when both were taken side by side. Each
# round runs, for every np, `ringsync bench` over each transport, then each peer, with the same sizes, type
# and time budget per size; the starting system rotates from round to round so none always runs first. Each
# round (per np) holds the exclusive lock $RINGSYNC_BENCH_LOCK (default /tmp/ringsync-bench.lock) from its
# first run to its last, so nothing else that honours it benchmarks meanwhile and the systems it compares run
# back to back; installing and building happen before, outside the timed runs.
#
# Host state: the same machine runs fast for minutes, then slow (the hypervisor), and the ratios differ
# between the two. Right before and right after each run, state_probe (bench/peers/state_probe.c, ~0.1-0.5 s) measures a
# cross-core ping-pong (ns per round trip; ~145 ns fast, ~600 ns slow on the 2-vCPU EPYC this was measured
# on, see perf-results/2026-12-06-host-state), the share of it lost to stalls, and a 64 MiB memcpy (GB/s);
# the chosen one (--state-probe, default pingpong_ns) classifies each run as fast or slow (--state-threshold:
# default 300 ns for the ping-pong, measured on that VM kind; auto splits the session's values into two
# clusters; a run whose two probes disagree is "flipped"), and summary.md counts ringsync / peer ratios only
# from back-to-back pairs of runs in the same state.
#
# Writes perf-results/<UTC date>-<NAME>/ (NAME defaults to np<LIST>-<type>):
#   raw/<system>-<transport>-np<N>-round<K>.csv / .stderr   each run's CSV (as printed) and its stderr
#   combined.csv    every row of every run: round,system, then the bench columns
#                   bytes,type,np,transport,algorithm,iters,p50_us,p99_us,mean_us,algbw_GBps,busbw_GBps,
#                   then state_probe and state_probe_after (the chosen probe right before and right after the
#                   run) and state (fast, slow, one, flipped or unknown)
#   states.csv      one row per run: round,np,system,label,utc,load1, the three probe figures before the run
#                   (copy_GBps,pingpong_ns,pingpong_lost_pct), the same after it (..._after), then state
#   summary.md      the command, the machine, the host state of each run and the same-state ratios, ratio tables ringsync / peer of the p50 and p99 medians over
#                   rounds per np, transport and size, every series' medians, and the charts
#   latency-np<N>.png, busbw-np<N>.png   log-log charts (XChart), one line per system and transport
#   machine.txt     CPU (lscpu), kernel, OS, JDK, Open MPI and torch versions, ringsync commit, load
# Exit status: 0 when every run succeeded; 1 when some failed (the rest is still written, failures listed).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# the command as typed, for summary.md: words that need no quoting stay bare
quote_words() {
  local word
  for word in "$@"; do
    if [[ "$word" =~ ^[A-Za-z0-9_./,=:+@%-]+$ ]]; then printf ' %s' "$word"; else printf " %q" "$word"; fi
  done
}
command_line="bench/peers/compare.sh$(quote_words "$@")"
run_date=$(date -u +%Y-%m-%d)

nps=2 transports=shm,ipc,udp sizes=4KiB,64KiB,1MiB,16MiB rounds=3 type=float32 peers=openmpi,gloo budget=2
name="" out="" format=png state_probe=pingpong_ns state_threshold=""
usage() { sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
  [ $# -ge 2 ] || { [ "$1" = --help ] || [ "$1" = -h ] || echo "compare.sh: $1 needs a value" >&2; usage; }
  case "$1" in
    --np) nps=$2 ;;
    --transports|--transport) transports=$2 ;;
    --sizes) sizes=$2 ;;
    --type) type=$2 ;;
    --rounds) rounds=$2 ;;
    --peers) peers=$2 ;;
    --budget) budget=$2 ;;
    --name) name=$2 ;;
    --out) out=$2 ;;
    --format) format=$2 ;;
    --state-probe) state_probe=$2 ;;
    --state-threshold) state_threshold=$2 ;;
    *) echo "compare.sh: unknown argument: $1" >&2; usage ;;
  esac
  shift 2
done

fail() { echo "compare.sh: $*" >&2; exit 2; }
[[ "$nps" =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] || fail "--np must be a comma-separated list of rank counts, got '$nps'"
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || fail "--rounds must be a positive whole number, got '$rounds'"
[[ "$budget" =~ ^[0-9]+(\.[0-9]+)?$ ]] || fail "--budget must be seconds, got '$budget'"
case "$type" in float32|float64) ;; *) fail "--type must be float32 or float64, got '$type'" ;; esac
case "$format" in png|svg|both) ;; *) fail "--format must be png, svg or both, got '$format'" ;; esac
case "$state_probe" in copy_GBps|pingpong_ns|pingpong_lost_pct) ;; *) fail "--state-probe must be copy_GBps, pingpong_ns or pingpong_lost_pct, got '$state_probe'" ;; esac
[ -z "$state_threshold" ] || [ "$state_threshold" = auto ] || [[ "$state_threshold" =~ ^[0-9]+(\.[0-9]+)?$ ]] || fail "--state-threshold must be a number or auto, got '$state_threshold'"
IFS=, read -r -a np_list <<< "$nps"
IFS=, read -r -a transport_list <<< "$transports"
for t in "${transport_list[@]}"; do
  case "$t" in shm|ipc|udp) ;; *) fail "--transports takes shm, ipc and udp, got '$t'" ;; esac
done
peer_list=()
if [ "$peers" != none ]; then
  IFS=, read -r -a peer_list <<< "$peers"
  for p in "${peer_list[@]}"; do
    case "$p" in openmpi|gloo) ;; *) fail "--peers takes openmpi, gloo or none, got '$p'" ;; esac
  done
fi
[ -n "$name" ] || name="np${nps//,/-}-$type"
[ -n "$out" ] || out="$root/perf-results/$run_date-$name"
if [ -e "$out" ] && [ -n "$(ls -A "$out" 2>/dev/null)" ]; then
  fail "$out already exists and is not empty: pass another --name or --out, or remove it"
fi
mkdir -p "$out/raw"
out=$(cd "$out" && pwd)
lock=${RINGSYNC_BENCH_LOCK:-/tmp/ringsync-bench.lock}
# One round at one np holds the lock from its first run to its last, so the systems it compares run back to
# back with no other job between them. The runs themselves get the descriptor closed (9>&-), so nothing they
# leave behind could keep the lock.
take_lock() {
  if command -v flock >/dev/null 2>&1; then exec 9>"$lock"; flock -x 9; fi
}
release_lock() {
  if command -v flock >/dev/null 2>&1; then flock -u 9; exec 9>&-; fi
}

# --- prepare, outside the timed runs: build ringsync, the chart tool and the state probe, install and build the peers ---
echo "== preparing: ringsync build, state probe, peers ($peers)" >&2
build_dir=$(mktemp -d "${TMPDIR:-/tmp}/ringsync-compare.XXXXXX")
trap 'rm -rf "$build_dir"' EXIT
command -v gcc >/dev/null 2>&1 || fail "gcc is needed for the host-state probe (bench/peers/state_probe.c); install it (Debian: apt-get install gcc)"
gcc -O2 -pthread -o "$build_dir/state_probe" "$here/state_probe.c"
"$root/bin/ringsync" --help > /dev/null
charts_jar="$root/bench/target/benchmarks.jar"
if [ ! -f "$charts_jar" ] || [ -n "$(find "$root/bench/src/main" "$root/bench/pom.xml" "$root/pom.xml" -newer "$charts_jar" -print -quit)" ]; then
  (cd "$root" && mvn -B -q -Dstyle.color=never -DskipTests -pl bench -am package) >&2
fi
openmpi_version="not run" torch_version="not run"
for p in "${peer_list[@]}"; do
  case "$p" in
    openmpi) openmpi_version=$("$here/run-openmpi.sh" --prepare) ;;
    gloo) torch_version=$("$here/run-gloo.sh" --prepare) ;;
  esac
done

java_bin=java; [ -n "${JAVA_HOME:-}" ] && java_bin="$JAVA_HOME/bin/java"
{
  echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "command: $command_line"
  echo "cpu: $(lscpu | sed -n 's/^Model name: *//p' | head -1) ($(nproc) cpus; family $(lscpu | sed -n 's/^CPU family: *//p' | head -1) model $(lscpu | sed -n 's/^Model: *//p' | head -1))"
  echo "kernel: $(uname -sr)"
  echo "os: $(. /etc/os-release 2>/dev/null && echo "${PRETTY_NAME:-unknown}" || echo unknown)"
  echo "memory: $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
  echo "jdk: $("$java_bin" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.runtime.version = //p') ($("$java_bin" -version 2>&1 | head -1))"
  echo "open mpi: $openmpi_version"
  echo "torch (gloo): $torch_version"
  echo "ringsync: $(git -C "$root" describe --always --dirty 2>/dev/null || echo 'not a git checkout')"
  echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  lscpu
} > "$out/machine.txt"

# --- the timed runs: every system once per round, alternated, starting one later each round ---
systems=()
for t in "${transport_list[@]}"; do systems+=("ringsync:$t"); done
for p in "${peer_list[@]}"; do systems+=("$p"); done
header="bytes,type,np,transport,algorithm,iters,p50_us,p99_us,mean_us,algbw_GBps,busbw_GBps"
expected_rows=$(awk -F, '{ print NF }' <<< "$sizes")
failures=()
echo "round,system,$header,state_probe,state_probe_after" > "$out/combined.csv"
echo "round,np,system,label,utc,load1,copy_GBps,pingpong_ns,pingpong_lost_pct,copy_GBps_after,pingpong_ns_after,pingpong_lost_pct_after" > "$out/states.csv"
# sets probe (copy_GBps,pingpong_ns,pingpong_lost_pct; -1 where the probe gave no figure), its three parts and
# probe_chosen, the one --state-probe classifies by
host_probe() {
  probe=$("$build_dir/state_probe" all 9>&- 2>/dev/null | tail -1) || probe=""
  [[ "$probe" =~ ^-?[0-9.]+,-?[0-9.]+,-?[0-9.]+$ ]] || probe="-1,-1,-1"
  IFS=, read -r copy_gbps pingpong_ns lost_pct <<< "$probe"
  case "$state_probe" in
    copy_GBps) probe_chosen=$copy_gbps ;;
    pingpong_ns) probe_chosen=$pingpong_ns ;;
    pingpong_lost_pct) probe_chosen=$lost_pct ;;
  esac
}
for round in $(seq 1 "$rounds"); do
  for np in "${np_list[@]}"; do
    echo "== round $round/$rounds, np $np: waiting for the exclusive lock $lock" >&2
    take_lock
    count=${#systems[@]}
    for i in $(seq 0 $((count - 1))); do
      system=${systems[$(((i + round - 1) % count))]}
      case "$system" in
        ringsync:*) label=ringsync-${system#ringsync:}; run=("$root/bin/ringsync" bench --np "$np" --transport "${system#ringsync:}" --sizes "$sizes" --type "$type" --format csv) ;;
        openmpi) label=openmpi; run=("$here/run-openmpi.sh" --np "$np" --sizes "$sizes" --type "$type" --budget "$budget") ;;
        gloo) label=gloo-tcp; run=("$here/run-gloo.sh" --np "$np" --sizes "$sizes" --type "$type" --budget "$budget") ;;
      esac
      base="$out/raw/$label-np$np-round$round"
      # the host's state right before this run (and right after it, below): the states flip within seconds
      host_probe; probe_before=$probe probe_value=$probe_chosen
      run_start="$(date -u +%H:%M:%S),$(cut -d' ' -f1 /proc/loadavg)"
      echo "== round $round/$rounds, np $np: $label (host: copy $copy_gbps GB/s, ping-pong $pingpong_ns ns, $lost_pct % of it stalled)" >&2
      status=0
      timeout 900 "${run[@]}" > "$base.csv" 2> "$base.stderr" 9>&- || status=$?
      host_probe; probe_value_after=$probe_chosen
      echo "$round,$np,${label%%-*},$label,$run_start,$probe_before,$probe" >> "$out/states.csv"
      if [ "$status" -ne 0 ]; then
        failures+=("round $round, np $np, $label: exit status $status (see raw/$(basename "$base").stderr)")
        tail -5 "$base.stderr" >&2
        continue
      fi
      # the first eleven columns are the contract; anything a newer bench appends stays in raw/ only
      if [ "$(head -1 "$base.csv" | cut -d, -f1-11)" != "$header" ] || [ "$(tail -n +2 "$base.csv" | grep -c .)" != "$expected_rows" ]; then
        failures+=("round $round, np $np, $label: expected the header and $expected_rows rows (see raw/$(basename "$base").csv)")
        continue
      fi
      tail -n +2 "$base.csv" | grep . | cut -d, -f1-11 | sed "s/^/$round,${label%%-*},/; s/\$/,$probe_value,$probe_value_after/" >> "$out/combined.csv"
    done
    release_lock
  done
done

# --- host states (adds the column state to states.csv and combined.csv), charts and tables (median over rounds), then summary.md ---
if [ "$(wc -l < "$out/combined.csv")" -gt 1 ]; then
  python3 "$here/state_summary.py" --dir "$out" --probe "$state_probe" ${state_threshold:+--threshold "$state_threshold"} \
    > "$out/states.md" || failures+=("host states: state_summary.py failed")
fi
if [ "$(wc -l < "$out/combined.csv")" -gt 1 ]; then
  "$java_bin" -cp "$charts_jar" io.ringsync.bench.charts.ChartMain --in "$out/combined.csv" --out "$out" \
    --format "$format" --title "$run_date" > "$out/.charts" || failures+=("charts: ChartMain failed")
fi
{
  echo "# ringsync vs Open MPI and Gloo, $run_date"
  echo
  echo "Command (from the repository root):"
  echo
  echo '```'
  echo "$command_line"
  echo '```'
  echo
  echo "Machine:"
  echo
  sed -n '1,/^$/p' "$out/machine.txt" | grep . | grep -v '^command:' | sed 's/^/- /'
  echo
  echo "Method: $type SUM in place, $rounds round(s); in each round every system runs once per np (the"
  echo "first system rotates from round to round). Per size: a correctness check, uncounted warm-up calls, then"
  echo "timed calls (~${budget} s per size); one call's time is the slowest rank's; p50/p99/mean over those;"
  echo "algbw = bytes / mean, busbw = algbw * 2 (np - 1) / np. Figures are medians over rounds (one table:"
  echo "each system's best round). Those medians and best rounds can pair one system's fast-state runs with"
  echo "another's slow-state ones; the host-state section below counts ratios only within one state."
  echo "Open MPI: \`mpirun --mca btl self,vader\` (shared memory); Gloo: torch.distributed backend gloo over TCP"
  echo "loopback. Raw CSVs and logs: \`raw/\`; every row: \`combined.csv\`."
  echo
  if [ ${#failures[@]} -gt 0 ]; then
    echo "**Runs that failed** (left out of the tables):"
    echo
    for f in "${failures[@]}"; do echo "- $f"; done
    echo
  fi
  [ ! -s "$out/states.md" ] || cat "$out/states.md"
  if [ -f "$out/tables.md" ]; then
    echo "## Charts"
    echo
    grep '\.png$\|\.svg$' "$out/.charts" | while read -r chart; do
      c=$(basename "$chart"); echo "![${c%.*}]($c)"; echo
    done
    echo "## Tables"
    echo
    cat "$out/tables.md"
  fi
} > "$out/summary.md"
rm -f "$out/tables.md" "$out/.charts" "$out/states.md"
cat "$out/summary.md"
echo "== wrote $out" >&2
[ ${#failures[@]} -eq 0 ]
