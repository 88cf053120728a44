#!/usr/bin/env python3
"""Median over rounds of p50 and p99 per (np, transport, idle, path, bytes) from raw-*.csv; prints a markdown table
with the small-vector path's p50 as a ratio of the ring's p50 (below 1: the small path is faster)."""
import csv, glob, os, statistics, sys
from collections import defaultdict

here = os.path.dirname(os.path.abspath(__file__))
files = sys.argv[1:] or sorted(glob.glob(os.path.join(here, "raw-*.csv")))
p50, p99 = defaultdict(list), defaultdict(list)
for f in files:
    for row in csv.DictReader(open(f)):
        key = (int(row["np"]), row["transport"], row["idle"], row["algorithm"], int(row["bytes"]))
        p50[key].append(float(row["p50_us"]))
        p99[key].append(float(row["p99_us"]))
print("| np | transport | idle | bytes | small p50 (us) | ring p50 (us) | small / ring | small p99 | ring p99 | rounds |")
print("|---:|---|---|---:|---:|---:|---:|---:|---:|---:|")
for (np, tr, idle, alg, b) in sorted(k for k in p50 if k[3] == "small"):
    ring = (np, tr, idle, "ring", b)
    if ring not in p50:
        continue
    s, r = statistics.median(p50[(np, tr, idle, alg, b)]), statistics.median(p50[ring])
    print(f"| {np} | {tr} | {idle} | {b} | {s:.2f} | {r:.2f} | {s / r:.2f} | "
          f"{statistics.median(p99[(np, tr, idle, alg, b)]):.1f} | {statistics.median(p99[ring]):.1f} | "
          f"{len(p50[ring])} |")
