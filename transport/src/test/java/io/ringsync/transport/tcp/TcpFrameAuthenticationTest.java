package io.ringsync.transport.tcp;

import io.ringsync.transport.InboundLink;
import io.ringsync.transport.MessageHandler;
import io.ringsync.transport.OutboundLink;
import io.ringsync.transport.security.FrameAuthenticator;
import org.agrona.CloseHelper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import static io.ringsync.transport.tcp.TcpTestSupport.await;
import static io.ringsync.transport.tcp.TcpTestSupport.awaitConnected;
import static io.ringsync.transport.tcp.TcpTestSupport.exchangeEveryLength;
import static io.ringsync.transport.tcp.TcpTestSupport.context;
import static io.ringsync.transport.tcp.TcpTestSupport.loopbackEndpoints;
import static io.ringsync.transport.tcp.TcpTestSupport.offer;
import static io.ringsync.transport.tcp.TcpTestSupport.pattern;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Frame authentication on tcp with a job secret: exact delivery with tags, and a man in the middle (a proxy between
 * rank 0's outbound link and rank 1's listener) that flips a payload byte, replays a frame or sends without the
 * secret: the frame is never delivered, it is counted, and the link ends with a reason naming the peer. A rank
 * with another secret never gets a connection (the ends prove the secret before any frame).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TcpFrameAuthenticationTest
{
    private static final byte[] SECRET = "the job's secret".getBytes(StandardCharsets.UTF_8);
    private static final int WINDOW = 64 * 1024;

    private final List<TcpTransport> transports = new ArrayList<>();
    private final List<TamperingProxy> proxies = new ArrayList<>();
    private final long jobId = ThreadLocalRandom.current().nextLong();
    private final byte[] sessionId = randomSessionId();

    @AfterEach
    void tearDown()
    {
        CloseHelper.quietCloseAll(transports);
        for (final TamperingProxy proxy : proxies)
        {
            proxy.close();
        }
    }

    private static byte[] randomSessionId()
    {
        final byte[] id = new byte[16];
        ThreadLocalRandom.current().nextBytes(id);
        return id;
    }

    private TcpTransport connect(final TcpTransport.Context ctx)
    {
        final TcpTransport transport = TcpTransport.connect(ctx);
        transports.add(transport);
        return transport;
    }

    private TcpTransport.Context secured(
        final int rank, final String[] endpoints, final FrameAuthenticator.Algorithm algorithm)
    {
        return context(rank, endpoints, jobId).windowLength(WINDOW).jobSecret(SECRET).sessionId(sessionId)
            .frameMac(algorithm);
    }

    @ParameterizedTest
    @EnumSource(FrameAuthenticator.Algorithm.class)
    void taggedFramesOfEveryLengthArriveExactlyAcrossManyWraps(final FrameAuthenticator.Algorithm algorithm)
    {
        final String[] endpoints = loopbackEndpoints(2);
        final TcpTransport[] job = { connect(secured(0, endpoints, algorithm)), connect(secured(1, endpoints, algorithm)) };
        awaitConnected(job);
        final int max = job[0].maxMessageLength();
        assertEquals(WINDOW / 8 - 8 - FrameAuthenticator.TAG_LENGTH, max, "the tag's 16 bytes come off the maximum");
        assertEquals(TcpProtocol.framedLength(100 + FrameAuthenticator.TAG_LENGTH), job[0].outbound(1).framedLength(100));
        exchangeEveryLength(job, 40);
        assertEquals(0, job[0].authenticationFailures() + job[1].authenticationFailures());
        assertFalse(job[1].inbound(0).isLost());
        assertNull(job[1].inbound(0).lossReason());
    }

    @Test
    void aDeclinedFrameIsCheckedOnceAndDeliveredWhenTakenLater()
    {
        final String[] endpoints = loopbackEndpoints(2);
        final TcpTransport[] job = { connect(secured(0, endpoints, TcpTransport.FRAME_MAC_DEFAULT)),
            connect(secured(1, endpoints, TcpTransport.FRAME_MAC_DEFAULT)) };
        awaitConnected(job);
        for (int i = 0; i < 3; i++)
        {
            assertTrue(offer(job[0].outbound(1), job[0], pattern(i, 500), 5_000) >= 0);
        }
        final InboundLink in = job[1].inbound(0);
        final int[] declines = { 0 };
        final List<byte[]> received = new ArrayList<>();
        final MessageHandler sometimesDeclines = (buffer, offset, length) ->
        {
            if (declines[0]++ % 2 == 0)
            {
                return false;
            }
            final byte[] bytes = new byte[length];
            buffer.getBytes(offset, bytes);
            received.add(bytes);
            return true;
        };
        await("three messages taken", 5_000, () ->
        {
            in.poll(sometimesDeclines, 1);
            return received.size() == 3;
        }, job);
        for (int i = 0; i < 3; i++)
        {
            assertArrayEquals(pattern(i, 500), received.get(i));
        }
        assertFalse(in.isLost());
    }

    @ParameterizedTest
    @EnumSource(FrameAuthenticator.Algorithm.class)
    void aFlippedPayloadByteIsNeverDeliveredAndEndsTheLinkNamingThePeer(final FrameAuthenticator.Algorithm algorithm)
        throws Exception
    {
        // frames of 1000 payload bytes; the third frame's payload byte 321 is flipped on the way
        final int framed = TcpProtocol.framedLength(1000 + FrameAuthenticator.TAG_LENGTH);
        final long flipAt = 2L * framed + TcpProtocol.FRAME_HEADER_LENGTH + 321;
        final List<Long> delivered = new ArrayList<>();
        final TcpTransport[] job = throughProxy(algorithm, (offset, value, out) -> offset == flipAt ? value ^ 0x10 : value);
        sendAndWatch(job, 5, 1000, delivered);

        assertEquals(List.of(0L, 1L), delivered, "the frames before the altered one, and nothing after it");
        final InboundLink in = job[1].inbound(0);
        assertTrue(in.isLost());
        final String reason = in.lossReason();
        assertTrue(reason.contains("authentication") && reason.contains("from rank 0") && reason.contains("frame #2"),
            reason);
        assertEquals(1, job[1].authenticationFailures());
        assertEquals(1, in.authenticationFailures());
        assertTrue(job[1].linkStatus(0).contains("authentication failed"), job[1].linkStatus(0));
        // the sender finds the connection closed
        final OutboundLink out = job[0].outbound(1);
        await("rank 0's link to rank 1 to end", 5_000, () -> 0 == out.availableWindow() && out.tryClaim(8) == OutboundLink.CLOSED,
            job);
    }

    @Test
    void aReplayedFrameIsRejected() throws Exception
    {
        // the proxy sends the first frame twice: a byte-exact copy with a valid tag, at the wrong place
        final int framed = TcpProtocol.framedLength(1000 + FrameAuthenticator.TAG_LENGTH);
        final byte[] first = new byte[framed];
        final TcpTransport[] job = throughProxy(TcpTransport.FRAME_MAC_DEFAULT, (offset, value, out) ->
        {
            if (offset < framed)
            {
                first[(int)offset] = (byte)value;
            }
            if (offset == framed - 1)
            {
                out.write(first);
            }
            return value;
        });
        final List<Long> delivered = new ArrayList<>();
        sendAndWatch(job, 4, 1000, delivered);

        assertEquals(List.of(0L), delivered, "the original only");
        final String reason = job[1].inbound(0).lossReason();
        assertTrue(reason.contains("authentication") && reason.contains("from rank 0") && reason.contains("frame #1") &&
            reason.contains("replayed"), reason);
        assertEquals(1, job[1].authenticationFailures());
    }

    @Test
    void anInjectedFrameIsCaught() throws Exception
    {
        // a forged empty data frame inserted after the first frame
        final int framed = TcpProtocol.framedLength(1000 + FrameAuthenticator.TAG_LENGTH);
        final TcpTransport[] job = throughProxy(TcpTransport.FRAME_MAC_DEFAULT, (offset, value, out) ->
        {
            if (offset == framed - 1)
            {
                // a data frame of 0 bytes with a made-up tag
                final byte[] forged = new byte[TcpProtocol.framedLength(FrameAuthenticator.TAG_LENGTH)];
                forged[4] = TcpProtocol.TYPE_DATA;
                out.write(forged);
            }
            return value;
        });
        final List<Long> delivered = new ArrayList<>();
        sendAndWatch(job, 3, 1000, delivered);
        assertEquals(List.of(0L), delivered);
        assertTrue(job[1].inbound(0).lossReason().contains("authentication"), job[1].inbound(0).lossReason());
    }

    @Test
    void aRankWithoutTheSecretIsRefusedAtConnectionAndNeverCarriesFrames()
    {
        final String[] endpoints = loopbackEndpoints(2);
        final TcpTransport secure = connect(secured(0, endpoints, TcpTransport.FRAME_MAC_DEFAULT)
            .connectTimeoutNs(TimeUnit.SECONDS.toNanos(2)));
        final TcpTransport open = connect(context(1, endpoints, jobId).windowLength(WINDOW)
            .connectTimeoutNs(TimeUnit.SECONDS.toNanos(2)));
        await("both listeners to refuse the other's connection", 10_000,
            () -> secure.rejectedConnections() > 0 && open.rejectedConnections() > 0, secure, open);
        assertTrue(secure.lastRejection().contains("has no") || secure.lastRejection().contains("frame authentication"),
            secure.lastRejection());
        assertTrue(open.lastRejection().contains("has no job secret"), open.lastRejection());
        assertFalse(secure.isConnected(1));
        await("the links to end at the connect timeout", 10_000,
            () -> secure.outbound(1).tryClaim(0) == OutboundLink.CLOSED, secure, open);
        assertTrue(secure.linkStatus(1).contains("RINGSYNC_JOB_SECRET"), secure.linkStatus(1));
    }

    @Test
    void anotherSecretIsRefusedAtConnectionBeforeAnyFrame()
    {
        final String[] endpoints = loopbackEndpoints(2);
        final TcpTransport[] job = { connect(secured(0, endpoints, TcpTransport.FRAME_MAC_DEFAULT)
            .connectTimeoutNs(TimeUnit.SECONDS.toNanos(2))),
            connect(secured(1, endpoints, TcpTransport.FRAME_MAC_DEFAULT)
                .jobSecret("a guess".getBytes(StandardCharsets.UTF_8)).connectTimeoutNs(TimeUnit.SECONDS.toNanos(2))) };
        // each dialer finds that the other end cannot prove the secret and sends it nothing; each listener counts
        // the dialer that left without proving it
        await("both links to end at the connect timeout", 10_000,
            () -> job[0].outbound(1).tryClaim(0) == OutboundLink.CLOSED &&
            job[1].outbound(0).tryClaim(0) == OutboundLink.CLOSED, job);
        for (final int rank : new int[]{ 0, 1 })
        {
            final int peer = 1 - rank;
            assertFalse(job[rank].isConnected(peer));
            assertTrue(job[rank].linkStatus(peer).contains("could not prove it holds the job secret"),
                job[rank].linkStatus(peer));
            assertTrue(job[rank].rejectedConnections() > 0, "rank " + rank);
            assertTrue(job[rank].lastRejection().contains("before proving the job secret"), job[rank].lastRejection());
            assertEquals(0, job[rank].authenticationFailures(), "no frame ever moved");
        }
    }

    @Test
    void hotPathAllocatesNothingWithTags()
    {
        final String[] endpoints = loopbackEndpoints(2);
        final TcpTransport[] job = { connect(secured(0, endpoints, TcpTransport.FRAME_MAC_DEFAULT)),
            connect(secured(1, endpoints, TcpTransport.FRAME_MAC_DEFAULT)) };
        awaitConnected(job);
        final SteadyTraffic.Outcome outcome = SteadyTraffic.run(job, 0, null);
        assertTrue(outcome.framesSent() > 1000, "frames sent: " + outcome.framesSent());
        assertFalse(job[0].inbound(1).isLost() || job[1].inbound(0).isLost());
        assertEquals(0, outcome.allocatedBytes(), "bytes allocated by 20,000 tagged sends and checked polls after warm-up");
    }

    /**
     * Rank 0 reaches rank 1 through a proxy; rank 1 reaches rank 0 directly.
     */
    private TcpTransport[] throughProxy(final FrameAuthenticator.Algorithm algorithm, final TamperingProxy.Tamper tamper)
        throws Exception
    {
        final String[] endpoints = loopbackEndpoints(2);
        final String[] direct = endpoints[1].split(":");
        final TamperingProxy proxy = new TamperingProxy(
            new InetSocketAddress(direct[0], Integer.parseInt(direct[1])),
            TcpProtocol.PREAMBLE_LENGTH + TcpProtocol.PROOF_LENGTH, tamper);
        proxies.add(proxy);
        final String[] viaProxy = { endpoints[0], proxy.endpoint() };
        final TcpTransport one = connect(secured(1, endpoints, algorithm));
        final TcpTransport zero = connect(secured(0, viaProxy, algorithm));
        final TcpTransport[] job = { zero, one };
        awaitConnected(job);
        return job;
    }

    /**
     * Rank 0 sends {@code count} messages whose first long is their number; rank 1 takes what it is given until the
     * link from rank 0 is lost.
     */
    private static void sendAndWatch(final TcpTransport[] job, final int count, final int length, final List<Long> delivered)
    {
        for (int i = 0; i < count; i++)
        {
            final byte[] message = pattern(i, length);
            new org.agrona.concurrent.UnsafeBuffer(message).putLong(0, i);
            if (offer(job[0].outbound(1), job[0], message, 5_000) < 0)
            {
                break;
            }
        }
        final InboundLink in = job[1].inbound(0);
        await("the link from rank 0 to be lost", 10_000, () ->
        {
            in.poll((buffer, offset, len) ->
            {
                final byte[] actual = new byte[len];
                buffer.getBytes(offset, actual);
                final long number = buffer.getLong(offset);
                final byte[] expected = pattern(number, length);
                new org.agrona.concurrent.UnsafeBuffer(expected).putLong(0, number);
                assertArrayEquals(expected, actual, "message " + number + " was delivered altered");
                delivered.add(number);
                return true;
            }, 16);
            return in.isLost();
        }, job);
    }
}
