package io.ringsync.collectives;

import java.util.Random;
import java.util.StringJoiner;

/**
 * The {@code sweep} scenario of {@link ShrinkRankMain}: ranks lost at random points of any collective. Every rank
 * runs iterations of reduce-scatter, allgather, broadcast and a 1 MiB allReduce (the direct mode on shm), each result
 * checked exactly against the members it was made by, for {@link #RUN_MS}; the victim (and the second victim, if
 * any) halts after a random delay from its seed, wherever its rank then is. A survivor that fails shrinks, and the
 * survivors agree on the iteration to go on from (the smallest any of them completed: one may complete a call that
 * another fails), so they go on in step; then a last allReduce over the final members. Each survivor prints
 * {@code SHRUNK ...} as {@link ShrinkRankMain} does, with {@code exact=false} if any result was wrong.
 */
final class ShrinkSweep
{
    static final long RUN_MS = 1_800;
    private static final int BLOCK = 4_099;
    private static final int LARGE = 1 << 18;

    private final Communicator job;
    private final float[] blocks;
    private final float[] large = new float[LARGE];
    private final StringJoiner failedIn = new StringJoiner(",");
    private String step = "connect";
    private boolean exact = true;

    private ShrinkSweep(final Communicator job)
    {
        this.job = job;
        this.blocks = new float[job.size() * BLOCK];
    }

    static void run(final Communicator job, final int victim, final int second, final long seed)
    {
        final Random random = new Random(seed);
        final long victimDelayMs = 100 + random.nextInt(900);
        final long secondDelayMs = 100 + random.nextInt(900);
        System.out.println("SWEEP seed=" + seed + " victim=" + victim + " after " + victimDelayMs + " ms, second=" +
            second + " after " + secondDelayMs + " ms");
        if (job.rank() == victim || job.rank() == second)
        {
            final long delayMs = job.rank() == victim ? victimDelayMs : secondDelayMs;
            final Thread killer = new Thread(() ->
            {
                try
                {
                    Thread.sleep(delayMs);
                }
                catch (final InterruptedException ignore)
                {
                    // halt all the same
                }
                System.out.flush();
                Runtime.getRuntime().halt(3);
            }, "sweep-victim");
            killer.setDaemon(true);
            killer.start();
        }
        new ShrinkSweep(job).loop();
    }

    private void loop()
    {
        final long startNs = System.nanoTime();
        Communicator comm = job;
        int completed = 0;
        boolean resync = false;
        float[] last = null;
        while (null == last)
        {
            try
            {
                if (resync)
                {
                    // go on from the smallest iteration any survivor completed
                    step = "resync";
                    final double[] done = { completed };
                    comm.allReduce(done, ReduceOp.MIN);
                    completed = (int)done[0];
                    resync = false;
                }
                step = "stop";
                final double[] stop = { System.nanoTime() - startNs > RUN_MS * 1_000_000L ? 1 : 0 };
                comm.allReduce(stop, ReduceOp.MAX);
                if (stop[0] > 0)
                {
                    last = finalSum(comm);
                }
                else
                {
                    iteration(comm, completed);
                    completed++;
                }
            }
            catch (final PeerFailedException | CollectiveTimeoutException lost)
            {
                failedIn.add(step);
                // the evidence of whom each survivor blamed, for a sweep that ends with the wrong members
                System.out.println("LOST in " + step + " of iteration " + completed + " (size " + comm.size() +
                    "): " + lost);
                final Communicator survivors = comm.shrink();
                if (comm != job)
                {
                    comm.close();
                }
                comm = survivors;
                resync = true;
            }
        }
        final StringJoiner members = new StringJoiner(",");
        for (int r = 0; r < comm.size(); r++)
        {
            members.add(Integer.toString(comm.jobRank(r)));
        }
        long hash = 17;
        for (final float value : last)
        {
            hash = hash * 31 + Float.floatToRawIntBits(value);
        }
        System.out.println("SHRUNK rank=" + comm.rank() + " size=" + comm.size() + " members=" + members + " exact=" +
            exact + " hash=" + Long.toHexString(hash) + " iterations=" + completed + " path=" +
            comm.allReducePath(LARGE, DataType.FLOAT32).label() + " failedIn=" + failedIn);
        if (comm != job)
        {
            comm.close();
        }
    }

    private void iteration(final Communicator comm, final int it)
    {
        final int n = comm.size();
        final int rank = comm.rank();
        final float me = job.rank() + 1;
        float sum = 0;
        for (int r = 0; r < n; r++)
        {
            sum += comm.jobRank(r) + 1;
        }
        // reduce-scatter: this rank's block holds the sum
        for (int i = 0; i < n * BLOCK; i++)
        {
            blocks[i] = me * ((i + it) % 5 + 1);
        }
        step = "reduce-scatter";
        comm.reduceScatter(blocks, BLOCK, ReduceOp.SUM);
        for (int i = rank * BLOCK; i < (rank + 1) * BLOCK; i++)
        {
            check(blocks[i] == sum * ((i + it) % 5 + 1));
        }
        // allgather: every block its owner's values
        for (int i = 0; i < n * BLOCK; i++)
        {
            blocks[i] = i / BLOCK == rank ? (job.rank() + 1) * 1000 + i % 7 + it % 100 : -1;
        }
        step = "allgather";
        comm.allGather(blocks, BLOCK);
        for (int i = 0; i < n * BLOCK; i++)
        {
            check(blocks[i] == (comm.jobRank(i / BLOCK) + 1) * 1000 + i % 7 + it % 100);
        }
        // broadcast from a root that moves
        final int root = it % n;
        for (int i = 0; i < n * BLOCK; i++)
        {
            blocks[i] = rank == root ? it % 1000 + i % 11 : -1;
        }
        step = "broadcast";
        comm.broadcast(blocks, root);
        for (int i = 0; i < n * BLOCK; i++)
        {
            check(blocks[i] == it % 1000 + i % 11);
        }
        // a 1 MiB allReduce: the direct mode on shm
        for (int i = 0; i < LARGE; i++)
        {
            large[i] = me * (i % 3 + 1);
        }
        step = "allreduce-" + comm.allReducePath(LARGE, DataType.FLOAT32).label();
        comm.allReduce(large, ReduceOp.SUM);
        for (int i = 0; i < LARGE; i += 7)
        {
            check(large[i] == sum * (i % 3 + 1));
        }
    }

    private float[] finalSum(final Communicator comm)
    {
        step = "final";
        for (int i = 0; i < LARGE; i++)
        {
            large[i] = (job.rank() + 1) * 1000 + i % 13;
        }
        comm.allReduce(large, ReduceOp.SUM);
        float sum = 0;
        float base = 0;
        for (int r = 0; r < comm.size(); r++)
        {
            sum += 1;
            base += (comm.jobRank(r) + 1) * 1000;
        }
        for (int i = 0; i < LARGE; i++)
        {
            check(large[i] == base + sum * (i % 13));
        }
        return large.clone();
    }

    private void check(final boolean ok)
    {
        exact &= ok;
    }
}
