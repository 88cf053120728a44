package io.ringsync.collectives;

import io.ringsync.transport.tcp.TamperingProxy;
import io.ringsync.transport.tcp.TcpTransport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import static io.ringsync.transport.tcp.TcpTestSupport.loopbackEndpoints;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * AllReduce over tcp with a job secret: exact sums; and with a man in the middle between rank 0 and rank 1 that
 * flips one payload byte or replays a frame, every rank fails the call with an exception that names the peer and
 * the authentication failure, and no rank ever returns a wrong sum.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TcpFrameAuthenticationAllReduceTest
{
    private static final int COUNT = 65_536;
    private static final int CALLS = 12;
    private static final byte[] SECRET = "the job's secret".getBytes(StandardCharsets.UTF_8);

    private final List<TamperingProxy> proxies = new ArrayList<>();
    private final ExecutorService pool = Executors.newFixedThreadPool(2);

    @AfterEach
    void tearDown() throws InterruptedException
    {
        pool.shutdownNow();
        for (final TamperingProxy proxy : proxies)
        {
            proxy.close();
        }
        if (!pool.awaitTermination(20, TimeUnit.SECONDS))
        {
            fail("rank threads did not stop");
        }
    }

    /**
     * What one rank saw: the calls that returned (each checked exact on the spot) and the failure, if any.
     */
    private static final class Outcome
    {
        int exactCalls;
        long authenticationFailures;
        RuntimeException failure;
    }

    @Test
    void twoRanksWithTheSecretGetExactSums() throws Exception
    {
        final List<Outcome> outcomes = run(null);
        for (int rank = 0; rank < 2; rank++)
        {
            final Outcome outcome = outcomes.get(rank);
            if (null != outcome.failure)
            {
                throw new AssertionError("rank " + rank + " failed", outcome.failure);
            }
            assertEquals(CALLS, outcome.exactCalls, "rank " + rank);
            assertEquals(0, outcome.authenticationFailures, "rank " + rank);
        }
    }

    @Test
    void aFlippedPayloadByteFailsEveryRankNamingThePeerAndAuthentication() throws Exception
    {
        // well past the handshake, inside the first calls' chunks
        final long flipAt = 300_001;
        final List<Outcome> outcomes = run((offset, value, out) -> offset == flipAt ? value ^ 0x01 : value);
        assertEveryRankFailedLoudly(outcomes);
    }

    @Test
    void aReplayedFrameFailsEveryRankNamingThePeerAndAuthentication() throws Exception
    {
        // the proxy records 4 KiB of the stream from byte 200,000 and sends them again right after: a byte-exact
        // replay of frame bytes with valid tags, in the wrong place
        final int start = 200_000;
        final byte[] recorded = new byte[4096];
        final List<Outcome> outcomes = run((offset, value, out) ->
        {
            if (offset >= start && offset < start + recorded.length)
            {
                recorded[(int)(offset - start)] = (byte)value;
                if (offset == start + recorded.length - 1)
                {
                    out.write(recorded);
                }
            }
            return value;
        });
        assertEveryRankFailedLoudly(outcomes);
    }

    private static void assertEveryRankFailedLoudly(final List<Outcome> outcomes)
    {
        for (int rank = 0; rank < 2; rank++)
        {
            final Outcome outcome = outcomes.get(rank);
            assertTrue(null != outcome.failure, "rank " + rank + " returned from every call (" + outcome.exactCalls +
                " exact): the tampering went unnoticed");
            final String message = outcome.failure.getMessage();
            System.out.println("rank " + rank + " after " + outcome.exactCalls + " exact calls: " + outcome.failure);
            assertTrue(outcome.failure instanceof RingsyncException, "rank " + rank + ": " + outcome.failure);
            assertTrue(message.contains("authentication") && message.contains("from rank 0"),
                "rank " + rank + ": " + message);
            assertTrue(outcome.exactCalls < CALLS, "rank " + rank);
        }
        assertEquals(1, outcomes.get(1).authenticationFailures, "rank 1 dropped and counted the frame");
    }

    /**
     * Two ranks as threads; rank 0 reaches rank 1 through a proxy that applies {@code tamper} (none: direct).
     */
    private List<Outcome> run(final TamperingProxy.Tamper tamper) throws Exception
    {
        final String[] endpoints = loopbackEndpoints(2);
        final String[] zeroSees = endpoints.clone();
        if (null != tamper)
        {
            final String[] target = endpoints[1].split(":");
            final TamperingProxy proxy = new TamperingProxy(
                // the dialer's preamble (128 bytes) and its proof of the secret (24) come before the frames
                new InetSocketAddress(target[0], Integer.parseInt(target[1])), 128 + 24, tamper);
            proxies.add(proxy);
            zeroSees[1] = proxy.endpoint();
        }
        final long jobId = ThreadLocalRandom.current().nextLong();
        final byte[] sessionId = new byte[16];
        ThreadLocalRandom.current().nextBytes(sessionId);
        final List<Future<Outcome>> futures = new ArrayList<>();
        for (int rank = 0; rank < 2; rank++)
        {
            final int r = rank;
            futures.add(pool.submit(() -> rank(r, 0 == r ? zeroSees : endpoints, jobId, sessionId)));
        }
        final List<Outcome> outcomes = new ArrayList<>();
        for (final Future<Outcome> future : futures)
        {
            try
            {
                outcomes.add(future.get(90, TimeUnit.SECONDS));
            }
            catch (final ExecutionException ex)
            {
                throw new AssertionError("a rank thread failed outside its calls", ex.getCause());
            }
        }
        return outcomes;
    }

    private static Outcome rank(final int rank, final String[] endpoints, final long jobId, final byte[] sessionId)
    {
        final Outcome outcome = new Outcome();
        final TcpTransport transport = TcpTransport.connect(new TcpTransport.Context()
            .rank(rank)
            .worldSize(2)
            .jobId(jobId)
            .endpoints(endpoints)
            .connectTimeoutNs(TimeUnit.SECONDS.toNanos(20))
            .jobSecret(SECRET)
            .sessionId(sessionId));
        try (Communicator comm = Communicator.connect(transport, new Context().timeoutNs(TimeUnit.SECONDS.toNanos(20))))
        {
            try
            {
                for (int call = 0; call < CALLS; call++)
                {
                    final float[] vector = new float[COUNT];
                    for (int i = 0; i < COUNT; i++)
                    {
                        // small integers: the sum is exact in any order
                        vector[i] = (rank + 1) * ((i + call) % 97);
                    }
                    comm.allReduce(vector, ReduceOp.SUM);
                    for (int i = 0; i < COUNT; i++)
                    {
                        final float expected = 3 * ((i + call) % 97);
                        if (vector[i] != expected)
                        {
                            throw new AssertionError("rank " + rank + " call " + call + " element " + i +
                                ": a wrong sum " + vector[i] + " (expected " + expected + ") was returned");
                        }
                    }
                    outcome.exactCalls++;
                }
            }
            catch (final RingsyncException ex)
            {
                outcome.failure = ex;
            }
            outcome.authenticationFailures = comm.authenticationFailures();
        }
        catch (final RingsyncException ex)
        {
            // closing after a failure may fail too; the first failure is what counts
            if (null == outcome.failure)
            {
                outcome.failure = ex;
            }
        }
        finally
        {
            transport.close();
        }
        return outcome;
    }
}
