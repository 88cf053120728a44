package io.ringsync.cli;

import io.ringsync.collectives.Communicator;
import io.ringsync.collectives.ReduceOp;
import io.ringsync.collectives.RingsyncException;

/**
 * A rank of the launcher's split tests. {@code groups}: the job splits into odd and even ranks (keys reversing
 * the order), each group allReduces a vector of small integers whose exact sum is known, the parent averages the
 * group sums, and every rank prints {@code RESULT ok rank=R group=G size=S members=a,b,..}. {@code die}: the same
 * groups, and the highest job rank of the odd group halts with exit code 137 in the middle of its group's calls; a
 * rank whose call throws prints {@code FAILED <exception class> suspect=<rank>: <message>} and exits with 3.
 */
public final class SplitMain
{
    static final String RESULT = "RESULT ";
    static final String FAILED = "FAILED ";

    private SplitMain()
    {
    }

    public static void main(final String[] args)
    {
        final boolean die = args.length > 0 && "die".equals(args[0]);
        try (Communicator comm = Communicator.fromEnvironment())
        {
            final int rank = comm.rank();
            final int n = comm.size();
            try (Communicator group = comm.split(rank % 2, -rank))
            {
                final StringBuilder members = new StringBuilder();
                for (int r = 0; r < group.size(); r++)
                {
                    members.append(r == 0 ? "" : ",").append(group.jobRank(r));
                }
                final int victim = n % 2 == 0 ? n - 1 : n - 2;
                final float[] v = new float[300_001];
                for (int call = 0; call < (die ? 10_000 : 3); call++)
                {
                    if (die && rank == victim && call == 20)
                    {
                        System.out.println("job rank " + rank + " halting now");
                        System.out.flush();
                        Runtime.getRuntime().halt(137);
                    }
                    for (int i = 0; i < v.length; i++)
                    {
                        v[i] = (rank + 1) * (i % 7 + 1);
                    }
                    group.allReduce(v, ReduceOp.SUM);
                    float members1 = 0;
                    for (int r = rank % 2; r < n; r += 2)
                    {
                        members1 += r + 1;
                    }
                    for (int i = 0; i < v.length; i++)
                    {
                        if (v[i] != members1 * (i % 7 + 1))
                        {
                            throw new IllegalStateException("element " + i + " is " + v[i] + ", expected " +
                                members1 * (i % 7 + 1));
                        }
                    }
                }
                final double[] total = { v[0] };
                comm.allReduce(total, ReduceOp.SUM);
                System.out.println(RESULT + "ok rank=" + rank + " group=" + group.rank() + " size=" + group.size() +
                    " members=" + members + " total=" + (long)total[0]);
            }
        }
        catch (final RingsyncException ex)
        {
            System.out.println(FAILED + ex.getClass().getSimpleName() + " suspect=" + ex.suspectRank() + ": " +
                ex.getMessage());
            System.out.flush();
            System.exit(3);
        }
    }
}
