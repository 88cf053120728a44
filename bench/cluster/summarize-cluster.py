#!/usr/bin/env python3
"""summarize-cluster.py DIR: DIR/raw/<cap>-h<H>x<L>-round<R>-<system>.csv -> DIR/combined.csv and DIR/summary.md.

For each cap (none, 10gbit, 1gbit, ...) and layout (H hosts x L ranks per host): the median over rounds of p50 and
p99 per system and size, with the wire time of the cap as the limit (the flat ring's bytes over one host's link,
2 (n-1)/n S; and the least any AllReduce must send out of a host, 2 (H-1)/H S), then the ratios ringsync / peer
taken round by round (both measured in the same round, minutes apart at most), their median and range. The CPU idle
share found before each run (first line of raw/*.stderr) is summed up at the top.
"""
import csv
import glob
import os
import re
import statistics
import sys

out = sys.argv[1]
PEERS = ["gloo", "openmpi"]
COLUMNS = ["bytes", "type", "np", "transport", "algorithm", "iters", "p50_us", "p99_us", "mean_us", "algbw_GBps",
           "busbw_GBps"]
rows, idles, failures, foreign = [], [], [], {}
for path in sorted(glob.glob(os.path.join(out, "raw", "*.csv"))):
    match = re.match(r"(.+)-h(\d+)x(\d+)-round(\d+)-(.+)\.csv$", os.path.basename(path))
    if not match:
        continue
    cap, hosts, per, round_, system = match.group(1), int(match.group(2)), int(match.group(3)), int(match.group(4)), \
        match.group(5)
    stderr = path[:-4] + ".stderr"
    if os.path.exists(stderr):
        text = open(stderr, errors="replace").read()
        found = re.search(r"cpu idle before the run: (\d+) %", text)
        if found:
            idles.append(int(found.group(1)))
        share = re.search(r"foreign cpu during the run: ([\d.]+) %", text)
        if share:
            foreign[(cap, hosts, per, round_, system)] = float(share.group(1))
        status = re.search(r"exit status: (\d+)", text)
        if status and status.group(1) != "0":
            failures.append(f"{cap} h{hosts}x{per} round {round_} {system} (exit {status.group(1)})")
    with open(path) as f:
        for row in csv.DictReader(line for line in f if line.strip() and line[0].isdigit() or line.startswith("bytes")):
            if not row.get("bytes", "").isdigit():
                continue
            rows.append(dict(row, cap=cap, hosts=hosts, per_host=per, round=round_, system=system))

with open(os.path.join(out, "combined.csv"), "w", newline="") as f:
    writer = csv.DictWriter(f, fieldnames=["cap", "hosts", "per_host", "round", "system"] + COLUMNS,
                            extrasaction="ignore")
    writer.writeheader()
    for row in sorted(rows, key=lambda r: (r["cap"], r["hosts"], r["per_host"], int(r["bytes"]), r["system"],
                                           r["round"])):
        writer.writerow(row)


def rate_bits(cap):
    match = re.fullmatch(r"(\d+(?:\.\d+)?)([kmg]?)bit", cap.lower())
    if not match:
        return None
    return float(match.group(1)) * {"": 1, "k": 1e3, "m": 1e6, "g": 1e9}[match.group(2)]


def wire_us(cap, hosts, per, nbytes):
    """(flat ring, any algorithm) wire time in us of one AllReduce over links capped at `cap`, payload bytes only."""
    rate = rate_bits(cap)
    if rate is None or hosts < 2:
        return None, None
    n = hosts * per
    ring = 2 * (n - 1) / n * nbytes * 8 / rate * 1e6
    bound = 2 * (hosts - 1) / hosts * nbytes * 8 / rate * 1e6
    return ring, bound


def size_name(b):
    return f"{b >> 20} MiB" if b >= 1 << 20 else f"{b >> 10} KiB" if b >= 1 << 10 else f"{b} B"


def cap_order(cap):
    rate = rate_bits(cap)
    return -1 if rate is None else -rate


index = {(r["cap"], r["hosts"], r["per_host"], r["system"], int(r["bytes"]), r["round"]): r for r in rows}
caps = sorted({k[0] for k in index}, key=cap_order)
layouts = sorted({(k[1], k[2]) for k in index}, key=lambda l: (l[0] * l[1], l[0]))
order = ["tcp", "udp"]
systems_all = sorted({k[3] for k in index}, key=lambda s: (s in PEERS, order.index(s) if s in order else 9, s))

lines = ["# AllReduce float32 SUM between simulated hosts: ringsync against Gloo and Open MPI over TCP", ""]
machine = os.path.join(out, "machine.txt")
if os.path.exists(machine):
    head = open(machine).read().split("\n\n")[0].strip()
    lines += ["```", head, "```", ""]
if idles:
    lines += [f"CPU idle share found before each run (over 1 s, after waiting up to --quiet-wait for >= 85 %): "
              f"median {statistics.median(idles)} %, min {min(idles)} %, {sum(i >= 85 for i in idles)} of "
              f"{len(idles)} runs at 85 % or more.", ""]
if foreign:
    shares = list(foreign.values())
    busy = sorted(((v, k) for k, v in foreign.items() if v >= 20), reverse=True)
    lines += [f"CPU share other jobs took during the runs (processes outside the simulated hosts, a floor: "
              f"bench/cluster/foreign-cpu.py): median {statistics.median(shares):.0f} %, max {max(shares):.0f} %; "
              f"{len(busy)} of {len(shares)} runs at 20 % or more" +
              (": " + ", ".join(f"{k[0]} h{k[1]}x{k[2]} round {k[3]} {k[4]} {v:.0f} %" for v, k in busy) if busy
               else "") + ".", ""]
lines += ["Each host is a network namespace (veth on a bridge, MTU 1500) with its own hostname and /dev/shm; all hosts "
          "share this machine's CPUs. Times in microseconds; one call's time is the slowest rank's. Every system ran "
          "once per round, the order rotated per round. `wire` is the time the cap needs for the flat ring's bytes "
          "over one host's link, 2 (n-1)/n S / rate, payload only (TCP/IP and Ethernet headers add about 4.6 % at "
          "MTU 1500); `bound` is the least any AllReduce must send out of one host, 2 (H-1)/H S / rate.", ""]
if failures:
    lines += ["Runs that failed (see raw/*.stderr): " + ", ".join(failures), ""]

for cap in caps:
    lines += [f"## cap: {cap}", ""]
    for hosts, per in layouts:
        systems = [s for s in systems_all if any(k[:4] == (cap, hosts, per, s) for k in index)]
        if not systems:
            continue
        sizes = sorted({k[4] for k in index if k[:3] == (cap, hosts, per)})
        rounds = sorted({k[5] for k in index if k[:3] == (cap, hosts, per)})
        capped = rate_bits(cap) is not None
        lines += [f"### {hosts} hosts x {per} rank{'s' if per > 1 else ''} per host (np {hosts * per}), "
                  f"{len(rounds)} rounds", "",
                  "p50 / p99, median over rounds (p50 range over rounds)", "",
                  "| size | " + " | ".join(systems) + (" | wire (ring) | bound |" if capped else " |"),
                  "|---|" + "---|" * (len(systems) + (2 if capped else 0))]
        for b in sizes:
            cells = []
            for s in systems:
                vals = [index[(cap, hosts, per, s, b, r)] for r in rounds if (cap, hosts, per, s, b, r) in index]
                if not vals:
                    cells.append("-")
                    continue
                p50 = [float(v["p50_us"]) for v in vals]
                p99 = [float(v["p99_us"]) for v in vals]
                cells.append(f"{statistics.median(p50):,.1f} / {statistics.median(p99):,.1f} "
                             f"({min(p50):,.1f}-{max(p50):,.1f})")
            if capped:
                ring, bound = wire_us(cap, hosts, per, b)
                cells += [f"{ring:,.1f}", f"{bound:,.1f}"]
            lines.append(f"| {size_name(b)} | " + " | ".join(cells) + " |")
        lines.append("")
        ours = [s for s in systems if s not in PEERS]
        pairs = [(a, p) for a in ours for p in PEERS if p in systems]
        # ringsync's variants against each other: host-aware against the flat ring, bfloat16 against float32
        pairs += [(a, p) for a, p in [("tcp-auto", "tcp-flat"), ("tcp-bf16", "tcp-auto")] if a in systems and p in systems]
        if pairs:
            lines += ["p50 ratios ringsync / peer (and between ringsync's variants), round by round: median (range)",
                      "",
                      "| size | " + " | ".join(f"{a} / {p}" for a, p in pairs) +
                      (" | tcp p50 / wire |" if capped and "tcp" in systems else " |"),
                      "|---|" + "---|" * (len(pairs) + (1 if capped and "tcp" in systems else 0))]
            for b in sizes:
                cells = []
                for a, p in pairs:
                    ratios = [float(index[(cap, hosts, per, a, b, r)]["p50_us"]) /
                              float(index[(cap, hosts, per, p, b, r)]["p50_us"])
                              for r in rounds if (cap, hosts, per, a, b, r) in index
                              and (cap, hosts, per, p, b, r) in index
                              and float(index[(cap, hosts, per, p, b, r)]["p50_us"]) > 0]
                    cells.append(f"{statistics.median(ratios):.2f}x ({min(ratios):.2f}-{max(ratios):.2f})"
                                 if ratios else "-")
                if capped and "tcp" in systems:
                    ring, _ = wire_us(cap, hosts, per, b)
                    vals = [float(index[(cap, hosts, per, "tcp", b, r)]["p50_us"]) for r in rounds
                            if (cap, hosts, per, "tcp", b, r) in index]
                    cells.append(f"{statistics.median(vals) / ring:.2f}" if vals else "-")
                lines.append(f"| {size_name(b)} | " + " | ".join(cells) + " |")
            lines.append("")

with open(os.path.join(out, "summary.md"), "w") as f:
    f.write("\n".join(lines) + "\n")
print("\n".join(lines))
