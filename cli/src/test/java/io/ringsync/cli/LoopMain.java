package io.ringsync.cli;

import io.ringsync.collectives.Communicator;
import io.ringsync.collectives.ReduceOp;

/**
 * A rank that joins its job, says so, then reduces and sleeps until it is stopped: for tests that stop its
 * launcher.
 */
public final class LoopMain
{
    static final String READY = "LOOPING rank ";

    private LoopMain()
    {
    }

    public static void main(final String[] args) throws InterruptedException
    {
        try (Communicator comm = Communicator.fromEnvironment())
        {
            final float[] v = new float[1024];
            comm.allReduce(v, ReduceOp.SUM);
            System.out.println(READY + comm.rank());
            System.out.flush();
            while (true)
            {
                Thread.sleep(20);
            }
        }
    }
}
