package io.ringsync.transport.aeron;

import io.aeron.Image;
import io.aeron.Subscription;
import org.agrona.CloseHelper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import static io.ringsync.transport.aeron.AeronTestSupport.awaitConnected;
import static io.ringsync.transport.aeron.AeronTestSupport.exchange;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * Issue 14, finding 1: a stranger who knows a rank's UDP port and the job's stream ids sends forged SETUP frames
 * with new session ids and DATA frames of another session. The job's links must carry on exactly: no image of a
 * stranger's session, no link marked lost when such an image would have expired, every message intact.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
@Tag("process") // two embedded UDP media drivers, and a wait past the image liveness timeout
class AeronUdpStrangerTest
{
    private static final long CONNECT_TIMEOUT_MS = 10_000;
    private static final int FORGED_PER_LINK = 32;

    private File testDir;
    private String[] endpoints;
    private final List<AeronTransport> transports = new ArrayList<>();
    private UdpStranger stranger;

    @BeforeEach
    void setUp() throws IOException
    {
        testDir = AeronTestSupport.newTestDirectory("udp-stranger");
        endpoints = UdpPorts.loopbackEndpoints(2);
        stranger = new UdpStranger();
    }

    @AfterEach
    void tearDown()
    {
        CloseHelper.quietCloseAll(stranger);
        CloseHelper.quietCloseAll(transports);
        AeronTestSupport.deleteDirectory(testDir);
    }

    @Test
    void forgedSetupAndDataFramesNeitherCreateImagesNorLoseLinksNorChangeMessages()
    {
        final long jobId = ThreadLocalRandom.current().nextLong();
        final AeronTransport[] ranks = { connect(0, jobId), connect(1, jobId) };
        awaitConnected(ranks[0], ranks[1], CONNECT_TIMEOUT_MS);
        exchange(ranks[0], ranks[1], 20, 10_000);

        final int[][] jobSession = new int[2][2];
        for (int to = 0; to < 2; to++)
        {
            final int from = 1 - to;
            final List<Image> images = subscription(ranks[to], from).images();
            assertEquals(1, images.size(), "images of link " + from + "->" + to + " before the stranger came");
            jobSession[from][to] = images.get(0).sessionId();
            assertEquals(ranks[to].context().sessionId(from, to), jobSession[from][to], "the agreed session");
        }

        final ThreadLocalRandom random = ThreadLocalRandom.current();
        for (int to = 0; to < 2; to++)
        {
            final int from = 1 - to;
            final InetSocketAddress port = address(endpoints[to]);
            final int streamId = ranks[to].context().streamId(from, to);
            for (int i = 0; i < FORGED_PER_LINK; i++)
            {
                stranger.sendSetup(port, strangerSession(random, jobSession[from][to]), streamId,
                    AeronTransport.TERM_LENGTH_DEFAULT, AeronTransport.UDP_MTU_LENGTH_DEFAULT);
                stranger.sendData(port, strangerSession(random, jobSession[from][to]), streamId, 7, 64 * i, 256,
                    (byte)0x7F);
            }
        }

        // the driver creates images on its own schedule: give it time to, while the job carries on
        exchange(ranks[0], ranks[1], 500, 20_000);
        for (final AeronTransport rank : ranks)
        {
            AeronTestSupport.await("rank " + rank.rank() + " to count the stranger's frames", 5_000,
                () -> rank.foreignFrameCount() >= 2 * FORGED_PER_LINK);
        }
        final List<String> strangersImages = new ArrayList<>();
        for (int to = 0; to < 2; to++)
        {
            final int from = 1 - to;
            for (final Image image : subscription(ranks[to], from).images())
            {
                if (image.sessionId() != jobSession[from][to])
                {
                    strangersImages.add("link " + from + "->" + to + " session " + image.sessionId());
                }
            }
        }

        // a stranger's image would expire after the image liveness timeout and, before issue 14, mark the link lost
        final long waitNs = MediaDriverHost.IMAGE_LIVENESS_TIMEOUT_NS_DEFAULT + TimeUnit.SECONDS.toNanos(2);
        final long endNs = System.nanoTime() + waitNs;
        while (System.nanoTime() - endNs < 0)
        {
            exchange(ranks[0], ranks[1], 100, 10_000);
        }

        assertAll(
            () -> assertFalse(ranks[0].inbound(1).isLost(), "link 1->0 marked lost"),
            () -> assertFalse(ranks[1].inbound(0).isLost(), "link 0->1 marked lost"),
            () -> assertEquals(List.of(), strangersImages, "images of strangers' sessions"),
            () -> assertEquals(2 * FORGED_PER_LINK, ranks[0].foreignFrameCount(), "forged frames rank 0 counted"),
            () -> assertEquals(2 * FORGED_PER_LINK, ranks[1].foreignFrameCount(), "forged frames rank 1 counted"),
            () -> assertNull(ranks[0].lastError()),
            () -> assertNull(ranks[1].lastError()));
        assertEquals(2L * FORGED_PER_LINK * 2, stranger.sent());
    }

    private static int strangerSession(final ThreadLocalRandom random, final int jobSession)
    {
        int session;
        do
        {
            session = random.nextInt();
        }
        while (session == jobSession);
        return session;
    }

    private static Subscription subscription(final AeronTransport transport, final int peer)
    {
        return ((AeronInboundLink)transport.inbound(peer)).subscription;
    }

    private static InetSocketAddress address(final String endpoint)
    {
        final int colon = endpoint.lastIndexOf(':');
        return new InetSocketAddress(endpoint.substring(0, colon), Integer.parseInt(endpoint.substring(colon + 1)));
    }

    private AeronTransport connect(final int rank, final long jobId)
    {
        final AeronTransport transport =
            AeronTransport.connect(AeronTestSupport.udpContext(rank, jobId, testDir, endpoints));
        transports.add(transport);
        return transport;
    }
}
