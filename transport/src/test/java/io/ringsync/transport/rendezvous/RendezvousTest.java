package io.ringsync.transport.rendezvous;

import io.ringsync.transport.ByteSearch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The rendezvous with ranks as threads on loopback: the table every rank gets, and every refusal, on both sides.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RendezvousTest
{
    private final ExecutorService pool = Executors.newCachedThreadPool();
    private final List<String> log = Collections.synchronizedList(new ArrayList<>());
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception
    {
        for (final AutoCloseable closeable : closeables)
        {
            closeable.close();
        }
        pool.shutdownNow();
        assertTrue(pool.awaitTermination(20, TimeUnit.SECONDS), "rank threads still running");
    }

    private Rendezvous.Context rank(final int port, final int rank, final int worldSize, final long timeoutMs)
    {
        return new Rendezvous.Context()
            .rank(rank)
            .worldSize(worldSize)
            .address("127.0.0.1:" + port)
            .addressSource("RINGSYNC_RENDEZVOUS=127.0.0.1:" + port)
            .timeoutNs(TimeUnit.MILLISECONDS.toNanos(timeoutMs))
            .hostIdentity("host" + (rank / 2) + "/boot")
            .endpoints("10.0.0." + rank + ":" + (40000 + rank))
            .log(log::add);
    }

    private Future<RendezvousTable> start(final Rendezvous.Context ctx)
    {
        return pool.submit(() -> Rendezvous.join(ctx));
    }

    private static RendezvousTable get(final Future<RendezvousTable> future) throws Exception
    {
        try
        {
            return future.get(30, TimeUnit.SECONDS);
        }
        catch (final ExecutionException ex)
        {
            throw new AssertionError("rank failed: " + ex.getCause(), ex.getCause());
        }
    }

    private static String failure(final Future<RendezvousTable> future) throws Exception
    {
        try
        {
            final RendezvousTable table = future.get(30, TimeUnit.SECONDS);
            return fail("expected a refusal, got " + table);
        }
        catch (final ExecutionException ex)
        {
            assertTrue(ex.getCause() instanceof RendezvousException, () -> "not a RendezvousException: " + ex.getCause());
            return ex.getCause().getMessage();
        }
    }

    static int freePort()
    {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress()))
        {
            return socket.getLocalPort();
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    @Test
    void everyRankGetsTheSameTableEvenWhenRankZeroStartsLast() throws Exception
    {
        final int port = freePort();
        final int n = 5;
        final List<Future<RendezvousTable>> ranks = new ArrayList<>();
        for (int r = n - 1; r >= 1; r--)
        {
            ranks.add(0, start(rank(port, r, n, 20_000)));
        }
        Thread.sleep(300); // the others retry meanwhile: connection refused
        ranks.add(0, start(rank(port, 0, n, 20_000)));

        final RendezvousTable first = get(ranks.get(0));
        assertNotEquals(0, first.jobId());
        assertEquals(16, first.sessionId().length);
        assertFalse(Arrays.equals(new byte[16], first.sessionId()), "session id left zero");
        for (int r = 0; r < n; r++)
        {
            final RendezvousTable table = get(ranks.get(r));
            assertEquals(r, table.rank());
            assertEquals(n, table.worldSize());
            assertEquals(first.jobId(), table.jobId());
            assertArrayEquals(first.sessionId(), table.sessionId());
            for (int peer = 0; peer < n; peer++)
            {
                assertEquals("host" + (peer / 2) + "/boot", table.host(peer));
                assertArrayEquals(new String[]{ "10.0.0." + peer + ":" + (40000 + peer) }, table.endpoints(peer));
            }
            assertEquals(r % 2, table.localRank(), "rank " + r);
            assertEquals(3, table.hostCount());
        }
        assertArrayEquals(new int[]{ 4 }, first.ranksOnHostOf(4));
        assertEquals(List.of(), log, "nothing refused");
    }

    @Test
    void rankZeroProposesItsJobIdAndAOneRankJobNeedsNoServer() throws Exception
    {
        final int port = freePort();
        final Future<RendezvousTable> zero = start(rank(port, 0, 2, 20_000).jobId(0x2A));
        final Future<RendezvousTable> one = start(rank(port, 1, 2, 20_000).jobId(0x99));
        assertEquals(0x2A, get(zero).jobId());
        assertEquals(0x2A, get(one).jobId());

        final RendezvousTable alone = Rendezvous.join(rank(port, 0, 1, 1_000));
        assertEquals(1, alone.worldSize());
        assertNotEquals(0, alone.jobId());
    }

    @Test
    void aWrongWorldSizeIsRefusedOnEveryRankWithBothValues() throws Exception
    {
        final int port = freePort();
        final Future<RendezvousTable> zero = start(rank(port, 0, 3, 20_000));
        final Future<RendezvousTable> one = start(rank(port, 1, 3, 20_000));
        Thread.sleep(200);
        final Future<RendezvousTable> two = start(rank(port, 2, 4, 20_000));

        for (final Future<RendezvousTable> rank : List.of(zero, one, two))
        {
            final String message = failure(rank);
            assertTrue(message.contains("rank 2") && message.contains("world size 4") &&
                message.contains("rank 0 with world size 3"), message);
        }
        assertTrue(failure(two).contains("refused"), failure(two));
        assertTrue(failure(zero).startsWith("rank 0: "), failure(zero));
    }

    @Test
    void aDuplicateRankIsRefusedAndTheJobGoesOn() throws Exception
    {
        final int port = freePort();
        final Future<RendezvousTable> zero = start(rank(port, 0, 3, 20_000));
        final Future<RendezvousTable> one = start(rank(port, 1, 3, 20_000));
        awaitLog(null); // nothing yet
        Thread.sleep(500); // rank 1 has joined by now (it retries every few ms)
        final String duplicate = failure(start(rank(port, 1, 3, 20_000).hostIdentity("elsewhere/boot")));
        assertTrue(duplicate.contains("rank 1 has already joined") && duplicate.contains("host0/boot"), duplicate);
        assertTrue(awaitLog("claiming rank 1 (host elsewhere/boot): rank 1 has already joined"), log::toString);

        final Future<RendezvousTable> two = start(rank(port, 2, 3, 20_000));
        assertEquals(get(zero).jobId(), get(two).jobId());
        assertEquals("host0/boot", get(one).host(1));
    }

    @Test
    void ranksThatNeverArriveAreNamedOnEveryRankThatWaits() throws Exception
    {
        final int port = freePort();
        final Future<RendezvousTable> zero = start(rank(port, 0, 5, 3_000));
        Thread.sleep(100);
        final Future<RendezvousTable> one = start(rank(port, 1, 5, 3_000));
        final Future<RendezvousTable> three = start(rank(port, 3, 5, 3_000));

        final String atZero = failure(zero);
        assertTrue(atZero.contains("ranks 2, 4 never arrived (3 of 5 joined") && atZero.contains("3000 ms"), atZero);
        for (final Future<RendezvousTable> waiting : List.of(one, three))
        {
            final String message = failure(waiting);
            assertTrue(message.contains("ranks 2, 4"), message);
        }
    }

    @Test
    void withASecretOnlyRanksThatKnowItJoinAndItNeverCrossesTheWire() throws Exception
    {
        final byte[] secret = "correct horse battery staple".getBytes(StandardCharsets.UTF_8);
        final int port = freePort();
        final Recorder recorder = new Recorder(port);
        closeables.add(recorder);
        final Future<RendezvousTable> zero = start(rank(port, 0, 3, 20_000).secret(secret));
        // rank 1 reaches rank 0 through the recorder, which keeps every byte both ways
        final Future<RendezvousTable> one = start(rank(recorder.port(), 1, 3, 20_000).secret(secret));

        final String wrong = failure(start(rank(port, 2, 3, 20_000).secret("guess".getBytes(StandardCharsets.UTF_8))));
        assertTrue(wrong.contains("refused") && wrong.contains("RINGSYNC_JOB_SECRET") &&
            wrong.contains("not the job's secret"), wrong);
        assertTrue(awaitLog("wrong RINGSYNC_JOB_SECRET (1 refused so far)"), log::toString);

        final String none = failure(start(rank(port, 2, 3, 20_000)));
        assertTrue(none.contains("requires RINGSYNC_JOB_SECRET and this process has none"), none);
        assertTrue(awaitLog("needs RINGSYNC_JOB_SECRET and that process has none (2 refused so far)"),
            log::toString);

        final Future<RendezvousTable> two = start(rank(port, 2, 3, 20_000).secret(secret));
        final RendezvousTable table = get(two);
        assertEquals(get(zero).jobId(), table.jobId());
        assertArrayEquals(get(one).sessionId(), table.sessionId());

        final byte[] wire = recorder.bytes();
        assertTrue(wire.length > 100, "the recorder saw the exchange");
        assertEquals(-1, ByteSearch.indexOf(wire, secret), "the secret crossed the wire");
        assertTrue(ByteSearch.indexOf(wire, "host0/boot".getBytes(StandardCharsets.UTF_8)) >= 0,
            "the recorder saw the join");
    }

    @Test
    void aSecretOnlyOnTheJoiningRankIsRefusedToo() throws Exception
    {
        final int port = freePort();
        final Future<RendezvousTable> zero = start(rank(port, 0, 2, 3_000));
        final String refused = failure(start(rank(port, 1, 2, 3_000).secret(new byte[]{ 1, 2, 3 })));
        assertTrue(refused.contains("has RINGSYNC_JOB_SECRET set but rank 0 has none"), refused);
        assertTrue(awaitLog("that process has RINGSYNC_JOB_SECRET set but rank 0 has none"), log::toString);
        final String atZero = failure(zero);
        assertTrue(atZero.contains("rank 1 never arrived") && atZero.contains("1 join was refused"), atZero);
    }

    @Test
    void aNameThatDoesNotResolveIsRetriedUntilTheDeadline()
    {
        final long startNs = System.nanoTime();
        final RendezvousException ex = assertThrows(RendezvousException.class, () -> Rendezvous.join(
            new Rendezvous.Context().rank(1).worldSize(2).address("rank0.not-yet.invalid:29500")
                .addressSource("MASTER_ADDR/MASTER_PORT").timeoutNs(TimeUnit.MILLISECONDS.toNanos(1_200))));
        final long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
        assertTrue(elapsedMs >= 1_100 && elapsedMs < 15_000, "took " + elapsedMs + " ms");
        assertTrue(ex.getMessage().contains("rank 1 could not join the rendezvous at rank0.not-yet.invalid:29500 " +
            "(MASTER_ADDR/MASTER_PORT) within 1200 ms") && ex.getMessage().contains("cannot resolve"), ex.getMessage());
    }

    @Test
    void silentAndForeignConnectionsDoNotStallTheRendezvous() throws Exception
    {
        final int port = freePort();
        final Future<RendezvousTable> zero = start(rank(port, 0, 2, 20_000).connectionTimeoutNs(
            TimeUnit.MILLISECONDS.toNanos(500)));
        Socket silent = null;
        for (int attempt = 0; null == silent && attempt < 100; attempt++)
        {
            try
            {
                silent = new Socket(InetAddress.getLoopbackAddress(), port);
            }
            catch (final IOException ex)
            {
                Thread.sleep(20);
            }
        }
        closeables.add(silent);
        try (Socket foreign = new Socket(InetAddress.getLoopbackAddress(), port))
        {
            foreign.getOutputStream().write("GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            foreign.getOutputStream().flush();
        }
        final Future<RendezvousTable> one = start(rank(port, 1, 2, 20_000));
        assertEquals(get(zero).jobId(), get(one).jobId());
    }

    @Test
    void aPortTakenByAnotherProgramIsNamed() throws Exception
    {
        try (ServerSocket other = new ServerSocket(0, 1, InetAddress.getLoopbackAddress()))
        {
            final Thread answer = new Thread(() ->
            {
                try (Socket socket = other.accept())
                {
                    socket.getOutputStream().write("SSH-2.0-OpenSSH_9.2\r\n".getBytes(StandardCharsets.US_ASCII));
                    socket.getOutputStream().flush();
                    Thread.sleep(500);
                }
                catch (final IOException | InterruptedException ignore)
                {
                    // the test is over
                }
            });
            answer.setDaemon(true);
            answer.start();
            final RendezvousException client = assertThrows(RendezvousException.class,
                () -> Rendezvous.join(rank(other.getLocalPort(), 1, 2, 5_000)));
            assertTrue(client.getMessage().contains("is not a ringsync rendezvous"), client.getMessage());

            final RendezvousException server = assertThrows(RendezvousException.class,
                () -> Rendezvous.join(rank(other.getLocalPort(), 0, 2, 5_000).bindHost("127.0.0.1")));
            assertTrue(server.getMessage().contains("rank 0 cannot serve the rendezvous on port " +
                other.getLocalPort()), server.getMessage());
        }
    }

    @Test
    void badAddressesAreNamed()
    {
        for (final String address : new String[]{ "node01", "node01:", "node01:0", "node01:70000", ":29500",
            "fe80::1:29500" })
        {
            final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> new Rendezvous.Context().rank(1).worldSize(2).address(address)
                    .addressSource("RINGSYNC_RENDEZVOUS=" + address).conclude());
            assertTrue(ex.getMessage().contains("RINGSYNC_RENDEZVOUS=" + address) &&
                ex.getMessage().contains("not host:port"), ex.getMessage());
        }
        final Rendezvous.Context v6 = new Rendezvous.Context().rank(1).worldSize(2).address("[::1]:29500").conclude();
        assertEquals("::1", v6.host());
        assertEquals(29500, v6.port());
    }

    private boolean awaitLog(final String fragment) throws InterruptedException
    {
        if (null == fragment)
        {
            return true;
        }
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() - deadlineNs < 0)
        {
            synchronized (log)
            {
                if (log.stream().anyMatch(line -> line.contains(fragment)))
                {
                    return true;
                }
            }
            Thread.sleep(10);
        }
        return false;
    }

    /**
     * A one-connection TCP relay to a port on loopback that keeps a copy of every byte, both ways.
     */
    private static final class Recorder implements AutoCloseable
    {
        private final ServerSocket server;
        private final ByteArrayOutputStream seen = new ByteArrayOutputStream();
        private final List<Socket> sockets = Collections.synchronizedList(new ArrayList<>());

        Recorder(final int targetPort) throws IOException
        {
            server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
            final Thread thread = new Thread(() ->
            {
                try
                {
                    final Socket in = server.accept();
                    sockets.add(in);
                    Socket out = null;
                    while (null == out)
                    {
                        try
                        {
                            out = new Socket(InetAddress.getLoopbackAddress(), targetPort);
                        }
                        catch (final IOException ex)
                        {
                            Thread.sleep(20);
                        }
                    }
                    sockets.add(out);
                    pump(in.getInputStream(), out.getOutputStream());
                    pump(out.getInputStream(), in.getOutputStream());
                }
                catch (final IOException | InterruptedException ignore)
                {
                    // closed by the test
                }
            }, "recorder");
            thread.setDaemon(true);
            thread.start();
        }

        int port()
        {
            return server.getLocalPort();
        }

        byte[] bytes()
        {
            synchronized (seen)
            {
                return seen.toByteArray();
            }
        }

        private void pump(final InputStream from, final OutputStream to)
        {
            final Thread thread = new Thread(() ->
            {
                final byte[] buffer = new byte[4096];
                try
                {
                    int count;
                    while ((count = from.read(buffer)) > 0)
                    {
                        synchronized (seen)
                        {
                            seen.write(buffer, 0, count);
                        }
                        to.write(buffer, 0, count);
                        to.flush();
                    }
                    to.close();
                }
                catch (final IOException ignore)
                {
                    // one side closed
                }
            }, "recorder-pump");
            thread.setDaemon(true);
            thread.start();
        }

        public void close() throws IOException
        {
            server.close();
            synchronized (sockets)
            {
                for (final Socket socket : sockets)
                {
                    socket.close();
                }
            }
        }
    }
}
