#!/usr/bin/env python3
"""GB/s-of-input table from KernelBenchmark CSVs (JMH -rf csv): table.py jmh-jdk17.csv jmh-jdk25.csv

GB/s = ops/s x bytes / 1e9 (bytes of one input vector per operation). Also prints the largest
gc.alloc.rate.norm (B/op) seen per JDK and kernel, when the run used -prof gc.
"""
import csv
import sys

LAYOUTS = ["heap", "direct", "mapped", "mixed", "claim"]
SIZES = [65536, 1048576, 16777216]
TYPES = ["FLOAT32", "FLOAT64"]


def size_label(b):
    return f"{b >> 10} KiB" if b < 1 << 20 else f"{b >> 20} MiB"


def load(path):
    scores, alloc = {}, {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            key = (row["Param: type"], row["Param: layout"], int(row["Param: bytes"]), row["Param: kernel"])
            if row["Benchmark"].endswith(".sum"):
                gbs = float(row["Score"]) * key[2] / 1e9
                err = float(row["Score Error (99.9%)"]) * key[2] / 1e9
                scores[key] = (gbs, err)
            elif row["Benchmark"].endswith(":gc.alloc.rate.norm"):
                alloc[key] = float(row["Score"])
    return scores, alloc


def main(paths):
    runs = [(p.split("jdk")[-1].split(".")[0], *load(p)) for p in paths]
    head = "| type | layout | size |"
    rule = "|---|---|---:|"
    for jdk, _, _ in runs:
        head += f" JDK {jdk} scalar | JDK {jdk} vector | speedup |"
        rule += "---:|---:|---:|"
    print(head)
    print(rule)
    for t in TYPES:
        for layout in LAYOUTS:
            for size in SIZES:
                line = f"| {t.lower()} | {layout} | {size_label(size)} |"
                for _, scores, _ in runs:
                    s = scores.get((t, layout, size, "scalar"))
                    v = scores.get((t, layout, size, "vector"))
                    if s and v:
                        line += f" {s[0]:.1f} ± {s[1]:.1f} | {v[0]:.1f} ± {v[1]:.1f} | **{v[0] / s[0]:.2f}x** |"
                    else:
                        line += " - | - | - |"
                print(line)
    print()
    # the profiler's own background allocation (~constant MB/s) divides by ops/s, so it grows with the size
    print("| JDK | kernel | " + " | ".join(f"max B/op at {size_label(s)}" for s in SIZES) + " |")
    print("|---|---|" + "---:|" * len(SIZES))
    for jdk, _, alloc in runs:
        for kernel in ["scalar", "vector"]:
            cells = []
            for size in SIZES:
                values = [v for k, v in alloc.items() if k[3] == kernel and k[2] == size]
                cells.append(f"{max(values):.3f}" if values else "-")
            print(f"| {jdk} | {kernel} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main(sys.argv[1:])
