#!/usr/bin/env bash
# np 4 over shm and 2 simulated hosts over tcp (needs root): the jar with and without -Dringsync.kernels.native=false
# writes np4.csv and tcp.csv in the repository root (ab-native-np4.csv and ab-native-tcp.csv here are those files)
cd "$(dirname "$0")/../.."  # the repository root; reads /tmp/ringsync-native.jar and /tmp/bench-native.jar
J="java --add-exports java.base/jdk.internal.misc=ALL-UNNAMED -jar /tmp/ringsync-native.jar"
for r in ${NP4_ROUNDS:-1 2 3 4}; do for v in native unsafe; do off=""; [ $v = unsafe ] && off="-Dringsync.kernels.native=false"; p=$(flock -x /tmp/ringsync-bench.lock /tmp/state_probe pingpong | tail -1); out=$(JAVA_TOOL_OPTIONS="$off" flock -x /tmp/ringsync-bench.lock $J bench --np 4 --sizes 64KiB,1MiB,16MiB --columns contract 2>/dev/null | tail -n +2); p2=$(flock -x /tmp/ringsync-bench.lock /tmp/state_probe pingpong | tail -1); while read -r line; do echo "$r,$v,$p,$p2,$line"; done <<< "$out"; done; done > np4.csv
for r in 1 2; do for v in native unsafe; do env=""; [ $v = unsafe ] && env="JAVA_TOOL_OPTIONS=-Dringsync.kernels.native=false"; out=$(bench/cluster/probe.sh --layout 2x1 --sizes 64KiB,1MiB,16MiB --budget 1 --quiet-wait 0 --transport tcp --jar /tmp/bench-native.jar ${env:+--env "$env"} 2>/dev/null | grep -v "^bytes"); while read -r line; do echo "$r,$v,$line"; done <<< "$out"; done; done > tcp.csv
