package io.ringsync.collectives;

import org.junit.jupiter.api.Assumptions;

import java.lang.management.ManagementFactory;

/**
 * How many bytes the calling thread allocates in steady state: the fewest over a few rounds of the same calls.
 * One-off allocations (the JIT, class loading, a GC's bookkeeping) land in some round; a per-call allocation lands
 * in every one. Every rank of a test runs all rounds, so the ranks keep making the same calls.
 */
final class SteadyAllocation
{
    /**
     * One call of a round.
     */
    interface Call
    {
        void run() throws Exception;
    }

    private SteadyAllocation()
    {
    }

    /**
     * Skips the test where the JVM has no per-thread allocation counter.
     */
    static void assumeCounter()
    {
        Assumptions.assumeTrue(ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean,
            "no per-thread allocation counter");
    }

    /**
     * @param rounds        rounds to run.
     * @param callsPerRound times {@code call} runs in a round.
     * @param call          what one call does.
     * @return the fewest bytes this thread allocated in one round.
     */
    static long fewestBytes(final int rounds, final int callsPerRound, final Call call) throws Exception
    {
        final com.sun.management.ThreadMXBean counter =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        final long threadId = Thread.currentThread().getId();
        long fewest = Long.MAX_VALUE;
        for (int round = 0; round < rounds; round++)
        {
            final long before = counter.getThreadAllocatedBytes(threadId);
            for (int i = 0; i < callsPerRound; i++)
            {
                call.run();
            }
            fewest = Math.min(fewest, counter.getThreadAllocatedBytes(threadId) - before);
        }
        return fewest;
    }
}
