package io.ringsync.transport.aeron;

import io.aeron.driver.ThreadingMode;
import io.aeron.protocol.DataHeaderFlyweight;
import io.ringsync.transport.InboundLink;
import io.ringsync.transport.OutboundLink;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.IdleStrategy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.File;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import static io.ringsync.transport.aeron.AeronTestSupport.await;
import static io.ringsync.transport.aeron.AeronTestSupport.awaitConnected;
import static io.ringsync.transport.aeron.AeronTestSupport.exchange;
import static io.ringsync.transport.aeron.AeronTestSupport.newIdleStrategy;
import static io.ringsync.transport.aeron.AeronTestSupport.trySend;
import static io.ringsync.transport.aeron.AeronTestSupport.verifyMessage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Frame authentication on UDP links: with a job secret every message carries a tag after its payload, checked before
 * the receiver's handler sees it; a message altered on the wire, a captured one replayed at a later position, or one
 * from a sender with another secret is dropped, counted, and ends the link with a reason naming the peer. Without a
 * secret nothing is added.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
@Tag("process") // embedded UDP media drivers, seconds per test
class AeronUdpFrameAuthenticationTest
{
    private static final long CONNECT_TIMEOUT_MS = 10_000;
    private static final byte[] SECRET = "the job's secret".getBytes(StandardCharsets.UTF_8);
    private static final byte[] SESSION_SECRET = "both ranks agree on the sessions".getBytes(StandardCharsets.UTF_8);
    private static final int TAG = AeronMessageAuthenticator.TAG_LENGTH;

    private File testDir;
    private String[] endpoints;
    private long jobId;
    private final List<AeronTransport> transports = new ArrayList<>();
    private final List<UdpTamperingRelay> relays = new ArrayList<>();

    @BeforeEach
    void setUp() throws IOException
    {
        testDir = AeronTestSupport.newTestDirectory("udp-mac");
        endpoints = UdpPorts.loopbackEndpoints(2);
        jobId = ThreadLocalRandom.current().nextLong();
    }

    @AfterEach
    void tearDown()
    {
        CloseHelper.quietCloseAll(transports);
        CloseHelper.quietCloseAll(relays);
        AeronTestSupport.deleteDirectory(testDir);
    }

    @ParameterizedTest
    @ValueSource(ints = { AeronTransport.UDP_MTU_LENGTH_DEFAULT, 65504 })
    void messagesOfEveryLengthArriveWholeUnderTheirTags(final int mtu)
    {
        final AeronTransport t0 = connect(context(0, endpoints, SECRET).mtuLength(mtu));
        final AeronTransport t1 = connect(context(1, endpoints, SECRET).mtuLength(mtu));
        assertTrue(t0.context().isFrameAuthenticated());
        assertEquals(mtu - DataHeaderFlyweight.HEADER_LENGTH - TAG, t0.maxMessageLength());
        assertEquals(mtu, t0.outbound(1).framedLength(t0.maxMessageLength()), "the largest message fills the mtu");

        awaitConnected(t0, t1, CONNECT_TIMEOUT_MS);
        exchange(t0, t1, 600, 30_000);
        assertEquals(0, t0.authenticationFailures());
        assertEquals(0, t1.authenticationFailures());
        assertFalse(t0.inbound(1).isLost());
        assertFalse(t1.inbound(0).isLost());
        assertNull(t1.inbound(0).lossReason());
    }

    @Test
    void aSubMeshTagsItsMessagesUnderKeysOfItsOwn()
    {
        final AeronTransport t0 = connect(context(0, endpoints, SECRET));
        final AeronTransport t1 = connect(context(1, endpoints, SECRET));
        awaitConnected(t0, t1, CONNECT_TIMEOUT_MS);
        final AeronTransport sub0 = (AeronTransport)t0.openMesh(9, new int[]{ 1, 0 });
        final AeronTransport sub1 = (AeronTransport)t1.openMesh(9, new int[]{ 1, 0 });
        transports.add(sub0);
        transports.add(sub1);
        assertTrue(sub0.context().isFrameAuthenticated());
        assertEquals(9, sub0.context().meshId());
        assertEquals(t0.maxMessageLength(), sub0.maxMessageLength());
        awaitConnected(sub1, sub0, CONNECT_TIMEOUT_MS);
        exchange(sub1, sub0, 100, 10_000);
        exchange(t0, t1, 100, 10_000);
        assertEquals(0, sub0.authenticationFailures() + sub1.authenticationFailures());
    }

    @Test
    void theTagFollowsThePayloadOnTheWireAndWithoutASecretThereIsNone() throws Exception
    {
        assertEquals(List.of(DataHeaderFlyweight.HEADER_LENGTH + 120 + TAG), wireFrameLengths(SECRET, 120));
        assertEquals(List.of(DataHeaderFlyweight.HEADER_LENGTH + 120), wireFrameLengths(null, 120));
    }

    private List<Integer> wireFrameLengths(final byte[] secret, final int messageLength) throws Exception
    {
        final String[] direct = UdpPorts.loopbackEndpoints(2);
        final List<Integer> lengths = new CopyOnWriteArrayList<>();
        final UdpTamperingRelay relay = relay(direct[1], (datagram, length) ->
        {
            if (UdpTamperingRelay.isOneDataFrame(datagram, length, 1))
            {
                lengths.add(datagram.getInt(0, ByteOrder.LITTLE_ENDIAN));
            }
            return length;
        });
        final String[] zeroSees = { direct[0], relay.endpoint() };
        final AeronTransport t0 = connect(context(0, zeroSees, secret));
        final AeronTransport t1 = connect(context(1, direct, secret));
        final int expectedMax = AeronTransport.UDP_MTU_LENGTH_DEFAULT - DataHeaderFlyweight.HEADER_LENGTH -
            (null == secret ? 0 : TAG);
        assertEquals(expectedMax, t0.maxMessageLength());
        assertEquals(null == secret ? 160 : 192, t0.outbound(1).framedLength(messageLength));

        awaitConnected(t0, t1, CONNECT_TIMEOUT_MS);
        await("one message sent", 5_000, () -> trySend(t0.outbound(1), 0, messageLength));
        final int[] received = { 0 };
        await("it to arrive", 5_000, () ->
        {
            t1.inbound(0).poll((buffer, offset, length) ->
            {
                verifyMessage(buffer, offset, length, 0, messageLength);
                received[0]++;
                return true;
            }, 10);
            return 1 == received[0];
        });
        t0.close();
        t1.close();
        return lengths;
    }

    @Test
    void aSenderWithAnotherSecretIsRejectedAndTheLinkLostNamingThePeer()
    {
        final AeronTransport t0 = connect(context(0, endpoints, "another secret".getBytes(StandardCharsets.UTF_8)));
        final AeronTransport t1 = connect(context(1, endpoints, SECRET));
        awaitConnected(t0, t1, CONNECT_TIMEOUT_MS);
        await("two messages sent", 5_000, () -> trySend(t0.outbound(1), 0, 100));
        await("two messages sent", 5_000, () -> trySend(t0.outbound(1), 1, 100));

        final InboundLink in = t1.inbound(0);
        final int[] delivered = { 0 };
        await("the link to be lost", 10_000, () ->
        {
            delivered[0] += in.poll((buffer, offset, length) -> true, 10);
            return in.isLost();
        });
        assertRejected(in, t1, delivered[0], 0);
    }

    @Test
    void aBitFlippedOnTheWireIsRejectedAndTheLinkLost() throws Exception
    {
        final int flipped = 5;
        final int[] dataFrames = { 0 };
        final UdpTamperingRelay relay = relay(endpoints[1], (datagram, length) ->
        {
            if (UdpTamperingRelay.isOneDataFrame(datagram, length, 500) && flipped == dataFrames[0]++)
            {
                final int at = DataHeaderFlyweight.HEADER_LENGTH + 321;
                datagram.putByte(at, (byte)(datagram.getByte(at) ^ 0x10));
            }
            return length;
        });
        final int delivered = sendThroughRelay(relay, 20, 1000);
        assertRejected(transports.get(1).inbound(0), transports.get(1), delivered, flipped);
    }

    @Test
    void aCapturedFrameReplayedAtALaterPositionIsRejected() throws Exception
    {
        final int captured = 2;
        final int replaced = 9;
        final byte[] recording = new byte[2048];
        final int[] recordedLength = { 0 };
        final int[] dataFrames = { 0 };
        final UdpTamperingRelay relay = relay(endpoints[1], (datagram, length) ->
        {
            if (!UdpTamperingRelay.isOneDataFrame(datagram, length, 500))
            {
                return length;
            }
            final int index = dataFrames[0]++;
            if (captured == index)
            {
                datagram.getBytes(0, recording, 0, length);
                recordedLength[0] = length;
            }
            else if (replaced == index && recordedLength[0] == length)
            {
                // the captured frame, tag and all, moved to where this one belongs
                final int termOffset =
                    datagram.getInt(DataHeaderFlyweight.TERM_OFFSET_FIELD_OFFSET, ByteOrder.LITTLE_ENDIAN);
                final int termId = datagram.getInt(DataHeaderFlyweight.TERM_ID_FIELD_OFFSET, ByteOrder.LITTLE_ENDIAN);
                datagram.putBytes(0, recording, 0, length);
                datagram.putInt(DataHeaderFlyweight.TERM_OFFSET_FIELD_OFFSET, termOffset, ByteOrder.LITTLE_ENDIAN);
                datagram.putInt(DataHeaderFlyweight.TERM_ID_FIELD_OFFSET, termId, ByteOrder.LITTLE_ENDIAN);
            }
            return length;
        });
        final int delivered = sendThroughRelay(relay, 20, 1000);
        assertRejected(transports.get(1).inbound(0), transports.get(1), delivered, replaced);
    }

    @Test
    void hotPathDoesNotAllocateWithTags()
    {
        final java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
        Assumptions.assumeTrue(threads instanceof com.sun.management.ThreadMXBean, "no allocation counter");
        final com.sun.management.ThreadMXBean counter = (com.sun.management.ThreadMXBean)threads;
        final long threadId = Thread.currentThread().getId();

        // drivers on threads of their own: what is counted is the links' work on this thread
        final AeronTransport t0 =
            connect(context(0, endpoints, SECRET).embeddedDriverThreadingMode(ThreadingMode.SHARED));
        final AeronTransport t1 =
            connect(context(1, endpoints, SECRET).embeddedDriverThreadingMode(ThreadingMode.SHARED));
        awaitConnected(t0, t1, CONNECT_TIMEOUT_MS);
        final OutboundLink out = t0.outbound(1);
        final InboundLink in = t1.inbound(0);
        final long[] count = { 0 };
        final io.ringsync.transport.MessageHandler handler = (buffer, offset, length) ->
        {
            count[0]++;
            return true;
        };
        final IdleStrategy idle = newIdleStrategy();

        pump(out, in, handler, count, idle, 5_000);
        // one-off allocations (JIT, class loading) can land in any round; one per message would be in every round
        long fewest = Long.MAX_VALUE;
        for (int round = 0; round < 6 && fewest > 0; round++)
        {
            final long before = counter.getThreadAllocatedBytes(threadId);
            pump(out, in, handler, count, idle, 5_000);
            fewest = Math.min(fewest, counter.getThreadAllocatedBytes(threadId) - before);
        }
        assertEquals(0, t1.authenticationFailures());
        assertEquals(0, fewest, "the tagged hot path allocated " + fewest + " bytes for 5000 messages in its best " +
            "round");
    }

    private static void pump(
        final OutboundLink out,
        final InboundLink in,
        final io.ringsync.transport.MessageHandler handler,
        final long[] count,
        final IdleStrategy idle,
        final int n)
    {
        final long target = count[0] + n;
        int sent = 0;
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (count[0] < target)
        {
            int work = 0;
            if (sent < n)
            {
                final long offset = out.tryClaim(1024);
                if (offset >= 0)
                {
                    out.buffer().putInt((int)offset, sent);
                    out.commit();
                    sent++;
                    work++;
                }
            }
            work += in.poll(handler, 16);
            if (System.nanoTime() - deadlineNs > 0)
            {
                throw new AssertionError("pump timed out at " + count[0] + " of " + target);
            }
            idle.idle(work);
        }
    }

    /**
     * Rank 0 sends {@code count} messages to rank 1 through the relay; rank 1 checks each it is handed until the link
     * is lost.
     *
     * @return messages rank 1 was handed, every one whole and in order.
     */
    private int sendThroughRelay(final UdpTamperingRelay relay, final int count, final int length)
    {
        final String[] zeroSees = { endpoints[0], relay.endpoint() };
        final AeronTransport t0 = connect(context(0, zeroSees, SECRET));
        final AeronTransport t1 = connect(context(1, endpoints, SECRET));
        awaitConnected(t0, t1, CONNECT_TIMEOUT_MS);
        final InboundLink in = t1.inbound(0);
        final int[] delivered = { 0 };
        final int[] sent = { 0 };
        await("the link to be lost", 15_000, () ->
        {
            if (sent[0] < count && trySend(t0.outbound(1), sent[0], length))
            {
                sent[0]++;
            }
            in.poll((buffer, offset, messageLength) ->
            {
                verifyMessage(buffer, offset, messageLength, delivered[0], length);
                delivered[0]++;
                return true;
            }, 10);
            return in.isLost();
        });
        return delivered[0];
    }

    private static void assertRejected(
        final InboundLink in, final AeronTransport receiver, final int delivered, final int expectedDelivered)
    {
        System.out.println("rank 1 was handed " + delivered + " messages, then: " + in.lossReason());
        assertEquals(expectedDelivered, delivered, "the messages before the bad one, and none after");
        assertTrue(in.isLost());
        assertEquals(1, in.authenticationFailures());
        assertEquals(1, receiver.authenticationFailures());
        final String reason = in.lossReason();
        assertTrue(null != reason && reason.contains("authentication") && reason.contains("from rank 0"), reason);
        assertEquals(0, in.poll((DirectBuffer buffer, int offset, int length) -> true, 10), "nothing after");
        assertEquals(1, in.authenticationFailures(), "counted once");
    }

    private UdpTamperingRelay relay(final String target, final UdpTamperingRelay.Tamper tamper) throws Exception
    {
        final UdpTamperingRelay relay = new UdpTamperingRelay(UdpTamperingRelay.address(target), tamper);
        relays.add(relay);
        return relay;
    }

    private AeronTransport.Context context(final int rank, final String[] rankEndpoints, final byte[] secret)
    {
        return AeronTestSupport.udpContext(rank, jobId, testDir, rankEndpoints)
            .sessionSecret(SESSION_SECRET)
            .jobSecret(secret);
    }

    private AeronTransport connect(final AeronTransport.Context ctx)
    {
        final AeronTransport transport = AeronTransport.connect(ctx);
        transports.add(transport);
        return transport;
    }
}
