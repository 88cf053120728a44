package io.ringsync.collectives;

import io.aeron.protocol.DataHeaderFlyweight;
import io.ringsync.transport.aeron.AeronMedia;
import io.ringsync.transport.aeron.AeronTransport;
import io.ringsync.transport.aeron.UdpPorts;
import io.ringsync.transport.aeron.UdpTamperingRelay;
import org.agrona.IoUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.File;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * AllReduce over udp with a job secret: bitwise identical, exact sums on both ranks; and with a man in the middle
 * of the link from rank 0 to rank 1 that flips one bit of a data frame or moves a captured frame to a later
 * position, or with a rank 0 keyed by another secret, every rank fails its call within the deadline with an
 * exception that names the peer and the authentication failure, rank 1 counts the dropped message, and no rank ever
 * returns a wrong sum.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@Tag("process") // two embedded udp drivers
class UdpFrameAuthenticationAllReduceTest
{
    private static final int COUNT = 65_536;
    private static final int CALLS = 12;
    private static final long TIMEOUT_MS = 20_000;
    private static final byte[] SECRET = "the job's secret".getBytes(StandardCharsets.UTF_8);
    private static final byte[] SESSION_SECRET = "both ranks agree on the sessions".getBytes(StandardCharsets.UTF_8);

    private final File jobDir = TestJobDirectory.fresh("udp-mac");
    private final List<UdpTamperingRelay> relays = new ArrayList<>();
    private final ExecutorService pool = Executors.newFixedThreadPool(2);

    @AfterEach
    void tearDown() throws InterruptedException
    {
        pool.shutdownNow();
        for (final UdpTamperingRelay relay : relays)
        {
            relay.close();
        }
        final boolean stopped = pool.awaitTermination(20, TimeUnit.SECONDS);
        IoUtil.delete(jobDir, true);
        if (!stopped)
        {
            fail("rank threads did not stop");
        }
    }

    /**
     * What one rank saw: the calls that returned (each checked exact on the spot), the last result's bits, and the
     * failure, if any.
     */
    private static final class Outcome
    {
        int exactCalls;
        long authenticationFailures;
        long droppedMessages;
        int[] lastResultBits;
        long failedAfterMs = -1;
        RuntimeException failure;
    }

    @Test
    void twoRanksWithTheSecretGetBitwiseIdenticalExactSums() throws Exception
    {
        final List<Outcome> outcomes = run(null, SECRET);
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
        assertArrayEquals(outcomes.get(0).lastResultBits, outcomes.get(1).lastResultBits, "bitwise identical");
    }

    @ParameterizedTest(name = "{0} % lost")
    @ValueSource(ints = { 1, 5, 20 })
    void tagsHoldThroughLossAndRetransmission(final int percent) throws Exception
    {
        // this share of what rank 0 sends to rank 1 is lost: Aeron's NAKs bring the frames again, tags and all
        final Random loss = new Random(7);
        // written by the relay's thread, read by this one
        final java.util.concurrent.atomic.AtomicLong dropped = new java.util.concurrent.atomic.AtomicLong();
        final List<Outcome> outcomes = run((datagram, length) ->
        {
            if (UdpTamperingRelay.isOneDataFrame(datagram, length, 1) && loss.nextInt(100) < percent)
            {
                dropped.incrementAndGet();
                return -1;
            }
            return length;
        }, SECRET);
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
        assertTrue(dropped.get() > 5, "the relay dropped " + dropped.get() + " data frames");
        assertArrayEquals(outcomes.get(0).lastResultBits, outcomes.get(1).lastResultBits, "bitwise identical");
    }

    @Test
    void aBitFlippedOnTheWireFailsEveryRankNamingThePeerAndAuthentication() throws Exception
    {
        final int[] dataFrames = { 0 };
        final Set<Long> seen = new HashSet<>();
        final long[] chosen = { -1 };
        final List<Outcome> outcomes = run((datagram, length) ->
        {
            if (!UdpTamperingRelay.isOneDataFrame(datagram, length, 1000))
            {
                return length;
            }
            // well past the handshake, inside the first calls' chunks: the 300th position sent, and every copy of it
            // (a retransmission of a position the receiver already has is dropped unread, so flipping only a
            // retransmitted copy, or only the first while a retransmission arrives ahead of it, would go unseen)
            final long position = UdpTamperingRelay.position(datagram);
            if (seen.add(position) && 300 == dataFrames[0]++)
            {
                chosen[0] = position;
            }
            if (position == chosen[0])
            {
                final int at = DataHeaderFlyweight.HEADER_LENGTH + 517;
                datagram.putByte(at, (byte)(datagram.getByte(at) ^ 0x04));
            }
            return length;
        }, SECRET);
        assertEveryRankFailedLoudly(outcomes);
    }

    @Test
    void aCapturedFrameReplayedAtALaterPositionFailsEveryRank() throws Exception
    {
        // frames 200..400 captured, the first of each length (which lengths recur later depends on how the sender's
        // messages fall into datagrams, i.e. on timing); later, the first new position whose frame has a captured
        // length gets it, and so does every copy of that position: a retransmission of a position the receiver
        // already has is dropped unread, so replaying once, into a copy that comes second, would go unseen
        final Map<Integer, byte[]> recordings = new HashMap<>();
        final Set<Long> seen = new HashSet<>();
        // a position is a term id (random, maybe negative) and a term offset: no value of it can mean "none"
        final long[] chosen = { 0 };
        final boolean[] isChosen = { false };
        final java.util.concurrent.atomic.AtomicInteger replays = new java.util.concurrent.atomic.AtomicInteger();
        final int[] dataFrames = { 0 };
        final List<Outcome> outcomes = run((datagram, length) ->
        {
            if (!UdpTamperingRelay.isOneDataFrame(datagram, length, 1000))
            {
                return length;
            }
            final int index = dataFrames[0]++;
            final long position = UdpTamperingRelay.position(datagram);
            final boolean isNew = seen.add(position);
            if (index >= 200 && index <= 400)
            {
                recordings.computeIfAbsent(length, ignored ->
                {
                    final byte[] recording = new byte[length];
                    datagram.getBytes(0, recording, 0, length);
                    return recording;
                });
            }
            else if (index > 400 && !isChosen[0] && isNew && recordings.containsKey(length))
            {
                chosen[0] = position;
                isChosen[0] = true;
            }
            if (isChosen[0] && position == chosen[0])
            {
                // the captured frame, valid tag and all, moved to where this one belongs
                final int termOffset =
                    datagram.getInt(DataHeaderFlyweight.TERM_OFFSET_FIELD_OFFSET, ByteOrder.LITTLE_ENDIAN);
                final int termId = datagram.getInt(DataHeaderFlyweight.TERM_ID_FIELD_OFFSET, ByteOrder.LITTLE_ENDIAN);
                datagram.putBytes(0, recordings.get(length), 0, length);
                datagram.putInt(DataHeaderFlyweight.TERM_OFFSET_FIELD_OFFSET, termOffset, ByteOrder.LITTLE_ENDIAN);
                datagram.putInt(DataHeaderFlyweight.TERM_ID_FIELD_OFFSET, termId, ByteOrder.LITTLE_ENDIAN);
                replays.incrementAndGet();
            }
            return length;
        }, SECRET);
        // the relay's thread counted, this one reads: an atomic, so the count is the relay's last
        assertTrue(replays.get() > 0, "no frame after the 400th had a captured length: nothing was replayed (" +
            "lengths captured " + recordings.keySet() + ")");
        assertEveryRankFailedLoudly(outcomes);
    }

    @Test
    void aSenderWithAnotherSecretFailsEveryRank() throws Exception
    {
        // each rank finds the other's messages fail: each names the other
        final List<Outcome> outcomes = run(null, "another secret".getBytes(StandardCharsets.UTF_8));
        for (int rank = 0; rank < 2; rank++)
        {
            assertFailedLoudly(outcomes.get(rank), rank, 1 - rank);
        }
        assertEquals(1, outcomes.get(1).authenticationFailures, "rank 1 dropped and counted rank 0's message");
    }

    private static void assertEveryRankFailedLoudly(final List<Outcome> outcomes)
    {
        for (int rank = 0; rank < 2; rank++)
        {
            assertFailedLoudly(outcomes.get(rank), rank, 0);
        }
        assertEquals(1, outcomes.get(1).authenticationFailures, "rank 1 dropped and counted the message");
        assertTrue(outcomes.get(1).droppedMessages >= 1, "counted among the dropped messages too");
        assertEquals(0, outcomes.get(0).authenticationFailures, "rank 0 received nothing bad");
    }

    private static void assertFailedLoudly(final Outcome outcome, final int rank, final int blamed)
    {
        assertTrue(null != outcome.failure, "rank " + rank + " returned from every call (" + outcome.exactCalls +
            " exact): the tampering went unnoticed");
        final String message = outcome.failure.getMessage();
        System.out.println("rank " + rank + " after " + outcome.exactCalls + " exact calls, " +
            outcome.failedAfterMs + " ms into its failing call: " + outcome.failure);
        assertTrue(outcome.failure instanceof RingsyncException, "rank " + rank + ": " + outcome.failure);
        assertTrue(message.contains("authentication") && message.contains("from rank " + blamed),
            "rank " + rank + ": " + message);
        assertTrue(outcome.exactCalls < CALLS, "rank " + rank);
        // found out at once, not at the deadline
        assertTrue(outcome.failedAfterMs < TIMEOUT_MS, "rank " + rank + " failed " + outcome.failedAfterMs +
            " ms into the call");
    }

    /**
     * Two ranks as threads; rank 0 reaches rank 1 through a relay that applies {@code tamper} (none: direct), and
     * keys its tags with {@code zeroSecret}.
     */
    private List<Outcome> run(final UdpTamperingRelay.Tamper tamper, final byte[] zeroSecret) throws Exception
    {
        assertTrue(jobDir.mkdirs() || jobDir.isDirectory());
        final String[] endpoints = UdpPorts.loopbackEndpoints(2);
        final String[] zeroSees = endpoints.clone();
        if (null != tamper)
        {
            final UdpTamperingRelay relay = new UdpTamperingRelay(UdpTamperingRelay.address(endpoints[1]), tamper);
            relays.add(relay);
            zeroSees[1] = relay.endpoint();
        }
        final long jobId = ThreadLocalRandom.current().nextLong() >>> 1;
        final byte[] sessionId = new byte[16];
        ThreadLocalRandom.current().nextBytes(sessionId);
        final List<Future<Outcome>> futures = new ArrayList<>();
        for (int rank = 0; rank < 2; rank++)
        {
            final int r = rank;
            final AeronTransport.Context ctx = new AeronTransport.Context()
                .rank(r)
                .worldSize(2)
                .jobId(jobId)
                .media(AeronMedia.UDP)
                .jobDirectory(jobDir)
                .udpEndpoints(0 == r ? zeroSees : endpoints)
                .sessionSecret(SESSION_SECRET)
                .jobSecret(0 == r ? zeroSecret : SECRET)
                .rendezvousSessionId(sessionId);
            futures.add(pool.submit(() -> rank(r, ctx)));
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

    private static Outcome rank(final int rank, final AeronTransport.Context transportCtx)
    {
        final Outcome outcome = new Outcome();
        final Random random = new Random(42 + rank);
        final AeronTransport transport = AeronTransport.connect(transportCtx);
        long callStartNs = System.nanoTime();
        try (Communicator comm = Communicator.connect(transport,
            new Context().timeoutNs(TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MS))))
        {
            try
            {
                for (int call = 0; call < CALLS; call++)
                {
                    final float[] vector = new float[COUNT];
                    final float[] other = new float[COUNT];
                    final Random otherRandom = new Random(42 + (1 - rank));
                    for (int i = 0; i < COUNT; i++)
                    {
                        // the same draws as the other rank makes for itself, so each rank knows the exact sum
                        vector[i] = random.nextFloat() * (i % 97) + call;
                    }
                    for (int c = 0; c <= call; c++)
                    {
                        for (int i = 0; i < COUNT; i++)
                        {
                            other[i] = otherRandom.nextFloat() * (i % 97) + c;
                        }
                    }
                    callStartNs = System.nanoTime();
                    final float[] mine = vector.clone();
                    comm.allReduce(vector, ReduceOp.SUM);
                    for (int i = 0; i < COUNT; i++)
                    {
                        // two addends: one rounding, the same whichever rank adds
                        final float expected = mine[i] + other[i];
                        if (Float.floatToRawIntBits(vector[i]) != Float.floatToRawIntBits(expected))
                        {
                            throw new AssertionError("rank " + rank + " call " + call + " element " + i +
                                ": a wrong sum " + vector[i] + " (expected " + expected + ") was returned");
                        }
                    }
                    outcome.lastResultBits = new int[COUNT];
                    for (int i = 0; i < COUNT; i++)
                    {
                        outcome.lastResultBits[i] = Float.floatToRawIntBits(vector[i]);
                    }
                    outcome.exactCalls++;
                }
            }
            catch (final RingsyncException ex)
            {
                outcome.failure = ex;
                outcome.failedAfterMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - callStartNs);
            }
            outcome.authenticationFailures = comm.authenticationFailures();
            outcome.droppedMessages = comm.droppedMessages();
        }
        catch (final RingsyncException ex)
        {
            // connecting may fail too (a rank keyed with another secret fails the handshake); the first counts
            if (null == outcome.failure)
            {
                outcome.failure = ex;
                outcome.failedAfterMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - callStartNs);
                outcome.authenticationFailures = transport.authenticationFailures();
                outcome.droppedMessages = outcome.authenticationFailures;
            }
        }
        finally
        {
            transport.close();
        }
        return outcome;
    }
}
