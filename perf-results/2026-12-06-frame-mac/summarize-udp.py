#!/usr/bin/env python3
"""Medians and minimums over the rounds of run-udp.sh output files: p50 and rank CPU per call (both ranks'
mean) per variant and size, and the ratios udp-mac / udp-nomac."""
import csv
import statistics
import sys

rows = {}
for path in sys.argv[1:]:
    with open(path) as f:
        lines = [l for l in f if l.startswith("udp-")]
    for r in csv.reader(lines):
        cpu = [float(x) for x in r[13].split(";")]
        rows.setdefault((r[0], int(r[2])), []).append((float(r[8]), statistics.mean(cpu), float(r[10])))

sizes = sorted({k[1] for k in rows})
print("bytes,variant,rounds,p50_us_median,p50_us_min,p50_us_max,mean_us_median,rank_cpu_us_median")
for size in sizes:
    for variant in ("udp-nomac", "udp-mac"):
        v = rows.get((variant, size), [])
        if v:
            print("%d,%s,%d,%.1f,%.1f,%.1f,%.1f,%.1f" % (size, variant, len(v), statistics.median(x[0] for x in v),
                                                       min(x[0] for x in v), max(x[0] for x in v),
                                                       statistics.median(x[2] for x in v),
                                                       statistics.median(x[1] for x in v)))
print()
print("bytes,mac_vs_nomac_p50_median,mac_vs_nomac_p50_min,mac_vs_nomac_rank_cpu_median,extra_rank_cpu_us_median")
for size in sizes:
    def med(variant, i):
        return statistics.median(x[i] for x in rows[(variant, size)])
    def lo(variant, i):
        return min(x[i] for x in rows[(variant, size)])
    print("%d,%.2f,%.2f,%.2f,%.0f" % (size, med("udp-mac", 0) / med("udp-nomac", 0), lo("udp-mac", 0) / lo("udp-nomac", 0),
                                  med("udp-mac", 1) / med("udp-nomac", 1), med("udp-mac", 1) - med("udp-nomac", 1)))
