package io.ringsync.cli;

import io.ringsync.collectives.Communicator;

/**
 * A rank that connects, says {@code READY}, and then waits for a long time: for tests that stop a job from outside.
 */
public final class SleepMain
{
    static final String READY = "READY";

    private SleepMain()
    {
    }

    public static void main(final String[] args) throws InterruptedException
    {
        try (Communicator comm = Communicator.fromEnvironment())
        {
            System.out.println(READY + " rank=" + comm.rank());
            System.out.flush();
            Thread.sleep(120_000);
        }
    }
}
