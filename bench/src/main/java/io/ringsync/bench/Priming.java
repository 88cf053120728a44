package io.ringsync.bench;

import io.ringsync.collectives.Communicator;
import io.ringsync.collectives.ReduceOp;

/**
 * Warms a benchmark's JVM once, before its first size, until the methods every call runs once (the call's entry, the
 * engine's begin and end, the metrics, the transport's poll) are C2-compiled: {@value #CALLS} calls, or
 * {@value #SECONDS} s, whichever comes first (at least {@value #MIN_CALLS}). C2 takes such a method after some
 * 10,000-15,000 calls. Before it does, a compiler thread takes the core of a rank its peer waits for (2 vCPUs, a
 * rank spinning on each): with a size's own short warm-up only, 1 MiB np 2 over shm had a p99 of 1.2-2.4 ms against
 * 0.3-0.4 ms in long runs (perf-results/2026-12-06-host-state), and tcp between two simulated hosts 4 KiB and 64 KiB
 * p99s of 3-6 ms against 0.06-0.4 ms (perf-results/2026-12-07-warm-cluster).
 * <p>
 * The ranks agree after every block of calls whether to go on (the slowest rank's clock decides), so every rank makes
 * the same calls. Used by {@link SweepWorker} (one host) and {@link NetBench} (between hosts).
 */
final class Priming
{
    /** Largest vector primed with: larger ones only make the calls slower, not the JIT's work different. */
    static final long MAX_BYTES = 1L << 20;
    static final int CALLS = 20_000;
    static final int MIN_CALLS = 64;
    static final int BLOCK = 64;
    static final long SECONDS = 4;

    private Priming()
    {
    }

    /**
     * Run {@code call} until the JVM is warm, as the class describes.
     *
     * @param comm that {@code call} runs on, used to agree when to stop.
     * @param call one AllReduce of the vector to prime with, the same on every rank.
     * @return the calls made.
     */
    static int prime(final Communicator comm, final Runnable call)
    {
        final double[] stop = new double[1];
        final long startNs = System.nanoTime();
        int calls = 0;
        while (true)
        {
            for (int i = 0; i < BLOCK; i++)
            {
                call.run();
            }
            calls += BLOCK;
            if (calls >= CALLS)
            {
                return calls;
            }
            stop[0] = calls >= MIN_CALLS && System.nanoTime() - startNs > SECONDS * 1_000_000_000L ? 1 : 0;
            comm.allReduce(stop, ReduceOp.MAX);
            if (stop[0] > 0)
            {
                return calls;
            }
        }
    }
}
