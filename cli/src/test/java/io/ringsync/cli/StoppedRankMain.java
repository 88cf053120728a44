package io.ringsync.cli;

import io.ringsync.collectives.Communicator;
import io.ringsync.collectives.ReduceOp;
import io.ringsync.collectives.RingsyncException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * A rank of {@link LaunchStopTest}: every rank loops over allReduces, alternating a small-path and a ring vector;
 * once connected, rank 1 writes its process id to the file named by the first argument, for the test to stop it.
 * A rank whose call throws prints {@code FAILED suspect=<rank> <exception class>: <message>} and exits with 3.
 */
public final class StoppedRankMain
{
    static final String FAILED = "FAILED ";

    private StoppedRankMain()
    {
    }

    public static void main(final String[] args) throws IOException
    {
        try (Communicator comm = Communicator.fromEnvironment())
        {
            if (comm.rank() == 1)
            {
                final Path pidFile = Path.of(args[0]);
                final Path temp = Path.of(args[0] + ".tmp");
                Files.writeString(temp, Long.toString(ProcessHandle.current().pid()));
                Files.move(temp, pidFile, StandardCopyOption.ATOMIC_MOVE);
            }
            final float[] small = new float[100];
            final float[] large = new float[64 * 1024];
            for (int i = 0; i < 10_000_000; i++)
            {
                comm.allReduce((i & 1) == 0 ? small : large, ReduceOp.SUM);
            }
            System.out.println("the loop finished, which it must not");
        }
        catch (final RingsyncException ex)
        {
            System.out.println(FAILED + "suspect=" + ex.suspectRank() + " " + ex.getClass().getSimpleName() + ": " +
                ex.getMessage());
            System.out.flush();
            System.exit(3);
        }
    }
}
