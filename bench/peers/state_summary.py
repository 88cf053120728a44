#!/usr/bin/env python3
"""Host state of each run of bench/peers/compare.sh, and ringsync / peer ratios counted per state.

    state_summary.py --dir OUT [--probe copy_GBps|pingpong_ns|pingpong_lost_pct] [--threshold X]

Reads OUT/states.csv (one row per run: round,np,system,label,utc,load1, then copy_GBps,pingpong_ns,
pingpong_lost_pct taken right before the run and the same three with _after taken right after it) and
OUT/combined.csv (with the columns state_probe and state_probe_after). Classifies every run as fast or slow
(flipped when the probes before and after it disagree, unknown when neither gave a figure), writes the class
into both files (column state), and prints a Markdown section for summary.md: the rule, every run's probes
and state, and per np, ringsync transport, peer and size the ratios ringsync p50 / peer p50 of the
back-to-back pairs of one round whose two runs met the same state (count of pairs and median ratio per
state). A pair whose runs met different states (or one of them flipped or unknown) is listed as mixed and
not counted. Standard library only.

Classification: with a number for --threshold, a probe reading is fast when it is on the fast side of it
(copy_GBps: at or above; pingpong_ns and pingpong_lost_pct: at or below). The default for pingpong_ns is
DEFAULT_PINGPONG_NS, measured on the 2-vCPU AMD EPYC VMs of perf-results/2026-12-06-host-state (fast
115-161 ns, slow 550-1364 ns), so a session that stays in one state is still named fast or slow. With
--threshold auto (the default for the other probes) the readings are split into two clusters where the
split leaves the least squared deviation of log(value) around the two cluster means (1-D 2-means, exact
over the sorted values); the split is taken only when the gap between the clusters (lowest reading of the
upper one / highest of the lower one) is at least MIN_GAP: there the two states differed 3.4x, while
readings inside one state never differed by more than 1.41x from one to the next. Otherwise every run
counts as one state ("one": the probe did not see a change).
"""
import argparse
import csv
import math
import os
import statistics
import sys

# probe column -> True when a higher value means the faster state
PROBES = {"copy_GBps": True, "pingpong_ns": False, "pingpong_lost_pct": False}
MIN_GAP = 2.0
DEFAULT_PINGPONG_NS = 300.0


def split_two(values, offset=0.0):
    """The threshold between two clusters of values, or None when they do not form two clusters.

    Works on v + offset (offset 1 for a percentage, which can be 0), on a log scale."""
    xs = sorted(v + offset for v in values if v + offset > 0)
    if len(xs) < 2:
        return None
    logs = [math.log(v) for v in xs]
    best = None
    for k in range(1, len(logs)):
        lo, hi = logs[:k], logs[k:]
        cost = sum((x - statistics.fmean(lo)) ** 2 for x in lo) + sum((x - statistics.fmean(hi)) ** 2 for x in hi)
        if best is None or cost < best[0]:
            best = (cost, k)
    k = best[1]
    lo, hi = xs[:k], xs[k:]
    if hi[0] / lo[-1] < MIN_GAP:
        return None
    return math.sqrt(lo[-1] * hi[0]) - offset  # geometric midpoint of the gap


def read_csv(path):
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        rows = list(reader)
        return rows, list(reader.fieldnames or [])


def write_csv(path, rows, fields):
    tmp = path + ".tmp"
    with open(tmp, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    os.replace(tmp, path)


def fmt_size(b):
    b = int(b)
    for unit, n in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if b >= n and b % n == 0:
            return f"{b // n} {unit}"
    return f"{b} B"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", required=True)
    ap.add_argument("--probe", default="pingpong_ns", choices=sorted(PROBES))
    ap.add_argument("--threshold", default="", help="a number, or auto (default: %g for pingpong_ns, auto "
                    "otherwise)" % DEFAULT_PINGPONG_NS)
    a = ap.parse_args()
    states_path, combined_path = os.path.join(a.dir, "states.csv"), os.path.join(a.dir, "combined.csv")
    runs, run_fields = read_csv(states_path)
    higher_fast = PROBES[a.probe]

    def value(run, suffix=""):
        try:
            return float(run[a.probe + suffix])
        except (KeyError, ValueError, TypeError):
            return -1.0

    offset = 1.0 if a.probe == "pingpong_lost_pct" else 0.0
    values = [value(r, sfx) for r in runs for sfx in ("", "_after") if value(r, sfx) >= 0]
    if a.threshold not in ("", "auto"):
        threshold, how = float(a.threshold), f"the threshold {float(a.threshold):g} given with --state-threshold"
    elif a.threshold == "" and a.probe == "pingpong_ns":
        threshold, how = DEFAULT_PINGPONG_NS, (
            f"the default threshold {DEFAULT_PINGPONG_NS:g} ns (measured on the 2-vCPU AMD EPYC VMs of "
            "perf-results/2026-12-06-host-state; on another machine pass --state-threshold X or auto)")
    else:
        threshold = split_two(values, offset)
        how = ("a split of the probe values into two clusters (1-D 2-means on log values" +
               (" + 1" if offset else "") + f"; taken only when the gap between the clusters is {MIN_GAP:g}x "
               "or more)")
    unit = {"copy_GBps": "GB/s", "pingpong_ns": "ns", "pingpong_lost_pct": "%"}[a.probe]
    def classify(v):
        if v < 0 or (v == 0 and offset == 0):
            return "unknown"
        if threshold is None:
            return "one"
        return "fast" if (v >= threshold if higher_fast else v <= threshold) else "slow"

    # a run's state: what the probes right before and right after it agree on; "flipped" when they
    # disagree (the host changed state around or during the run), the one known side when the other failed
    for r in runs:
        before, after = classify(value(r)), classify(value(r, "_after"))
        if before == after or after == "unknown":
            r["state"] = before
        elif before == "unknown":
            r["state"] = after
        else:
            r["state"] = "flipped"
    if "state" not in run_fields:
        run_fields.append("state")
    write_csv(states_path, runs, run_fields)

    # a run is ringsync-<transport> for ringsync and the peer's system name (openmpi, gloo) otherwise:
    # combined.csv names the system and the transport, states.csv the system and compare.sh's label
    def run_key(system, label_or_transport, is_label):
        if system != "ringsync":
            return system
        return label_or_transport if is_label else "ringsync-" + label_or_transport

    state_of = {(r["round"], r["np"], run_key(r["system"], r["label"], True)): r["state"] for r in runs}
    rows, fields = read_csv(combined_path)

    def label(row):
        return run_key(row["system"], row["transport"], False)

    for row in rows:
        row["state"] = state_of.get((row["round"], row["np"], label(row)), "unknown")
    if "state" not in fields:
        fields.append("state")
    write_csv(combined_path, rows, fields)

    out = []
    p = out.append
    p("## Host state: ratios from back-to-back pairs in the same state")
    p("")
    direction = "higher is faster" if higher_fast else "lower is faster"
    what = {"copy_GBps": "best of 3 memcpy passes of 64 MiB, GB/s",
            "pingpong_ns": "cross-core cache-line round trip, cpu 0 <-> cpu 1, median batch, ns",
            "pingpong_lost_pct": "share of a 0.15 s cross-core ping-pong lost to stalls, %"}[a.probe]
    p(f"Right before and right after each run, `state_probe` (bench/peers/state_probe.c) measured the host: `{a.probe}` "
      f"({what}; {direction}). They are the `state_probe` and `state_probe_after` columns of `combined.csv`; `states.csv` has all three probe "
      "figures (copy_GBps, pingpong_ns, pingpong_lost_pct) and the load average per run.")
    if a.probe == "pingpong_ns":
        p("For reference, on the 2-vCPU AMD EPYC (family 26 model 2) VM of perf-results/2026-12-06-host-state "
          "the fast state read 115-161 ns and the slow one 550-1364 ns.")
    if values:
        lo, hi = min(values), max(values)
        p(f"Probe values: {lo:g} to {hi:g} {unit} ({len(values)} probes, {len(runs)} runs).")
    if threshold is None:
        p(f"Classified by {how}: **no split**: the values do not form two clusters, so every run counts as "
          "one state (`one`).")
    else:
        side = ">=" if higher_fast else "<="
        p(f"Classified by {how}: **fast when {a.probe} {side} {threshold:.3g} {unit}**, slow otherwise.")
    p("")
    p("A run's state is the class of both probes, right before and right after it; a run whose two probes "
      "disagree is `flipped` (the host changed state around it) and its pairs are not counted.")
    p("")
    p(f"| round | np | run | {a.probe} before / after | ping-pong lost to stalls before / after, % | load1 | state |")
    p("|---:|---:|---|---:|---:|---:|---|")
    for r in runs:
        p(f"| {r['round']} | {r['np']} | {r['label']} | {r.get(a.probe, '')} / {r.get(a.probe + '_after', '')} "
          f"| {r.get('pingpong_lost_pct', '')} / {r.get('pingpong_lost_pct_after', '')} "
          f"| {r.get('load1', '')} | {r['state']} |")
    p("")

    # pairs: in one round and np, each ringsync transport's run against each peer's run (back to back: the
    # round holds the bench lock from its first run to its last)
    by_key = {}
    for row in rows:
        by_key[(row["round"], row["np"], label(row), row["bytes"])] = row
    ringsync_labels = sorted({label(r) for r in rows if r["system"] == "ringsync"})
    peer_labels = sorted({label(r) for r in rows if r["system"] != "ringsync"})
    rounds = sorted({r["round"] for r in rows}, key=int)
    nps = sorted({r["np"] for r in rows}, key=int)
    sizes = sorted({r["bytes"] for r in rows}, key=int)
    state_names = ["one"] if threshold is None else ["fast", "slow"]
    if not peer_labels:
        p("No peer ran, so there are no pairs.")
        print("\n".join(out))
        return
    p("Each cell: pairs counted, median of ringsync p50 / peer p50 over them (range). A pair is ringsync's "
      "run and the peer's run of one round at one np; it counts only when both runs met the same state "
      "(not flipped, not unknown).")
    p("")
    head = "| np | ringsync | peer | size | " + " | ".join(state_names) + " | mixed or unknown: not counted |"
    p(head)
    p("|---:|---|---|---:|" + "---:|" * len(state_names) + "---:|")
    mixed_list = []
    for np_ in nps:
        for rl in ringsync_labels:
            for pl in peer_labels:
                for b in sizes:
                    ratios = {s: [] for s in state_names}
                    mixed = 0
                    for rd in rounds:
                        r1, r2 = by_key.get((rd, np_, rl, b)), by_key.get((rd, np_, pl, b))
                        if not r1 or not r2:
                            continue
                        s1, s2 = r1["state"], r2["state"]
                        ratio = float(r1["p50_us"]) / float(r2["p50_us"])
                        if s1 == s2 and s1 in ratios:
                            ratios[s1].append(ratio)
                        else:
                            mixed += 1
                            mixed_list.append(f"round {rd}, np {np_}, {fmt_size(b)}: {rl} {s1}, {pl} {s2} "
                                              f"(ratio {ratio:.2f}x, not counted)")
                    cells = []
                    for s in state_names:
                        xs = ratios[s]
                        if not xs:
                            cells.append("0")
                        elif len(xs) == 1:
                            cells.append(f"1: {xs[0]:.2f}x")
                        else:
                            cells.append(f"{len(xs)}: {statistics.median(xs):.2f}x ({min(xs):.2f}-{max(xs):.2f})")
                    p(f"| {np_} | {rl} | {pl} | {fmt_size(b)} | " + " | ".join(cells) + f" | {mixed} |")
    p("")
    if mixed_list:
        p("Mixed pairs (the two runs met different states, or one of them flipped or is unknown; left out of the counts above):")
        p("")
        for m in dict.fromkeys(mixed_list):
            p(f"- {m}")
        p("")
    print("\n".join(out))


if __name__ == "__main__":
    sys.exit(main())
