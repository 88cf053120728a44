package io.ringsync.transport.aeron;

import io.ringsync.transport.InboundLink;
import io.ringsync.transport.OutboundLink;
import org.agrona.CloseHelper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.File;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import static io.ringsync.transport.aeron.AeronTestSupport.await;
import static io.ringsync.transport.aeron.AeronTestSupport.awaitConnected;
import static io.ringsync.transport.aeron.AeronTestSupport.exchange;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
@Tag("process") // embedded UDP media drivers, seconds per test
class AeronTransportUdpTest
{
    private static final long CONNECT_TIMEOUT_MS = 10_000;

    private File testDir;
    private String[] endpoints;
    private long jobId;
    private final List<AeronTransport> transports = new ArrayList<>();

    @BeforeEach
    void setUp() throws IOException
    {
        testDir = AeronTestSupport.newTestDirectory("udp");
        endpoints = UdpPorts.loopbackEndpoints(2);
        jobId = ThreadLocalRandom.current().nextLong();
    }

    @AfterEach
    void tearDown()
    {
        CloseHelper.quietCloseAll(transports);
        AeronTestSupport.deleteDirectory(testDir);
    }

    @ParameterizedTest
    @ValueSource(ints = { AeronTransport.UDP_MTU_LENGTH_DEFAULT, 65504 })
    void sendsAndReceivesThousandMessagesEachWay(final int mtu)
    {
        final AeronTransport t0 = connect(0, mtu);
        final AeronTransport t1 = connect(1, mtu);
        assertEquals("udp", t0.name());
        assertEquals(mtu - 32, t0.maxMessageLength());
        assertTrue(new File(testDir, "aeron-rank-0").isDirectory());
        assertTrue(new File(testDir, "aeron-rank-1").isDirectory());

        awaitConnected(t0, t1, CONNECT_TIMEOUT_MS);
        assertEquals(AeronTransport.TERM_LENGTH_DEFAULT / 2, t0.outbound(1).windowLength());
        await("the idle window to open", 5_000,
            () -> t0.outbound(1).availableWindow() == t0.outbound(1).windowLength());
        exchange(t0, t1, 1000, 30_000);
        assertNull(t0.lastError());
        assertNull(t1.lastError());

        t0.close();
        t1.close();
        assertFalse(new File(testDir, "aeron-rank-0").exists(), "embedded driver directory left behind");
        assertFalse(new File(testDir, "aeron-rank-1").exists(), "embedded driver directory left behind");
    }

    @Test
    void survivorSeesLinkLostAfterPeerCloses()
    {
        final AeronTransport t0 = connect(0, AeronTransport.UDP_MTU_LENGTH_DEFAULT);
        final AeronTransport t1 = connect(1, AeronTransport.UDP_MTU_LENGTH_DEFAULT);
        awaitConnected(t0, t1, CONNECT_TIMEOUT_MS);
        exchange(t0, t1, 10, 10_000);
        final InboundLink in = t0.inbound(1);
        final OutboundLink out = t0.outbound(1);
        assertFalse(in.isLost());

        t1.close();
        final long startNs = System.nanoTime();
        final long[] notConnectedNs = { 0 };
        await("the link from the closed rank to be lost", 15_000, () ->
        {
            in.poll((buffer, offset, length) -> true, 16);
            final long result = out.tryClaim(8);
            if (result >= 0)
            {
                out.abort();
            }
            else if (OutboundLink.NOT_CONNECTED == result && 0 == notConnectedNs[0])
            {
                notConnectedNs[0] = System.nanoTime();
            }
            return in.isLost();
        });
        final long lostMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
        System.out.println("UDP: inbound link lost " + lostMs + " ms after the peer closed; outbound " +
            (0 == notConnectedNs[0] ? "still connected" :
            "NOT_CONNECTED after " + TimeUnit.NANOSECONDS.toMillis(notConnectedNs[0] - startNs) + " ms"));
    }

    @Test
    void whatARankOffersJustBeforeClosingReachesThePeer()
    {
        // a failing rank offers its abort and closes at once: the embedded driver must not stop before sending it
        final AeronTransport t0 = connect(0, AeronTransport.UDP_MTU_LENGTH_DEFAULT);
        final AeronTransport t1 = connect(1, AeronTransport.UDP_MTU_LENGTH_DEFAULT);
        awaitConnected(t0, t1, CONNECT_TIMEOUT_MS);
        exchange(t0, t1, 10, 10_000);
        final int max = t1.maxMessageLength();
        final int count = 100;
        for (int seq = 0; seq < count; seq++)
        {
            assertTrue(AeronTestSupport.trySend(t1.outbound(0), seq, AeronTestSupport.lengthOf(seq, max)),
                "message " + seq + " offered");
        }
        t1.close();

        final AeronTestSupport.Receiver receiver = new AeronTestSupport.Receiver(max);
        final InboundLink in = t0.inbound(1);
        await("the link from the closed rank to be lost", 15_000, () ->
        {
            in.poll(receiver, 16);
            return in.isLost() && 0 == in.poll(receiver, 16);
        });
        assertEquals(count, receiver.next, "messages offered before the close that reached the peer");
    }

    @Test
    void aClosedSubMeshsStreamsLeaveTheSessionGuard()
    {
        final AeronTransport t0 = connect(0, AeronTransport.UDP_MTU_LENGTH_DEFAULT);
        final AeronTransport t1 = connect(1, AeronTransport.UDP_MTU_LENGTH_DEFAULT);
        awaitConnected(t0, t1, CONNECT_TIMEOUT_MS);
        assertEquals(1, t0.admittedLinkCount(), "the link from rank 1");

        final AeronTransport sub0 = (AeronTransport)t0.openMesh(9, new int[]{ 1, 0 });
        final AeronTransport sub1 = (AeronTransport)t1.openMesh(9, new int[]{ 1, 0 });
        awaitConnected(sub1, sub0, CONNECT_TIMEOUT_MS);
        exchange(sub1, sub0, 10, 10_000);
        assertEquals(2, t0.admittedLinkCount(), "the sub-mesh's link from rank 1 too");
        assertEquals(2, t1.admittedLinkCount());

        sub0.close();
        sub1.close();
        assertEquals(1, t0.admittedLinkCount(), "a closed sub-mesh's stream is no longer let through");
        assertEquals(1, t1.admittedLinkCount());
        exchange(t0, t1, 10, 10_000);
    }

    private AeronTransport connect(final int rank, final int mtu)
    {
        final AeronTransport transport =
            AeronTransport.connect(AeronTestSupport.udpContext(rank, jobId, testDir, endpoints).mtuLength(mtu));
        transports.add(transport);
        return transport;
    }
}
