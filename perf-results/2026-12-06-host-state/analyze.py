#!/usr/bin/env python3
"""Which probe of samples.csv separates the host's states and predicts ringsync's 1 MiB p50?

    python3 perf-results/2026-12-06-host-state/analyze.py perf-results/2026-12-06-host-state/samples*.csv

Per candidate probe: its range, the best split into two clusters (1-D 2-means on log values, as
bench/peers/state_summary.py does it) with the ratio of the cluster medians and the gap between the
clusters, ringsync's 1 MiB p50 median on each side of that split, and the Spearman rank correlation of
the probe with ringsync's p50 (and with the load average, which says how much of the probe is other jobs).
"""
import csv
import math
import statistics
import sys


def ranks(xs):
    order = sorted(range(len(xs)), key=lambda i: xs[i])
    r = [0.0] * len(xs)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and xs[order[j + 1]] == xs[order[i]]:
            j += 1
        for k in range(i, j + 1):
            r[order[k]] = (i + j) / 2
        i = j + 1
    return r


def spearman(xs, ys):
    rx, ry = ranks(xs), ranks(ys)
    mx, my = statistics.fmean(rx), statistics.fmean(ry)
    num = sum((a - mx) * (b - my) for a, b in zip(rx, ry))
    den = math.sqrt(sum((a - mx) ** 2 for a in rx) * sum((b - my) ** 2 for b in ry))
    return num / den if den else float("nan")


def split(xs):
    s = sorted(xs)
    logs = [math.log(v) for v in s]
    best = None
    for k in range(1, len(s)):
        lo, hi = logs[:k], logs[k:]
        cost = sum((x - statistics.fmean(lo)) ** 2 for x in lo) + sum((x - statistics.fmean(hi)) ** 2 for x in hi)
        if best is None or cost < best[0]:
            best = (cost, k)
    k = best[1]
    return s[:k], s[k:]


def main():
    rows = []
    for path in sys.argv[1:]:
        with open(path, newline="") as f:
            rows += list(csv.DictReader(f))
    rows = [r for r in rows if r["ringsync_p50_us"] and r["openmpi_p50_us"]]
    rs = [float(r["ringsync_p50_us"]) for r in rows]
    load = [float(r["load1"]) for r in rows]
    print(f"{len(rows)} samples, {rows[0]['utc']} to {rows[-1]['utc']} UTC; load1 {min(load):.1f}-{max(load):.1f} "
          f"(median {statistics.median(load):.1f}) on 2 cpus")
    print(f"ringsync 1 MiB p50: {min(rs):.0f}-{max(rs):.0f} us, median {statistics.median(rs):.0f}")
    om = [float(r["openmpi_p50_us"]) for r in rows]
    print(f"Open MPI 1 MiB p50: {min(om):.0f}-{max(om):.0f} us, median {statistics.median(om):.0f}")
    print()
    print("| probe | against | range | split: low cluster / high cluster (n) | medians ratio | gap | p50 median, low / high side | Spearman with that p50 | Spearman with load1 |")
    print("|---|---|---|---|---:|---:|---|---:|---:|")
    candidates = [(c, "ringsync_p50_us") for c in ("copy_GBps_before_ringsync", "pingpong_ns_before_ringsync",
                                                   "lost_pct_before_ringsync", "openmpi_p50_us", "steal_pct")]
    candidates += [(c, "openmpi_p50_us") for c in ("copy_GBps_before_openmpi", "pingpong_ns_before_openmpi",
                                                   "lost_pct_before_openmpi")]
    for col, target in candidates:
        have = [r for r in rows if r.get(col)]
        if not have:
            continue
        # a ping-pong of >= 100 us came from a probe in which the two threads hardly ran together (the
        # probe built before the minimum of 5 batches printed the one stalled batch; it now prints -1)
        pairs = [(float(r[col]), float(r[target]), float(r["load1"])) for r in have
                 if float(r[col]) >= 0 and not (col.startswith("pingpong") and float(r[col]) >= 100000)]
        vals = [v for v, _, _ in pairs]
        ys = [y for _, y, _ in pairs]
        loads = [x for _, _, x in pairs]
        offset = 1.0 if col.startswith("lost_pct") or col == "steal_pct" else 0.0
        if max(vals) == min(vals):
            print(f"| {col} | {target} | {min(vals):g}-{max(vals):g} | (constant: no split) | | | | | |")
            continue
        lo, hi = split([v + offset for v in vals])
        thr = math.sqrt(lo[-1] * hi[0]) - offset
        y_lo = [y for v, y in zip(vals, ys) if v < thr]
        y_hi = [y for v, y in zip(vals, ys) if v >= thr]
        print(f"| {col} | {target} | {min(vals):g}-{max(vals):g} "
              f"| {lo[0] - offset:g}-{lo[-1] - offset:g} ({len(lo)}) / {hi[0] - offset:g}-{hi[-1] - offset:g} ({len(hi)}) "
              f"| {statistics.median(hi) / statistics.median(lo):.2f} | {hi[0] / lo[-1]:.2f} "
              f"| {statistics.median(y_lo):.0f} / {statistics.median(y_hi):.0f} us "
              f"| {spearman(vals, ys):+.2f} | {spearman(vals, loads):+.2f} |")
    print()
    print("ringsync's 1 MiB p50 by the ping-pong right before and right after its run (the one before Open MPI), "
          "threshold 300 ns:")
    groups = {}
    for r in rows:
        a, b = float(r["pingpong_ns_before_ringsync"]), float(r["pingpong_ns_before_openmpi"])
        if not (0 <= a < 100000 and 0 <= b < 100000):
            continue
        key = {2: "both fast", 1: "one fast (flipped)", 0: "both slow"}[(a < 300) + (b < 300)]
        groups.setdefault(key, []).append(float(r["ringsync_p50_us"]))
    for key in ("both fast", "one fast (flipped)", "both slow"):
        xs = sorted(groups.get(key, []))
        if xs:
            under = sum(1 for x in xs if x < 100)
            print(f"  {key}: {len(xs)} runs, p50 {xs[0]:.0f}-{xs[-1]:.0f} us, median {statistics.median(xs):.0f}; "
                  f"under 100 us: {under}")
    print()
    print("Back-to-back pairs (ringsync's run, then Open MPI's) whose two probes (before ringsync, between the runs) "
          "agree, ringsync p50 / Open MPI p50; Open MPI runs that yielded (p50 over 1 ms) listed apart:")
    for state in ("fast", "slow"):
        ratios, yielded, rs_p50, om_p50 = [], 0, [], []
        for r in rows:
            a, b = float(r["pingpong_ns_before_ringsync"]), float(r["pingpong_ns_before_openmpi"])
            if not (0 <= a < 100000 and 0 <= b < 100000) or (a < 300) != (b < 300) or (a < 300) != (state == "fast"):
                continue
            rs_us, om_us = float(r["ringsync_p50_us"]), float(r["openmpi_p50_us"])
            if om_us > 1000:
                yielded += 1
                continue
            ratios.append(rs_us / om_us)
            rs_p50.append(rs_us)
            om_p50.append(om_us)
        if ratios:
            print(f"  {state}: {len(ratios)} pairs, ratio median {statistics.median(ratios):.2f} "
                  f"({min(ratios):.2f}-{max(ratios):.2f}); ringsync {min(rs_p50):.0f}-{max(rs_p50):.0f} us "
                  f"(median {statistics.median(rs_p50):.0f}), Open MPI {min(om_p50):.0f}-{max(om_p50):.0f} us "
                  f"(median {statistics.median(om_p50):.0f}); {yielded} more pairs where Open MPI yielded")
    print()
    print("Samples whose ping-pong before ringsync was under 300 ns (utc, load1, ping-pong ns, ringsync p50 us; "
          "ping-pong before Open MPI, Open MPI p50 us):")
    for r in rows:
        if 0 <= float(r["pingpong_ns_before_ringsync"]) < 300 or 0 <= float(r["pingpong_ns_before_openmpi"]) < 300:
            print(f"  {r['utc']} load {r['load1']}: {r['pingpong_ns_before_ringsync']} ns, ringsync {float(r['ringsync_p50_us']):.0f} us; "
                  f"{r['pingpong_ns_before_openmpi']} ns, Open MPI {float(r['openmpi_p50_us']):.0f} us")


if __name__ == "__main__":
    main()
