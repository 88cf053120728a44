#!/usr/bin/env python3
"""foreign-cpu.py: how much CPU other work took while a benchmark ran, on a machine shared with other jobs.

    foreign-cpu.py snapshot FILE            # before the run: every process's CPU time and the machine's busy time
    foreign-cpu.py delta FILE NETNS...      # after it: CPU seconds of processes outside the given network
                                            # namespaces (by name under /run/netns) since the snapshot, and their
                                            # share of all CPUs over the wall time between the two calls

A process counts with its CPU time since the snapshot (since its start if it started later); one that started and
ended between the two calls is missed, so the figure is a floor. Prints one line:
    foreign cpu during the run: 12.3 % of 2 cpus (2.46 s over 10.0 s), machine busy 88.0 %
"""
import json
import os
import sys
import time

TICK = os.sysconf("SC_CLK_TCK")


def processes():
    out = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            # after the name: state(0) ... utime(11) stime(12) ... starttime(19)
            cpu = (int(fields[11]) + int(fields[12])) / TICK
            out[pid] = (fields[19], cpu)
        except (OSError, IndexError, ValueError):
            continue
    return out


def busy():
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:9]]
    return sum(values) - values[3] - values[4], sum(values)


def netns_inode(path):
    try:
        return os.stat(path).st_ino
    except OSError:
        return None


def main():
    mode, path = sys.argv[1], sys.argv[2]
    if mode == "snapshot":
        with open(path, "w") as f:
            json.dump({"time": time.monotonic(), "procs": processes(), "busy": busy()}, f)
        return
    with open(path) as f:
        before = json.load(f)
    ours = {netns_inode(f"/run/netns/{name}") for name in sys.argv[3:]} - {None}
    now = processes()
    wall = time.monotonic() - before["time"]
    foreign = 0.0
    for pid, (start, cpu) in now.items():
        if pid == str(os.getpid()):
            continue
        try:
            if os.stat(f"/proc/{pid}/ns/net").st_ino in ours:
                continue
        except OSError:
            continue
        earlier = before["procs"].get(pid)
        foreign += cpu - (earlier[1] if earlier and earlier[0] == start else 0.0)
    b0, t0 = before["busy"]
    b1, t1 = busy()
    cpus = os.cpu_count() or 1
    share = 100 * foreign / (wall * cpus) if wall > 0 else 0
    machine = 100 * (b1 - b0) / (t1 - t0) if t1 > t0 else 0
    print(f"foreign cpu during the run: {share:.1f} % of {cpus} cpus ({foreign:.2f} s over {wall:.1f} s), "
          f"machine busy {machine:.1f} %")


if __name__ == "__main__":
    main()
