package io.ringsync.bench;

import io.ringsync.collectives.Communicator;
import io.ringsync.collectives.ReduceOp;

import java.util.function.IntConsumer;

/**
 * Warms a benchmark's JVM once, before its first size, until the methods every call runs once (the call's entry, the
 * engine's begin and end, the metrics, the transport's poll) are C2-compiled. C2 takes such a method after some
 * 10,000-15,000 calls. Before it does, a compiler thread takes the core of a rank its peer waits for (2 vCPUs, a rank
 * spinning on each): with a size's own short warm-up only, 1 MiB np 2 over shm had a p99 of 1.2-2.4 ms against
 * 0.3-0.4 ms in long runs (perf-results/2026-12-06-host-state), and tcp between two simulated hosts 4 KiB and 64 KiB
 * p99s of 3-6 ms against 0.06-0.4 ms (perf-results/2026-12-07-warm-cluster).
 * <p>
 * Two phases of {@value #CALLS} calls each, or {@value #SECONDS} s, whichever comes first (at least
 * {@value #MIN_CALLS}): first with a vector of {@value #SMALL_BYTES} bytes (or less, if the benchmark's largest is
 * smaller), whose calls are quick enough to reach the call counts C2 waits for even where ranks share cores; then
 * with the largest vector up to {@link #MAX_BYTES}, which warms the paths and loops of large calls (ring, direct
 * mode, the kernels). With the large vector alone, four ranks on two cores made only some 1,300 calls of 1 MiB in the
 * 4 s and 4 KiB then ran at 0.17-0.30 ms p50 and 4-5 ms p99, against 0.13-0.15 ms and 0.25-0.33 ms warm.
 * <p>
 * The ranks agree after every block of calls whether to go on (the slowest rank's clock decides), so every rank makes
 * the same calls. Used by {@link SweepWorker} (one host) and {@link NetBench} (between hosts).
 */
final class Priming
{
    /** Largest vector primed with: larger ones only make the calls slower, not the JIT's work different. */
    static final long MAX_BYTES = 1L << 20;
    /** The first phase's vector: a small-vector path call. */
    static final long SMALL_BYTES = 4096;
    static final int CALLS = 20_000;
    static final int MIN_CALLS = 64;
    static final int BLOCK = 64;
    static final long SECONDS = 4;

    private Priming()
    {
    }

    /**
     * Warm the JVM up, as the class describes.
     *
     * @param comm         that the calls run on, used to agree when to stop.
     * @param largestBytes the largest vector the benchmark measures.
     * @param elementBytes bytes per element.
     * @param call         one AllReduce of the first {@code count} elements of a vector, the same on every rank;
     *                     called with counts up to {@code min(largestBytes, MAX_BYTES) / elementBytes}.
     * @return the calls made.
     */
    static int prime(final Communicator comm, final long largestBytes, final int elementBytes, final IntConsumer call)
    {
        final int largeCount = (int)(Math.min(largestBytes, MAX_BYTES) / elementBytes);
        final int smallCount = (int)Math.min(largeCount, SMALL_BYTES / elementBytes);
        int calls = phase(comm, smallCount, call);
        if (largeCount > smallCount)
        {
            calls += phase(comm, largeCount, call);
        }
        return calls;
    }

    private static int phase(final Communicator comm, final int count, final IntConsumer call)
    {
        final double[] stop = new double[1];
        final long startNs = System.nanoTime();
        int calls = 0;
        while (true)
        {
            for (int i = 0; i < BLOCK; i++)
            {
                call.accept(count);
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
