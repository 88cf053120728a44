package io.ringsync.collectives;

import java.io.IOException;
import java.net.ServerSocket;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The port rank 0 is told to serve the rendezvous on when a launcher (or a test that starts ranks) picks it. Drawn
 * from the range the Slurm rendezvous uses, which lies below the kernel's ephemeral range: a socket bound to port 0
 * (another rank's listener, started before rank 0 binds) is never given it. An ephemeral port found free and released
 * again was, now and then, taken by such a listener in that gap (CI runs: "rank 0 cannot serve the rendezvous on port
 * 40445 ... Address already in use", once from the launcher, once from a test that picked its port that way).
 */
public final class RendezvousPorts
{
    private static final int ATTEMPTS = 64;

    private RendezvousPorts()
    {
    }

    /**
     * @return a port of the range that is free on this host now (after {@value #ATTEMPTS} taken ones, the last drawn:
     *         rank 0 then says it is taken).
     */
    public static int freeHere()
    {
        int port = draw();
        for (int attempt = 1; attempt < ATTEMPTS && !isFree(port); attempt++)
        {
            port = draw();
        }
        return port;
    }

    /**
     * @return a port of the range, for a host this process cannot check (rank 0 says so if it is taken there).
     */
    public static int draw()
    {
        return Configuration.SLURM_RENDEZVOUS_PORT_BASE +
            ThreadLocalRandom.current().nextInt(Configuration.SLURM_RENDEZVOUS_PORT_COUNT);
    }

    private static boolean isFree(final int port)
    {
        try (ServerSocket socket = new ServerSocket(port))
        {
            return socket.getLocalPort() == port;
        }
        catch (final IOException ex)
        {
            return false;
        }
    }
}
