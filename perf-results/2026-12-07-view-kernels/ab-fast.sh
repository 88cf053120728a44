#!/usr/bin/env bash
# waits for the host's fast state (ping-pong <= 300 ns), then runs one round of ab-final.sh; up to 3 such rounds
end=$(( $(date +%s) + ${1:-1500} )); done_rounds=0
while [ $(date +%s) -lt $end ] && [ $done_rounds -lt ${ROUNDS:-3} ]; do
  pp=$(flock -x /tmp/ringsync-bench.lock "${STATE_PROBE:-/tmp/state_probe}" | tail -1 | cut -d, -f2)
  if [ "$pp" -gt 300 ]; then sleep 20; continue; fi
  done_rounds=$((done_rounds + 1))
  FIRST=$done_rounds LAST=$done_rounds "$(dirname "$0")/ab-final.sh"
done
