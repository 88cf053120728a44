package io.ringsync.cli;

import io.ringsync.collectives.Communicator;
import io.ringsync.collectives.Configuration;
import io.ringsync.collectives.ReduceOp;

import java.io.File;
import java.nio.file.Files;
import java.util.concurrent.TimeUnit;

/**
 * A rank for {@link StatCommandTest}: {@code SMALL} AllReduces of 4 KiB and {@code LARGE} of 1 MiB, then it writes
 * {@code ready-<rank>} (holding the job directory) into the directory given as argument and waits, idle, until a
 * file {@code go} appears there (at most a minute); then one more AllReduce and close. With {@code die}, rank 1
 * halts (exit 137) right after writing its marker, so rank 0's last call fails.
 */
public final class StatRankMain
{
    static final int SMALL = 9;
    static final int LARGE = 4;
    static final int SMALL_COUNT = 1024;
    static final int LARGE_COUNT = 262_144;

    private StatRankMain()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        final File markers = new File(args[0]);
        final boolean die = args.length > 1 && "die".equals(args[1]);
        try (Communicator comm = Communicator.fromEnvironment())
        {
            final float[] small = new float[SMALL_COUNT];
            final float[] large = new float[LARGE_COUNT];
            for (int i = 0; i < SMALL; i++)
            {
                comm.allReduce(small, ReduceOp.SUM);
            }
            for (int i = 0; i < LARGE; i++)
            {
                comm.allReduce(large, ReduceOp.SUM);
            }
            comm.barrier();
            final File ready = new File(markers, "ready-" + comm.rank());
            final File temp = new File(markers, "ready-" + comm.rank() + ".tmp");
            Files.writeString(temp.toPath(), System.getenv(Configuration.JOB_DIR_ENV));
            Files.move(temp.toPath(), ready.toPath(), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            if (die && comm.rank() == 1)
            {
                Runtime.getRuntime().halt(137);
            }
            final long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
            while (!new File(markers, "go").exists() && System.nanoTime() < deadline)
            {
                Thread.sleep(20);
            }
            comm.allReduce(small, ReduceOp.SUM);
        }
        catch (final RuntimeException ex)
        {
            System.out.println("FAILED " + ex);
            System.exit(3);
        }
    }
}
