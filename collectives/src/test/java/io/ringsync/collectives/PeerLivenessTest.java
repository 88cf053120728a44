package io.ringsync.collectives;

import io.ringsync.transport.agreement.AgreementClient;
import io.ringsync.transport.agreement.AgreementServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(30)
class PeerLivenessTest
{
    private static final byte[] SECRET = "peer-liveness-test".getBytes(StandardCharsets.US_ASCII);

    @Test
    void aRankWhoseLeaseEndedIsGoneFromThenOnEvenIfTheNameIsHeldAgain() throws Exception
    {
        try (AgreementServer server = AgreementServer.start(new InetSocketAddress("127.0.0.1", 0), SECRET,
            line -> { });
            AgreementClient store = connect(server))
        {
            final String lease = AgreementLease.name("host-b", 4242);
            final AgreementClient rankOne = connect(server);
            rankOne.hold(lease, "alive");
            final PeerLiveness liveness =
                PeerLiveness.ofLeases(new ProcessHandle[2], store, new String[]{ null, lease });
            assertNull(liveness.gone(1));
            assertNull(liveness.gone(0), "a rank known neither by process nor by lease is taken to run");

            rankOne.close();
            final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            String gone = null;
            while (null == gone && System.nanoTime() - deadlineNs < 0)
            {
                gone = liveness.gone(1);
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
            }
            assertEquals("its process ended: its lease " + lease + " at the agreement server is gone", gone);

            // a later holder of the same name (a pid reused on that host) does not bring the rank back, and no
            // check between two lease questions answers "may still run"
            try (AgreementClient later = connect(server))
            {
                later.hold(lease, "alive");
                for (int i = 0; i < 3; i++)
                {
                    assertEquals(gone, liveness.gone(1));
                    LockSupport.parkNanos(PeerLiveness.LEASE_CHECK_NS);
                }
            }
        }
    }

    @Test
    void aProcessOfThisHostIsWatchedThroughItsHandle() throws Exception
    {
        final Process child = new ProcessBuilder("sleep", "30").start();
        try
        {
            final PeerLiveness liveness = PeerLiveness.ofProcesses(new ProcessHandle[]{ null, child.toHandle() });
            assertNull(liveness.gone(1));
            child.destroyForcibly();
            assertTrue(child.waitFor(10, TimeUnit.SECONDS));
            assertEquals("process " + child.pid() + " exited", liveness.gone(1));
        }
        finally
        {
            child.destroyForcibly();
        }
    }

    private static AgreementClient connect(final AgreementServer server) throws java.io.IOException
    {
        return AgreementClient.connect("127.0.0.1:" + server.port(), SECRET, TimeUnit.SECONDS.toNanos(10));
    }
}
