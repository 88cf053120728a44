#!/usr/bin/env python3
"""gloo_allreduce.py: torch.distributed all_reduce (backend gloo, TCP over loopback) timed the way
`ringsync bench` and mpi_allreduce.c time theirs, so the three CSVs read side by side.

Started without --rank, this process is the launcher: it finds a free loopback port for the rendezvous
store, starts np copies of itself (one per rank), relays rank 0's rows to stdout and exits non-zero if any
rank fails (the others are then stopped, never left waiting on a dead peer).

Each rank, per size:
  1. correctness: fill with rank + 1, one in-place SUM, every element must equal n (n + 1) / 2 exactly;
  2. refill with zeros (repeated sums stay finite), W warm-up calls that are not counted;
  3. the timed count K = budget / (slowest rank's warm-up mean over the second half of the warm-up),
     clamped to [20, 100000], so every rank runs the same count;
  4. K calls, each timed with perf_counter_ns on every rank; one more all_reduce(MAX) over the array of
     times gives the slowest rank's time of each call, which is what a training step waits for.
Rank 0 prints p50 / p99 (nearest rank) and the mean of those maxima; algbw = bytes / mean,
busbw = algbw * 2 (np - 1) / np.

Output: one CSV header and one row per size, the columns of `ringsync bench`:
  bytes,type,np,transport,algorithm,iters,p50_us,p99_us,mean_us,algbw_GBps,busbw_GBps,cpu_us
(cpu_us: the CPU time of all ranks together per timed call, every thread) with transport = gloo-tcp and algorithm = default (ProcessGroupGloo picks Gloo's algorithm).

Usage: python3 gloo_allreduce.py --np N [--sizes 4KiB,1MiB] [--type float32|float64] [--budget S]
Run it with the python3 that has torch (Debian's python3-torch: /usr/bin/python3); run-gloo.sh does.
"""
import argparse
import math
import os
import re
import signal
import socket
import subprocess
import sys
import time

HEADER = "bytes,type,np,transport,algorithm,iters,p50_us,p99_us,mean_us,algbw_GBps,busbw_GBps,cpu_us"
MIN_ITERS = 20
MAX_ITERS = 100000
WARMUP_BYTES_BUDGET = 32 << 20
MIN_WARMUP = 5
MAX_WARMUP = 200
SUFFIXES = {"": 1, "B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "KB": 1000, "MB": 1000 ** 2, "GB": 1000 ** 3}


def parse_sizes(text):
    sizes = []
    for token in text.split(","):
        match = re.fullmatch(r"\s*(\d+)\s*([A-Za-z]*)\s*", token)
        if not match or match.group(2) not in SUFFIXES:
            raise ValueError(f"not a size: '{token}' (expected e.g. 4096, 64KiB, 1MiB)")
        sizes.append(int(match.group(1)) * SUFFIXES[match.group(2)])
    return sizes


def nearest_rank(sorted_values, percentile):
    index = math.ceil(percentile / 100.0 * len(sorted_values)) - 1
    return sorted_values[max(0, min(len(sorted_values) - 1, index))]


def default_warmup(nbytes):
    return max(MIN_WARMUP, min(MAX_WARMUP, WARMUP_BYTES_BUDGET // max(1, nbytes)))


def run_rank(args):
    import datetime
    import torch
    import torch.distributed as dist

    torch.set_num_threads(1)
    rank, n = args.rank, args.np
    dist.init_process_group("gloo", init_method=f"tcp://{args.master}:{args.port}", rank=rank, world_size=n,
                            timeout=datetime.timedelta(seconds=args.timeout))
    dtype = torch.float64 if args.type == "float64" else torch.float32
    element = 8 if args.type == "float64" else 4
    expected = float(n * (n + 1) // 2)
    if rank == 0:
        print(HEADER, flush=True)
    for nbytes in args.sizes:
        count = nbytes // element
        buffer = torch.empty(count, dtype=dtype)

        buffer.fill_(rank + 1)
        dist.all_reduce(buffer, op=dist.ReduceOp.SUM)
        if count > 0 and not bool(torch.all(buffer == expected).item()):
            bad = int((buffer != expected).nonzero()[0].item())
            raise SystemExit(f"rank {rank}: wrong sum at {nbytes} bytes: element {bad} is "
                             f"{buffer[bad].item()}, expected {expected}")
        buffer.zero_()

        warmup = args.warmup if args.warmup >= 0 else default_warmup(nbytes)
        first_counted = warmup // 2
        warm_ns = 0
        for i in range(warmup):
            start = time.perf_counter_ns()
            dist.all_reduce(buffer, op=dist.ReduceOp.SUM)
            if i >= first_counted:
                warm_ns += time.perf_counter_ns() - start
        if args.iters > 0:
            iters = args.iters
        else:
            estimate = torch.tensor([warm_ns / max(1, warmup - first_counted)], dtype=torch.float64)
            dist.all_reduce(estimate, op=dist.ReduceOp.MAX)
            iters = int(max(MIN_ITERS, min(MAX_ITERS, round(args.budget * 1e9 / max(1.0, estimate.item())))))

        times = [0] * iters
        clock = time.perf_counter_ns
        all_reduce = dist.all_reduce
        op = dist.ReduceOp.SUM
        cpu_before = time.process_time_ns()
        for i in range(iters):
            start = clock()
            all_reduce(buffer, op=op)
            times[i] = clock() - start
        # CPU time of every thread of this process (Python's, the process group's, Gloo's) over the timed calls
        cpu = torch.tensor([float(time.process_time_ns() - cpu_before)], dtype=torch.float64)
        slowest = torch.tensor(times, dtype=torch.float64)
        dist.all_reduce(slowest, op=dist.ReduceOp.MAX)
        dist.all_reduce(cpu, op=dist.ReduceOp.SUM)

        if rank == 0:
            values = sorted(slowest.tolist())
            mean_ns = sum(values) / len(values)
            algbw = nbytes / mean_ns if mean_ns > 0 else 0.0
            print(f"{nbytes},{args.type},{n},gloo-tcp,default,{iters},{nearest_rank(values, 50) / 1e3:.3f},"
                  f"{nearest_rank(values, 99) / 1e3:.3f},{mean_ns / 1e3:.3f},{algbw:.6f},"
                  f"{algbw * 2.0 * (n - 1) / n:.6f},{cpu.item() / iters / 1e3:.1f}", flush=True)
        del buffer
    dist.barrier()
    dist.destroy_process_group()


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def launch(args, argv):
    """Starts one process per rank and waits; the first failure stops the rest."""
    env = dict(os.environ)
    env.setdefault("OMP_NUM_THREADS", "1")
    env["GLOO_SOCKET_IFNAME"] = "lo"
    port = args.port if args.port > 0 else free_port()
    ranks = []
    for rank in range(args.np):
        command = [sys.executable, os.path.abspath(__file__), *argv, "--rank", str(rank), "--port", str(port)]
        ranks.append(subprocess.Popen(command, env=env, stdout=None if rank == 0 else subprocess.DEVNULL))
    deadline = time.monotonic() + args.deadline
    failed = None
    try:
        while any(p.poll() is None for p in ranks):
            for rank, process in enumerate(ranks):
                if process.poll() not in (None, 0):
                    failed = f"rank {rank} exited with {process.returncode}"
            if failed is None and time.monotonic() > deadline:
                failed = f"the run took longer than --deadline {args.deadline} s"
            if failed is not None:
                break
            time.sleep(0.05)
    except KeyboardInterrupt:
        failed = "interrupted"
    for process in ranks:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in ranks:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if failed is None:
        codes = [p.returncode for p in ranks]
        if any(codes):
            failed = f"exit codes {codes}"
    if failed is not None:
        print(f"gloo_allreduce.py: {failed}", file=sys.stderr)
        return 1
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--np", type=int, default=2, help="ranks (processes), default 2")
    parser.add_argument("--sizes", default="4KiB,64KiB,1MiB,16MiB", help="bytes, comma-separated, with KiB/MiB suffixes")
    parser.add_argument("--type", choices=["float32", "float64"], default="float32")
    parser.add_argument("--budget", type=float, default=2.0, help="seconds of timed calls per size (default 2)")
    parser.add_argument("--iters", type=int, default=0, help="timed calls per size (default: from --budget)")
    parser.add_argument("--warmup", type=int, default=-1, help="untimed calls per size (default 5-200 by size)")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds a collective may wait (default 120)")
    parser.add_argument("--deadline", type=float, default=900.0, help="seconds the whole run may take (default 900)")
    parser.add_argument("--port", type=int, default=0, help="rendezvous port on 127.0.0.1 (default: a free one)")
    parser.add_argument("--master", default="127.0.0.1",
                        help="rendezvous address, rank 0's (default 127.0.0.1); with --rank, to start each rank on "
                             "its own (simulated) host, GLOO_SOCKET_IFNAME naming that host's interface")
    parser.add_argument("--rank", type=int, default=-1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.np < 1:
        parser.error(f"--np must be at least 1, got {args.np}")
    try:
        args.sizes = parse_sizes(args.sizes)
    except ValueError as error:
        parser.error(str(error))
    element = 8 if args.type == "float64" else 4
    for nbytes in args.sizes:
        if nbytes % element:
            parser.error(f"--sizes: {nbytes} bytes is not a whole number of {args.type} elements")
    if args.rank < 0:
        argv = [a for a in sys.argv[1:]]
        return launch(args, strip_port(argv))
    run_rank(args)
    return 0


def strip_port(argv):
    """The launcher passes its own --port to the ranks: drop the user's, if any."""
    out, skip = [], False
    for token in argv:
        if skip:
            skip = False
            continue
        if token == "--port":
            skip = True
            continue
        if token.startswith("--port="):
            continue
        out.append(token)
    return out


if __name__ == "__main__":
    sys.exit(main())
