#!/usr/bin/env python3
"""Median over rounds of each configuration's p50 (and p99) per np and size, from a sweep CSV."""
import collections
import csv
import statistics
import sys

rows = [r for r in csv.DictReader(open(sys.argv[1])) if r.get('p50_us') not in (None, '')]
keys = ('chunk_kib', 'slots', 'reserve')
cells = collections.defaultdict(lambda: collections.defaultdict(list))
for r in rows:
    config = tuple(r[k] for k in keys)
    cells[(r['np'], r['bytes'])][config].append((float(r['p50_us']), float(r['p99_us'])))
sizes = sorted({int(b) for _, b in cells})
configs = sorted({c for v in cells.values() for c in v}, key=lambda c: (int(c[0]), int(c[1]), float(c[2])))
print('| np | chunk KiB | slots | reserve | ' + ' | '.join('%d KiB p50 (p99)' % (s // 1024) for s in sizes) + ' | rounds |')
print('|---|---:|---:|---:|' + '---:|' * len(sizes) + '---:|')
for np_ in sorted({n for n, _ in cells}):
    best = {s: min(statistics.median(p for p, _ in cells[(np_, str(s))][c]) for c in configs
                   if cells[(np_, str(s))][c]) for s in sizes}
    for c in configs:
        out = []
        rounds = 0
        for s in sizes:
            v = cells[(np_, str(s))][c]
            if not v:
                out.append('-')
                continue
            rounds = max(rounds, len(v))
            p50 = statistics.median(p for p, _ in v)
            p99 = statistics.median(q for _, q in v)
            mark = '**' if p50 == best[s] else ''
            out.append('%s%.0f%s (%.0f)' % (mark, p50, mark, p99))
        print('| %s | %s | %s | %s | %s | %d |' % (np_, c[0], c[1], c[2], ' | '.join(out), rounds))
