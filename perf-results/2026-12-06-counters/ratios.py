#!/usr/bin/env python3
"""p50, mean and CPU time per call (both ranks) of new / old per round and size from run.sh's raw.csv, and their medians."""
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
by = {}
for r in rows:
    by.setdefault((int(r["bytes"]), int(r["round"])), {})[r["jar"]] = r
for size in sorted({k[0] for k in by}):
    p50s, means, cpus = [], [], []
    print(f"{size} bytes")
    for (s, rnd), pair in sorted(by.items()):
        if s != size or len(pair) != 2:
            continue
        o, n = pair["old"], pair["new"]
        rp = float(n["p50_us"]) / float(o["p50_us"])
        rm = float(n["mean_us"]) / float(o["mean_us"])
        cpu = lambda r: sum(float(x) for x in r["rank_cpu_us"].split(";"))
        rc = cpu(n) / cpu(o)
        p50s.append(rp); means.append(rm); cpus.append(rc)
        print(f"  round {rnd}: p50 old {o['p50_us']} new {n['p50_us']} ratio {rp:.3f}; mean old {o['mean_us']} new {n['mean_us']} ratio {rm:.3f}; rank cpu us old {cpu(o):.2f} new {cpu(n):.2f} ratio {rc:.3f}")
    print(f"  median ratio p50 {statistics.median(p50s):.3f}  mean {statistics.median(means):.3f}  rank cpu {statistics.median(cpus):.3f}  (rounds {len(p50s)})")
