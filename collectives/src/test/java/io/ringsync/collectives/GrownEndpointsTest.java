package io.ringsync.collectives;

import io.ringsync.transport.agreement.AgreementClient;
import io.ringsync.transport.agreement.AgreementServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * How the ranks of a group grown by rejoining learn each other's ports ({@link GrownEndpoints}): two tcp ranks
 * end with the same table, each entry the port its listener has; a rank whose process has exited, or whose lease
 * at the agreement server ended (another host's), is named at once, one that stays silent at the deadline; a failed
 * exchange leaves no listener bound.
 */
@Timeout(30)
class GrownEndpointsTest
{
    private static final long MESH_ID = 0x1234_5678_9abc_def0L;

    @Test
    void twoRanksEndWithTheSameTableOfTheirListenersPorts(@TempDir final Path directory) throws Exception
    {
        final CompletableFuture<GrownEndpoints> one = CompletableFuture.supplyAsync(() ->
            GrownEndpoints.exchange(context(1, 10_000), store(directory), MESH_ID, "127.0.0.1", unknown(),
                true));
        final GrownEndpoints zero =
            GrownEndpoints.exchange(context(0, 10_000), store(directory), MESH_ID, "127.0.0.1", unknown(),
                true);
        final GrownEndpoints other = one.get(20, TimeUnit.SECONDS);
        try
        {
            assertArrayEquals(zero.endpoints(), other.endpoints());
            assertEquals("127.0.0.1:" + port(zero), zero.endpoints()[0]);
            assertEquals("127.0.0.1:" + port(other), zero.endpoints()[1]);
            assertTrue(port(zero) != port(other));
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(
                directory.resolve(String.format("endpoint-%016x-0", MESH_ID)))));
        }
        finally
        {
            zero.listener().close();
            other.listener().close();
        }
    }

    @Test
    void twoUdpRanksEndWithTheSameTableOfDistinctFreePortsAndNoListener(@TempDir final Path directory)
        throws Exception
    {
        final CompletableFuture<GrownEndpoints> one = CompletableFuture.supplyAsync(() -> GrownEndpoints.exchange(
            context(1, 10_000), store(directory), MESH_ID, "127.0.0.1", unknown(), false));
        final GrownEndpoints zero = GrownEndpoints.exchange(
            context(0, 10_000), store(directory), MESH_ID, "127.0.0.1", unknown(), false);
        final GrownEndpoints other = one.get(20, TimeUnit.SECONDS);
        assertArrayEquals(zero.endpoints(), other.endpoints());
        assertTrue(zero.endpoints()[0].startsWith("127.0.0.1:") && zero.endpoints()[1].startsWith("127.0.0.1:"));
        assertFalse(zero.endpoints()[0].equals(zero.endpoints()[1]), "two ranks, two ports");
        assertEquals(null, zero.listener());
        // free when looked at: the media driver binds it next
        final int port = Integer.parseInt(zero.endpoints()[0].substring("127.0.0.1:".length()));
        try (java.net.DatagramSocket socket = new java.net.DatagramSocket(new InetSocketAddress("127.0.0.1", port)))
        {
            assertEquals(port, socket.getLocalPort());
        }
    }

    @Test
    void aRankWhoseProcessExitedIsNamedAtOnce(@TempDir final Path directory) throws Exception
    {
        final Process gone = new ProcessBuilder("true").start();
        assertTrue(gone.waitFor(10, TimeUnit.SECONDS));
        final ProcessHandle[] known = { null, null, gone.toHandle() };
        final long startNs = System.nanoTime();
        final PeerFailedException ex = assertThrows(PeerFailedException.class, () ->
            GrownEndpoints.exchange(context(0, 3, 20_000), store(directory), MESH_ID, "127.0.0.1", PeerLiveness.ofProcesses(known), true));
        assertTrue(System.nanoTime() - startNs < TimeUnit.SECONDS.toNanos(10), "named at once, not at the deadline");
        assertEquals(2, ex.suspectRank(), ex.getMessage());
        assertEquals("rank 0: rank 2 of the grown group is gone before it published its endpoint: process " +
            gone.pid() + " exited", ex.getMessage());
        assertListenerReleased(directory, 0);
    }

    @Test
    void aSilentRankIsNamedAtTheDeadline(@TempDir final Path directory) throws Exception
    {
        final CollectiveTimeoutException ex = assertThrows(CollectiveTimeoutException.class, () ->
            GrownEndpoints.exchange(context(1, 300), store(directory), MESH_ID, "127.0.0.1", unknown(),
                true));
        assertEquals(0, ex.suspectRank(), ex.getMessage());
        assertTrue(ex.getMessage().startsWith("rank 1: rank 0 of the grown group did not publish its " +
            "endpoint"), ex.getMessage());
        assertTrue(ex.getMessage().endsWith("within 300 ms"), ex.getMessage());
        assertListenerReleased(directory, 1);
    }

    @Test
    void aRankOfAnotherHostWhoseLeaseEndedIsNamedAtOnce(@TempDir final Path directory) throws Exception
    {
        final byte[] secret = "grown-endpoints-test".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        try (AgreementServer server = AgreementServer.start(new InetSocketAddress("127.0.0.1", 0), secret,
            line -> { });
            AgreementClient store = AgreementClient.connect("127.0.0.1:" + server.port(), secret,
                TimeUnit.SECONDS.toNanos(10)))
        {
            // rank 1 runs on another host: only its lease says whether it runs; it ends a moment after the wait began
            final String lease = AgreementLease.name("host-b", 4242);
            final AgreementClient rankOne = AgreementClient.connect("127.0.0.1:" + server.port(), secret,
                TimeUnit.SECONDS.toNanos(10));
            rankOne.hold(lease, "alive");
            final CompletableFuture<Void> exits = CompletableFuture.runAsync(() ->
            {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(300));
                org.agrona.CloseHelper.quietClose(rankOne);
            });
            final long startNs = System.nanoTime();
            final PeerFailedException ex = assertThrows(PeerFailedException.class, () -> GrownEndpoints.exchange(
                context(0, 20_000), store, MESH_ID, "127.0.0.1",
                PeerLiveness.ofLeases(new ProcessHandle[2], store, new String[]{ null, lease }), true));
            final long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
            exits.get(10, TimeUnit.SECONDS);
            assertTrue(tookMs < 10_000, "named after " + tookMs + " ms, not at once");
            assertEquals(1, ex.suspectRank(), ex.getMessage());
            assertEquals("rank 0: rank 1 of the grown group is gone before it published its endpoint: its " +
                "process ended: its lease " + lease + " at the agreement server is gone", ex.getMessage());
        }
    }

    private static PeerLiveness unknown()
    {
        return PeerLiveness.ofProcesses(new ProcessHandle[2]);
    }

    private static DirectoryStore store(final Path directory)
    {
        return new DirectoryStore(directory, "test");
    }

    private static Context context(final int rank, final long timeoutMs)
    {
        return context(rank, 2, timeoutMs);
    }

    private static Context context(final int rank, final int size, final long timeoutMs)
    {
        return new Context().transport("tcp").rank(rank).worldSize(size)
            .timeoutNs(TimeUnit.MILLISECONDS.toNanos(timeoutMs));
    }

    private static int port(final GrownEndpoints endpoints) throws Exception
    {
        return ((InetSocketAddress)endpoints.listener().getLocalAddress()).getPort();
    }

    /**
     * The rank published its endpoint before it failed; nothing may listen there any more.
     */
    private static void assertListenerReleased(final Path directory, final int rank) throws Exception
    {
        final Path file = directory.resolve(String.format("endpoint-%016x-%d", MESH_ID, rank));
        final String endpoint = Files.readString(file).trim();
        final int port = Integer.parseInt(endpoint.substring(endpoint.lastIndexOf(':') + 1));
        try (java.net.Socket socket = new java.net.Socket())
        {
            assertFalse(connects(socket, port), "the failed exchange left " + endpoint + " listening");
        }
    }

    private static boolean connects(final java.net.Socket socket, final int port)
    {
        try
        {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 2_000);
            return true;
        }
        catch (final java.io.IOException refused)
        {
            return false;
        }
    }
}
