#!/usr/bin/env python3
"""cost_model.py: the alpha-beta-gamma cost of AllReduce algorithms between hosts, as tables (see cost-model.md).

    python3 bench/cluster/cost_model.py [--alpha-net-us 20] [--alpha-intra-us 1] [--intra-gbps 80]
        [--reduce-gbps 80] [--efficiency 0.94] [--check perf-results/<date>-cluster/combined.csv]

H hosts, L ranks per host, n = H L, S bytes per rank. Each host has one link of B bytes/s each way (the payload
rate: line rate x efficiency, 0.94 for TCP/IPv4 at MTU 1500); a message between hosts costs alpha_net before its
first byte arrives, one inside a host alpha_intra; inside a host ranks move bytes at B_intra each (shared memory),
and a rank reduces at gamma bytes/s. Algorithms (the step counts and the bytes that cross the busiest link):

  ring      flat ring over all n ranks, placed host by host: 2 (n-1) steps of S/n; every host link carries one ring
            edge each way, 2 (n-1)/n S bytes.
            T = 2 (n-1) a_step + 2 (n-1)/n S / min(B, B_intra) + (n-1)/n S / gamma,  a_step = alpha_net when H > 1
  rd        recursive doubling over all n: log2 n steps of the whole S (log2 L inside hosts, log2 H between them,
            where the L ranks of a host all send S across at once)
            T = log2 H (alpha_net + L S / B) + log2 L (alpha_intra + S / B_intra) + log2 n S / gamma
  rabenseifner  recursive halving reduce-scatter + recursive doubling allgather (Open MPI's choice for large
            vectors): 2 log2 n steps; partners at distance 1, 2, 4, ... so with ranks placed host by host the first
            log2 L exchanges stay inside a host and a host sends 2 (H-1)/H S out, the least any algorithm can
            T = 2 log2 H alpha_net + 2 log2 L alpha_intra + 2 (H-1)/H S / B + 2 (L-1)/L S / B_intra + (n-1)/n S / gamma
  tree      NCCL-style: a chain inside each host to its leader, a pipelined double binary tree of the H leaders
            (k = 64 KiB pieces; a leader is interior in at most one of the two trees, so about 2 S cross its link)
            T = [2 (L-1) alpha_intra + 2 S / B_intra] + 2 log2 H alpha_net + 2 S / B + 2 log2 H k / B + S / gamma
  hier      host-aware: reduce-scatter inside the host (ring of L over shared memory), L concurrent rings of H over
            the network each on a share S/L (together they send 2 (H-1)/H S out of a host), allgather inside the host
            T = 2 (L-1) alpha_intra + 2 (L-1)/L S / B_intra + 2 (H-1) alpha_net + 2 (H-1)/H S / B + (n-1)/n S / gamma
  hier-pipe the same, its three phases pipelined chunk by chunk: the slower of the shared-memory and network
            phases sets the pace
            T = 2 (L-1) alpha_intra + 2 (H-1) alpha_net + max(2 (L-1)/L S / B_intra, 2 (H-1)/H S / B) + ... / gamma
  hier-rd   host-aware with recursive doubling between hosts on the shares (small vectors): the L ranks of a host
            exchange their shares S/L at once, S across the host link per step
            T = 2 (L-1) alpha_intra + 2 (L-1)/L S / B_intra + log2 H (alpha_net + S / B) + ... / gamma
"""
import argparse
import csv
import math
import statistics

KIB, MIB = 1 << 10, 1 << 20


def costs(H, L, S, B, a_net, a_in, B_in, gamma, piece=64 * KIB):
    n = H * L
    lg = math.log2
    out = {}
    a_step = a_net if H > 1 else a_in
    # every edge of the pipelined ring moves the same bytes at once: the slowest edge sets the pace (the host link,
    # or a rank's copy rate inside a host when that is slower)
    edge = min(B, B_in) if L > 1 and H > 1 else (B if H > 1 else B_in)
    out["ring"] = 2 * (n - 1) * a_step + 2 * (n - 1) / n * S / edge + (n - 1) / n * S / gamma
    # the L ranks of a host exchange the whole S across at once in each of the log2 H steps between hosts
    out["rd"] = lg(H) * (a_net + L * S / B) + lg(L) * (a_in + S / B_in) + lg(n) * S / gamma
    out["rabenseifner"] = (2 * lg(H) * a_net + 2 * lg(L) * a_in + 2 * (H - 1) / H * S / B
                           + 2 * (L - 1) / L * S / B_in + (n - 1) / n * S / gamma)
    # NCCL-style: a chain inside each host (reduce to, broadcast from, its leader), a pipelined double binary tree of
    # the leaders between hosts (each leader interior in at most one of the two trees: about S out and S in per
    # direction per phase, so 2 S over the host's link in all)
    chain = 2 * (L - 1) * a_in + 2 * S / B_in if L > 1 else 0
    out["tree"] = chain + 2 * lg(H) * a_net + 2 * S / B + 2 * lg(H) * min(piece, S) / B + S / gamma
    intra = 2 * (L - 1) * a_in + 2 * (L - 1) / L * S / B_in
    out["hier"] = intra + 2 * (H - 1) * a_net + 2 * (H - 1) / H * S / B + (n - 1) / n * S / gamma
    # the same with the three phases pipelined chunk by chunk (as NCCL overlaps its intra- and inter-node steps)
    out["hier-pipe"] = (2 * (L - 1) * a_in + 2 * (H - 1) * a_net
                        + max(2 * (L - 1) / L * S / B_in, 2 * (H - 1) / H * S / B) + (n - 1) / n * S / gamma)
    # L concurrent recursive doublings on shares S/L: together S crosses the host link in each of the log2 H steps
    out["hier-rd"] = intra + lg(H) * (a_net + S / B) + (lg(H) * S / L + (L - 1) / L * S) / gamma
    return out


def fmt_time(s):
    us = s * 1e6
    if us < 1000:
        return f"{us:,.0f} us"
    if us < 1e6:
        return f"{us / 1e3:,.2f} ms"
    return f"{us / 1e6:,.2f} s"


def table(args, sizes, hosts, links, per_hosts):
    lines = []
    for L in per_hosts:
        for S in sizes:
            lines += [f"#### S = {S // MIB if S >= MIB else S // KIB} {'MiB' if S >= MIB else 'KiB'}, L = {L} "
                      f"rank{'s' if L > 1 else ''} per host", "",
                      "| GbE | H | ring | rd | rabenseifner | tree | hier | hier-pipe | hier-rd | best | ring / best |",
                      "|---|---|---|---|---|---|---|---|---|---|---|"]
            for gbe in links:
                B = gbe * 1e9 / 8 * args.efficiency
                for H in hosts:
                    c = costs(H, L, S, B, args.alpha_net_us * 1e-6, args.alpha_intra_us * 1e-6,
                              args.intra_gbps * 1e9 / 8, args.reduce_gbps * 1e9 / 8)
                    best = min(c, key=c.get)
                    lines.append(f"| {gbe} | {H} | " + " | ".join(fmt_time(c[k]) for k in
                                 ["ring", "rd", "rabenseifner", "tree", "hier", "hier-pipe", "hier-rd"]) +
                                 f" | {best} | {c['ring'] / c[best]:.2f} |")
            lines.append("")
    return lines


def check(args, path):
    """Model against a compare-cluster.sh combined.csv: tcp or tcp-flat (flat ring), tcp-auto (host-aware where
    hosts hold several ranks) and openmpi p50 under caps."""
    rows = list(csv.DictReader(open(path)))
    lines = ["| cap | layout | size | system | p50 (median) | model | p50 / model | openmpi p50 | rabenseifner model |",
             "|---|---|---|---|---|---|---|---|---|"]
    groups = {}
    for r in rows:
        groups.setdefault((r["cap"], int(r["hosts"]), int(r["per_host"]), int(r["bytes"]), r["system"]), []).append(
            float(r["p50_us"]))
    for (cap, H, L, S, system), vals in sorted(groups.items()):
        if system not in ("tcp", "tcp-flat", "tcp-auto") or not cap.endswith("bit"):
            continue
        gbit = float(cap[:-4]) if cap[-4].isdigit() else None
        gbit = {"1gbit": 1, "10gbit": 10}.get(cap, gbit)
        B = gbit * 1e9 / 8 * args.efficiency
        c = costs(H, L, S, B, args.alpha_net_us * 1e-6, args.alpha_intra_us * 1e-6,
                  args.intra_gbps * 1e9 / 8, args.reduce_gbps * 1e9 / 8)
        # the flat ring here runs every edge over TCP, also inside a host: alpha_net per step; tcp-auto is the
        # host-aware path (not pipelined) when hosts hold several ranks
        model = "hier" if system == "tcp-auto" and L > 1 else "ring"
        ring = c[model]
        tcp = statistics.median(vals)
        mpi = groups.get((cap, H, L, S, "openmpi"))
        lines.append(f"| {cap} | {H}x{L} | {S // KIB} KiB | {system} | {tcp:,.0f} us | {model} {ring * 1e6:,.0f} us | "
                     f"{tcp / (ring * 1e6):.2f} | " +
                     (f"{statistics.median(mpi):,.0f} us | {c['rabenseifner'] * 1e6:,.0f} us |" if mpi else "- | - |"))
    return lines


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--alpha-net-us", type=float, default=20.0, help="per-message latency between hosts (TCP)")
    p.add_argument("--alpha-intra-us", type=float, default=1.0, help="per-message latency inside a host (shm)")
    p.add_argument("--intra-gbps", type=float, default=80.0, help="bandwidth of one rank inside a host, Gbit/s")
    p.add_argument("--reduce-gbps", type=float, default=80.0, help="reduction rate of one rank, Gbit/s")
    p.add_argument("--efficiency", type=float, default=0.94, help="payload / line rate (TCP/IPv4, MTU 1500)")
    p.add_argument("--check", help="a combined.csv of compare-cluster.sh to set the model against")
    args = p.parse_args()
    if args.check:
        print("\n".join(check(args, args.check)))
        return
    print(f"alpha_net {args.alpha_net_us} us, alpha_intra {args.alpha_intra_us} us, intra {args.intra_gbps} Gbit/s, "
          f"reduce {args.reduce_gbps} Gbit/s, payload efficiency {args.efficiency}\n")
    print("\n".join(table(args, [4 * KIB, 1 * MIB, 16 * MIB, 256 * MIB], [2, 4, 8, 16, 32, 64], [1, 10, 25, 100],
                          [1, 8])))


if __name__ == "__main__":
    main()
