package io.ringsync.cli;

import io.ringsync.collectives.Communicator;
import io.ringsync.collectives.ReduceOp;

/**
 * A rank of the launcher's failure tests. {@code die}: rank 1 halts with exit code 137 in the middle of a loop
 * of allReduces ({@code die-small}: of vectors that take the small-vector path). {@code mismatch}: rank 0 reduces 1000 elements, the others 1001. A rank whose call throws
 * prints {@code FAILED <exception class>: <message>} and exits with 3.
 */
public final class FailingRankMain
{
    static final String FAILED = "FAILED ";

    private FailingRankMain()
    {
    }

    public static void main(final String[] args)
    {
        final String scenario = args[0];
        int rank = -1;
        try (Communicator comm = Communicator.fromEnvironment())
        {
            rank = comm.rank();
            if ("die".equals(scenario) || "die-small".equals(scenario))
            {
                final float[] v = new float["die".equals(scenario) ? 64 * 1024 : 100];
                for (int i = 0; i < 100_000; i++)
                {
                    if (rank == 1 && i == 50)
                    {
                        System.out.println("rank 1 halting now");
                        System.out.flush();
                        Runtime.getRuntime().halt(137);
                    }
                    comm.allReduce(v, ReduceOp.SUM);
                }
                System.out.println("the loop finished, which it must not");
            }
            else
            {
                comm.allReduce(new float[10], ReduceOp.SUM);
                comm.allReduce(new float[rank == 0 ? 1000 : 1001], ReduceOp.SUM);
                System.out.println("the mismatched call returned, which it must not");
            }
        }
        catch (final RuntimeException ex)
        {
            System.out.println(FAILED + ex.getClass().getSimpleName() + ": " + ex.getMessage());
            System.out.flush();
            System.exit(3);
        }
    }
}
