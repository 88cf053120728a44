#!/usr/bin/env python3
"""Per size: p50 and p99 of each variant per round, and the per-round ratios new/old and new/openmpi (p50)."""
import collections
import statistics
import sys

rows = collections.defaultdict(dict)
for line in open(sys.argv[1]):
    parts = line.split()
    if len(parts) != 3:
        continue
    rnd, variant, csv = parts
    f = csv.split(',')
    size = int(f[0])
    # NetBench: bytes,type,np,transport,algorithm,iters,p50,p99,...; mpi_allreduce: same leading columns
    p50, p99 = float(f[6]), float(f[7])
    rows[size].setdefault(rnd, {})[variant] = (p50, p99)

for size in sorted(rows):
    print(f"size {size}")
    ratios_old, ratios_mpi = [], []
    for rnd in sorted(rows[size], key=int):
        v = rows[size][rnd]
        cells = "  ".join(f"{k} {v[k][0]:.1f}/{v[k][1]:.1f}" for k in ("new", "old", "openmpi") if k in v)
        line = f"  round {rnd}: {cells}"
        if "new" in v and "old" in v:
            ratios_old.append(v["new"][0] / v["old"][0])
            line += f"  new/old {ratios_old[-1]:.2f}"
        if "new" in v and "openmpi" in v:
            ratios_mpi.append(v["new"][0] / v["openmpi"][0])
            line += f"  new/openmpi {ratios_mpi[-1]:.2f}"
        print(line)
    if ratios_old:
        print(f"  median new/old {statistics.median(ratios_old):.2f}")
    if ratios_mpi:
        print(f"  median new/openmpi {statistics.median(ratios_mpi):.2f}")
