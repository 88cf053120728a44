package io.ringsync.cli;

import io.ringsync.collectives.Communicator;
import io.ringsync.collectives.DataType;
import io.ringsync.collectives.ReduceOp;
import io.ringsync.collectives.RingsyncException;

/**
 * A rank of an elastic job across hosts: ten steps of a float SUM AllReduce of {@code count} elements, each rank
 * adding {@code (job rank + 1) * (i % 7 + 1)}. Job rank {@code victim} halts (exit 3) at the start of step
 * {@code dieAt}; the others fail in that step, shrink ({@link Communicator#shrink()}) and redo it among themselves;
 * job rank {@code second} (a fourth argument, optional) halts (exit 4) when it sees that failure, before it shrinks.
 * The survivors need not fail the same step (one can finish a step whose last chunks from the victim another never
 * received), so after a shrink they agree on the earliest survivor's step with an AllReduce(MIN) and go on from
 * there, as the README tells users to.
 * Every step's sum is checked against the members of the communicator that made it; at the end each survivor prints
 * {@code SURVIVED members=<job ranks> shrinks=<n> hash=<bits of the last result> paths=<before>,<after>} (the
 * AllReduce paths of the first and the last communicator), or {@code FAILED <exception>} and exits 1.
 */
public final class ShrinkingRankMain
{
    static final String SURVIVED = "SURVIVED ";

    private ShrinkingRankMain()
    {
    }

    public static void main(final String[] args)
    {
        final int victim = Integer.parseInt(args[0]);
        final int dieAt = Integer.parseInt(args[1]);
        final int count = Integer.parseInt(args[2]);
        final int second = args.length > 3 ? Integer.parseInt(args[3]) : -1;
        Communicator comm = Communicator.fromEnvironment();
        final int jobRank = comm.rank();
        final String pathBefore = comm.allReducePath(count, DataType.FLOAT32).label();
        int shrinks = 0;
        try
        {
            final float[] v = new float[count];
            int step = 0;
            while (step < 10)
            {
                if (jobRank == victim && step == dieAt)
                {
                    Runtime.getRuntime().halt(3);
                }
                for (int i = 0; i < count; i++)
                {
                    v[i] = (jobRank + 1) * (i % 7 + 1);
                }
                try
                {
                    comm.allReduce(v, ReduceOp.SUM);
                }
                catch (final RingsyncException ex)
                {
                    if (jobRank == second)
                    {
                        Runtime.getRuntime().halt(4);
                    }
                    System.out.println("SHRINKING in step " + step + " after " + ex);
                    // the survivors need not have failed the same call: a rank can finish a step whose last chunks
                    // from the dying rank another never got; all go back to the earliest survivor's step
                    final float[] agreed = { step };
                    while (true)
                    {
                        final Communicator failed = comm;
                        comm = failed.shrink();
                        failed.close();
                        shrinks++;
                        try
                        {
                            comm.allReduce(agreed, ReduceOp.MIN);
                            break;
                        }
                        catch (final RingsyncException again)
                        {
                            agreed[0] = step;
                        }
                    }
                    step = (int)agreed[0];
                    continue;
                }
                int memberSum = 0;
                for (int r = 0; r < comm.size(); r++)
                {
                    memberSum += comm.jobRank(r) + 1;
                }
                for (int i = 0; i < count; i++)
                {
                    if (v[i] != memberSum * (i % 7 + 1))
                    {
                        throw new IllegalStateException("step " + step + ": element " + i + " is " + v[i] +
                            ", expected " + memberSum * (i % 7 + 1));
                    }
                }
                step++;
            }
            long hash = 0xCBF29CE484222325L;
            for (final float x : v)
            {
                hash = (hash ^ Float.floatToRawIntBits(x)) * 0x100000001B3L;
            }
            final StringBuilder members = new StringBuilder();
            for (int r = 0; r < comm.size(); r++)
            {
                members.append(r == 0 ? "" : ",").append(comm.jobRank(r));
            }
            System.out.println(SURVIVED + "members=" + members + " shrinks=" + shrinks + " hash=0x" +
                Long.toHexString(hash) + " paths=" + pathBefore + "," +
                comm.allReducePath(count, DataType.FLOAT32).label());
            comm.close();
        }
        catch (final RuntimeException ex)
        {
            System.out.println("FAILED " + ex);
            ex.printStackTrace(System.out);
            System.out.flush();
            Runtime.getRuntime().halt(1);
        }
    }
}
