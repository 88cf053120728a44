package io.ringsync.collectives;

import java.util.Arrays;
import java.util.StringJoiner;

/**
 * One rank of a {@link ShrinkTest} job, a process of its own (a rank that dies must take its process with it).
 * Arguments: {@code scenario victim second slowMs}. Every rank joins from the environment and makes an
 * allReduce; then the victim halts at once, the others fail in the next allReduce, and:
 * <ul>
 *     <li>{@code basic}: the survivors shrink;</li>
 *     <li>{@code second}: rank {@code second} halts too, after seeing the failure and before shrinking;</li>
 *     <li>{@code slow}: rank {@code second} sleeps {@code slowMs} before it shrinks;</li>
 *     <li>{@code split}: the same inside a sub-communicator of all ranks but the last (the victim is one);</li>
 *     <li>{@code sweep}: the victim and {@code second} (unless -1) halt at random points of any collective, from
 *     the seed {@code slowMs} ({@link ShrinkSweep}).</li>
 * </ul>
 * Each survivor then allReduces {@code jobRank * 1000 + i} over the shrunk communicator and prints
 * {@code SHRUNK rank=<new rank> size=<size> members=<job ranks> exact=<true when the sum is the expected one>
 * hash=<hash of the result's bits>}; a rank that gets an exception prints {@code FAILED <class>: <message>}.
 */
public final class ShrinkRankMain
{
    private static final int COUNT = 10_007;

    private ShrinkRankMain()
    {
    }

    /**
     * An elastic {@link ModelAverager} (sync every 4 steps, at most 2 stale) over 300 steps; the victim halts at
     * step {@code dieAt}. Prints {@code AVERAGED size=<n> shrinks=<n> lost=<n> hash=<model bits>}.
     */
    private static void averager(final Communicator job, final int victim, final int dieAt)
    {
        final float[] model = new float[4099];
        final ModelAverager averager = new ModelAverager(job, model, 4, 2).elastic(true);
        for (int step = 1; step <= 300; step++)
        {
            if (step == dieAt && job.rank() == victim)
            {
                System.out.flush();
                Runtime.getRuntime().halt(3);
            }
            for (int i = 0; i < model.length; i++)
            {
                model[i] += (float)((job.rank() + 1) * 1e-3 * ((i + step) % 7 - 3));
            }
            averager.step(job.rank() + 1);
        }
        averager.finish();
        long hash = 17;
        for (final float value : model)
        {
            hash = hash * 31 + Float.floatToRawIntBits(value);
        }
        final Communicator comm = averager.communicator();
        System.out.println("AVERAGED size=" + comm.size() + " shrinks=" + averager.shrinks() + " lost=" +
            averager.lostRanks() + " hash=" + Long.toHexString(hash));
        comm.close();
    }

    public static void main(final String[] args) throws Exception
    {
        final String scenario = args[0];
        final int victim = Integer.parseInt(args[1]);
        final int second = Integer.parseInt(args[2]);
        final long slowMs = Long.parseLong(args[3]);
        int status = 0;
        try (Communicator job = Communicator.fromEnvironment())
        {
            if ("averager".equals(scenario))
            {
                averager(job, victim, (int)slowMs);
                return;
            }
            if ("sweep".equals(scenario))
            {
                ShrinkSweep.run(job, victim, second, slowMs);
                return;
            }
            final int color = job.rank() == job.size() - 1 ? 1 : 0;
            final Communicator comm = "split".equals(scenario) ? job.split(color, job.rank()) : job;
            if ("split".equals(scenario) && color == 1)
            {
                comm.allReduce(new double[COUNT], ReduceOp.SUM);
                comm.close();
                System.out.println("UNTOUCHED rank=" + comm.rank() + " size=" + comm.size());
                return;
            }
            final double[] vector = new double[COUNT];
            final RingsyncException failure;
            try
            {
                // the victim may leave before a survivor has finished the first call: that one fails there
                comm.allReduce(vector, ReduceOp.SUM);
                if (job.rank() == victim)
                {
                    System.out.flush();
                    Runtime.getRuntime().halt(3);
                }
                comm.allReduce(vector, ReduceOp.SUM);
                throw new AssertionError("the allReduce after the victim's death completed");
            }
            catch (final PeerFailedException | CollectiveTimeoutException ex)
            {
                failure = ex;
            }
            System.out.println("CAUGHT " + failure.getClass().getSimpleName() + " suspect=" + failure.suspectRank());
            if ("second".equals(scenario) && job.rank() == second)
            {
                System.out.flush();
                Runtime.getRuntime().halt(4);
            }
            if ("slow".equals(scenario) && job.rank() == second)
            {
                Thread.sleep(slowMs);
            }
            try (Communicator shrunk = comm.shrink())
            {
                final int[] members = new int[shrunk.size()];
                for (int r = 0; r < members.length; r++)
                {
                    members[r] = shrunk.jobRank(r);
                }
                final double[] values = new double[COUNT];
                for (int i = 0; i < COUNT; i++)
                {
                    values[i] = job.rank() * 1000.0 + i;
                }
                shrunk.allReduce(values, ReduceOp.SUM);
                boolean exact = true;
                for (int i = 0; i < COUNT; i++)
                {
                    double expected = 0;
                    for (final int member : members)
                    {
                        expected += member * 1000.0 + i;
                    }
                    exact &= expected == values[i];
                }
                final StringJoiner joined = new StringJoiner(",");
                Arrays.stream(members).forEach(m -> joined.add(Integer.toString(m)));
                long hash = 17;
                for (final double value : values)
                {
                    hash = hash * 31 + Double.doubleToRawLongBits(value);
                }
                System.out.println("SHRUNK rank=" + shrunk.rank() + " size=" + shrunk.size() + " members=" + joined +
                    " exact=" + exact + " hash=" + Long.toHexString(hash));
            }
            if (comm != job)
            {
                comm.close();
            }
        }
        catch (final RuntimeException ex)
        {
            System.out.println("FAILED " + ex.getClass().getSimpleName() + ": " + ex.getMessage());
            ex.printStackTrace();
            status = 1;
        }
        System.out.flush();
        System.exit(status);
    }
}
