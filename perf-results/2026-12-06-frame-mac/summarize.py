#!/usr/bin/env python3
"""Medians over the repeats of run-tcp.sh output files: p50 and cpu_us per variant and size, and the ratios of
new-nosecret and new-secret to base-nosecret (p50) and new-secret to new-nosecret (p50 and cpu_us)."""
import csv
import statistics
import sys

rows = {}
for path in sys.argv[1:]:
    with open(path) as f:
        lines = [l for l in f if l.count(",") >= 12 and not l.startswith("variant")]
    for r in csv.reader(lines):
        key = (r[0], int(r[1]))
        rows.setdefault(key, []).append((float(r[7]), float(r[12]), float(r[11])))

sizes = sorted({k[1] for k in rows})
print("bytes,variant,runs,p50_us_median,p50_us_min,busbw_GBps_median,cpu_us_median")
for size in sizes:
    for variant in ("base-nosecret", "new-nosecret", "new-secret"):
        v = rows.get((variant, size), [])
        if v:
            print("%d,%s,%d,%.1f,%.1f,%.3f,%.1f" % (size, variant, len(v), statistics.median(x[0] for x in v),
                                                     min(x[0] for x in v), statistics.median(x[2] for x in v),
                                                     statistics.median(x[1] for x in v)))
print()
print("bytes,nosecret_vs_base_p50,secret_vs_nosecret_p50,secret_vs_nosecret_p50_min,secret_vs_nosecret_cpu")
for size in sizes:
    def med(variant, i):
        return statistics.median(x[i] for x in rows[(variant, size)])
    def lo(variant, i):
        return min(x[i] for x in rows[(variant, size)])
    print("%d,%.2f,%.2f,%.2f,%.2f" % (size, med("new-nosecret", 0) / med("base-nosecret", 0),
                                      med("new-secret", 0) / med("new-nosecret", 0),
                                      lo("new-secret", 0) / lo("new-nosecret", 0),
                                      med("new-secret", 1) / med("new-nosecret", 1)))
