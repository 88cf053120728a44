#!/usr/bin/env python3
"""summarize.py DIR: DIR/raw/np<N>-round<R>-<system>.csv -> DIR/combined.csv and DIR/summary.md.

Per np, system and size: the median over rounds of p50 and p99, and the p50 range. Ratios ringsync / Gloo (and tcp /
udp) are taken round by round (both measured in the same round, minutes apart at most), then the median and range
of those per-round ratios are shown, so a host that changed state between rounds does not pair one system's fast
round with another's slow one.
"""
import csv
import glob
import os
import re
import statistics
import sys

out = sys.argv[1]
rows = []
for path in sorted(glob.glob(os.path.join(out, "raw", "np*-round*-*.csv"))):
    match = re.match(r"np(\d+)-round(\d+)-(.+)\.csv", os.path.basename(path))
    np_, round_, system = int(match.group(1)), int(match.group(2)), match.group(3)
    with open(path) as f:
        for row in csv.DictReader(line for line in f if line.strip() and not line.startswith("NetBench")):
            if not row.get("bytes", "").isdigit():
                continue
            row = dict(row, round=round_, system=system)
            rows.append(row)

columns = ["round", "system", "bytes", "type", "np", "transport", "algorithm", "iters", "p50_us", "p99_us",
           "mean_us", "algbw_GBps", "busbw_GBps"]
with open(os.path.join(out, "combined.csv"), "w", newline="") as f:
    writer = csv.DictWriter(f, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    for row in sorted(rows, key=lambda r: (int(r["np"]), int(r["bytes"]), r["system"], r["round"])):
        writer.writerow(row)

def size_name(b):
    b = int(b)
    return f"{b >> 20} MiB" if b >= 1 << 20 else f"{b >> 10} KiB" if b >= 1 << 10 else f"{b} B"

index = {}
for r in rows:
    index[(int(r["np"]), r["system"], int(r["bytes"]), r["round"])] = r
nps = sorted({k[0] for k in index})
systems = [s for s in ["tcp", "tcp-epoll", "tcp-mac", "tcp-tls", "udp", "gloo"] if any(k[1] == s for k in index)]
sizes = sorted({k[2] for k in index})
rounds = sorted({k[3] for k in index})

lines = ["# AllReduce float32 SUM between simulated hosts: ringsync tcp / udp against Gloo", ""]
machine = os.path.join(out, "machine.txt")
if os.path.exists(machine):
    lines += ["```", open(machine).read().strip(), "```", ""]
lines += ["One rank per simulated host (network namespace, veth pair on a bridge). Times in microseconds; one "
          "call's time is the slowest rank's. Every system ran once per round, rounds alternated in one session.", ""]

for n in nps:
    lines += [f"## {n} hosts", "", "### p50 / p99 (median over rounds; p50 range over rounds)", "",
              "| size | " + " | ".join(systems) + " |", "|---|" + "---|" * len(systems)]
    for b in sizes:
        cells = []
        for s in systems:
            vals = [index[(n, s, b, r)] for r in rounds if (n, s, b, r) in index]
            if not vals:
                cells.append("-")
                continue
            p50 = [float(v["p50_us"]) for v in vals]
            p99 = [float(v["p99_us"]) for v in vals]
            cells.append(f"{statistics.median(p50):,.1f} / {statistics.median(p99):,.1f} "
                         f"({min(p50):,.1f}-{max(p50):,.1f})")
        lines.append(f"| {size_name(b)} | " + " | ".join(cells) + " |")
    lines.append("")
    pairs = [(a, "gloo") for a in ("tcp", "tcp-epoll", "udp") if a in systems and "gloo" in systems]
    if "tcp" in systems and "udp" in systems:
        pairs.append(("tcp", "udp"))
    # what the protection costs: each protected run against the unprotected one of its round
    pairs += [(a, "tcp") for a in ("tcp-mac", "tcp-tls") if a in systems and "tcp" in systems]
    if pairs:
        lines += ["### p50 ratios, round by round (median, range over rounds)", "",
                  "| size | " + " | ".join(f"{a} / {b}" for a, b in pairs) + " |", "|---|" + "---|" * len(pairs)]
        for b in sizes:
            cells = []
            for a, c in pairs:
                ratios = [float(index[(n, a, b, r)]["p50_us"]) / float(index[(n, c, b, r)]["p50_us"])
                          for r in rounds if (n, a, b, r) in index and (n, c, b, r) in index
                          and float(index[(n, c, b, r)]["p50_us"]) > 0]
                cells.append(f"{statistics.median(ratios):.2f}x ({min(ratios):.2f}-{max(ratios):.2f})"
                             if ratios else "-")
            lines.append(f"| {size_name(b)} | " + " | ".join(cells) + " |")
        lines.append("")

missing = [f"np{n} {s} round {r}" for n in nps for s in systems for r in rounds
           if not any((n, s, b, r) in index for b in sizes)]
if missing:
    lines += ["Runs without rows (see raw/*.stderr): " + ", ".join(missing), ""]
with open(os.path.join(out, "summary.md"), "w") as f:
    f.write("\n".join(lines) + "\n")
print("\n".join(lines))
